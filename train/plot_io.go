package train

import (
	"fmt"
	"os"
	"path/filepath"

	"gonum.org/v1/plot/vg/vgimg"
)

// writePNG writes the canvas to path through a temporary file and a
// rename, so a reader never sees half a picture.
func writePNG(path string, img *vgimg.Canvas) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".plot-*.png")
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("plot %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}
