package chart

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
)

// WritePNG writes img to path as a PNG through a temporary file in the
// same folder and a rename, so that a reader never sees half a picture.
func WritePNG(path string, img image.Image) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".chart-*.png")
	if err != nil {
		return fmt.Errorf("chart: %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	err = tmp.Chmod(0o644) // CreateTemp's 0600 would hide the picture from a web server's user
	if err == nil {
		err = png.Encode(tmp, img)
	}
	if err != nil {
		tmp.Close()
		return fmt.Errorf("chart: %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("chart: %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("chart: %s: %w", path, err)
	}
	return nil
}
