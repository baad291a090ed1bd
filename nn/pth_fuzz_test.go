//go:build !js

package nn

import (
	"archive/zip"
	"bytes"
	"path/filepath"
	"testing"
)

// Fuzz targets of the torch.save reader (pth.go, pickle.go); see
// weights_fuzz_test.go for how to run them.

// pklOf returns the data.pkl of a fixture checkpoint.
func pklOf(f *testing.F, name string) []byte {
	raw := fuzzReadFile(f, name)
	z, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range z.File {
		if filepath.Base(e.Name) == "data.pkl" {
			b, err := readZipEntry(e, int64(len(raw)))
			if err != nil {
				f.Fatal(err)
			}
			return b
		}
	}
	f.Fatalf("%s has no data.pkl", name)
	return nil
}

// FuzzPickle runs the restricted unpickler with the torch whitelist on
// arbitrary bytes, then finds and checks the tensor dict as readPth does,
// with storages that exist for any key (their bytes are zeros).
func FuzzPickle(f *testing.F) {
	for _, name := range []string{"tiny.pth", "tiny_p4.pth", "tiny_ckpt.pth", "malicious.pth"} {
		fuzzSeeds(f, pklOf(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		storages := map[string]*torchStorage{}
		load := func(pid any) (any, error) {
			s, err := parseStoragePID(pid)
			if err != nil {
				return nil, err
			}
			if old, ok := storages[s.key]; ok {
				return old, nil
			}
			storages[s.key] = s
			return s, nil
		}
		obj, err := unpickle(data, torchFind, load)
		if err != nil {
			return
		}
		d, err := findTensorDict(obj, "")
		if err != nil {
			return
		}
		var storageBytes int64
		for _, s := range storages {
			storageBytes += s.numel * int64(s.dtype.Size())
		}
		if storageBytes > 1<<20 { // would need that much memory to back them
			return
		}
		read := func(s *torchStorage) ([]byte, error) { return make([]byte, s.numel*int64(s.dtype.Size())), nil }
		sd, err := materialize(d, 1<<20, read, false)
		if err != nil {
			return
		}
		if sd.Len() != len(d.keys) {
			t.Fatalf("%d tensors from a dict of %d", sd.Len(), len(d.keys))
		}
	})
}

// FuzzPth reads whole checkpoint files: zip, pickle and storages.
func FuzzPth(f *testing.F) {
	for _, name := range []string{"tiny.pth", "tiny_p4.pth", "malicious.pth"} {
		fuzzSeeds(f, fuzzReadFile(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sd, err := readPth(bytes.NewReader(data), int64(len(data)), "fuzz.pth", "")
		if err != nil {
			return
		}
		total := 0
		for _, name := range sd.Names() {
			total += sd.Get(name).Numel()
		}
		if int64(total) > 4*int64(len(data))+1<<20 {
			t.Fatalf("%d elements from a %d-byte file", total, len(data))
		}
	})
}
