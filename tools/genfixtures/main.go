// Command genfixtures writes the two small data sets under data/testdata
// that tests, CI and the docs use for the formats people bring their own
// data in. They are:
//
//	shapes-voc/    the PASCAL VOC layout with custom classes, as LabelImg,
//	               CVAT and Roboflow export it (no VOC2007 folder): four
//	               classes, difficult objects, background images, a PNG
//	               among the JPEGs, ImageSets/Main train/val/test/trainval
//	shapes-yolo/   the Ultralytics YOLO layout: data.yaml with train/val/test
//	               and names as an index: name mapping in its own (unsorted)
//	               order, images/<split>/, labels/<split>/, background images
//	               with an empty label file or none
//
// The images are the synthetic shapes of package synth (64 px, drawn from
// given label sets), so a model can learn them; everything is
// deterministic, and running this again rewrites identical files:
//
//	go generate ./data     (runs: go run ./tools/genfixtures -out data/testdata)
package main

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/seed477ab429/multilabel/synth"
)

// The classes as drawn (synthetic object type k is class k), their names
// in the VOC set (mixed case, so the sorted order is a real test) and the
// YOLO set's own index order.
var (
	vocNames  = []string{"Cross", "hexagon", "ring", "star"}
	yoloNames = []string{"star", "ring", "Cross", "hexagon"} // index i of the YOLO files
)

const (
	size                 = 64
	nTrain, nVal, nTest  = 40, 12, 12
	backgroundEvery      = 9  // every 9th image has no object
	pngEvery             = 13 // every 13th VOC image is a PNG
	yoloNoLabelFileEvery = 2  // of the background images, every 2nd has no label file at all
)

func main() {
	out := flag.String("out", "testdata", "folder to write shapes-voc/ and shapes-yolo/ into")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "genfixtures:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	tmp, err := os.MkdirTemp("", "genfixtures-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	rng := rand.New(rand.NewPCG(2026, 11))
	sets := func(n int) [][]int {
		var s [][]int
		for range n {
			if len(s)%backgroundEvery == backgroundEvery-1 {
				s = append(s, []int{})
				continue
			}
			k := 1 + rng.IntN(3)
			s = append(s, rng.Perm(len(vocNames))[:k])
		}
		return s
	}
	ls := synth.LabelSets{Classes: vocNames, Train: sets(nTrain), Val: sets(nVal), Test: sets(nTest)}
	voc, err := synth.GenerateWithLabelSets(tmp, synth.Config{Seed: 11, Size: size}, ls, nil)
	if err != nil {
		return err
	}
	splits := map[string][]string{}
	for _, s := range []string{"train", "val", "test"} {
		b, err := os.ReadFile(filepath.Join(voc, "ImageSets", "Main", s+".txt"))
		if err != nil {
			return err
		}
		splits[s] = strings.Fields(string(b))
	}
	if err := writeVOC(filepath.Join(out, "shapes-voc"), voc, splits); err != nil {
		return err
	}
	return writeYOLO(filepath.Join(out, "shapes-yolo"), voc, splits)
}

// annotation is the part of synth's XML the fixtures need.
type annotation struct {
	Objects []struct {
		Name      string `xml:"name"`
		Difficult int    `xml:"difficult"`
		Box       struct {
			Xmin int `xml:"xmin"`
			Ymin int `xml:"ymin"`
			Xmax int `xml:"xmax"`
			Ymax int `xml:"ymax"`
		} `xml:"bndbox"`
	} `xml:"object"`
}

func readAnnotation(voc, id string) ([]byte, *annotation, error) {
	src, err := os.ReadFile(filepath.Join(voc, "Annotations", id+".xml"))
	if err != nil {
		return nil, nil, err
	}
	var a annotation
	if err := xml.Unmarshal(src, &a); err != nil {
		return nil, nil, fmt.Errorf("%s.xml: %w", id, err)
	}
	return src, &a, nil
}

// writeVOC copies the synthetic set into a custom VOC folder: no VOC2007
// level, the folder name in the XML, some images as PNG (found through the
// XML's <filename>).
func writeVOC(dir, voc string, splits map[string][]string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	for _, d := range []string{"Annotations", "JPEGImages", filepath.Join("ImageSets", "Main")} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	n := 0
	for _, s := range []string{"train", "val", "test"} {
		for _, id := range splits[s] {
			n++
			src, _, err := readAnnotation(voc, id)
			if err != nil {
				return err
			}
			jpg, err := os.ReadFile(filepath.Join(voc, "JPEGImages", id+".jpg"))
			if err != nil {
				return err
			}
			name := id + ".jpg"
			if n%pngEvery == 0 {
				img, err := jpeg.Decode(bytes.NewReader(jpg))
				if err != nil {
					return err
				}
				var buf bytes.Buffer
				if err := png.Encode(&buf, img); err != nil {
					return err
				}
				jpg, name = buf.Bytes(), id+".png"
			}
			x := strings.Replace(string(src), "<folder>VOC2007</folder>", "<folder>shapes-voc</folder>", 1)
			x = strings.Replace(x, "<filename>"+id+".jpg</filename>", "<filename>"+name+"</filename>", 1)
			if err := os.WriteFile(filepath.Join(dir, "Annotations", id+".xml"), []byte(x), 0o644); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, "JPEGImages", name), jpg, 0o644); err != nil {
				return err
			}
		}
	}
	lists := map[string][]string{"train": splits["train"], "val": splits["val"], "test": splits["test"],
		"trainval": append(slices.Clone(splits["train"]), splits["val"]...)}
	for s, ids := range lists {
		if err := os.WriteFile(filepath.Join(dir, "ImageSets", "Main", s+".txt"), []byte(strings.Join(ids, "\n")+"\n"), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// writeYOLO writes the same images in the Ultralytics layout, boxes
// normalized to the image, class indices in yoloNames order.
func writeYOLO(dir, voc string, splits map[string][]string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	yaml := "# Ultralytics YOLO layout, written by go run ./tools/genfixtures -out data/testdata\n" +
		"path: .\ntrain: images/train\nval: images/val\ntest: images/test  # optional\n\nnc: 4\nnames:\n"
	for i, n := range yoloNames {
		yaml += fmt.Sprintf("  %d: %s\n", i, n)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "data.yaml"), []byte(yaml), 0o644); err != nil {
		return err
	}
	background := 0
	for _, s := range []string{"train", "val", "test"} {
		for _, d := range []string{"images", "labels"} {
			if err := os.MkdirAll(filepath.Join(dir, d, s), 0o755); err != nil {
				return err
			}
		}
		for _, id := range splits[s] {
			_, a, err := readAnnotation(voc, id)
			if err != nil {
				return err
			}
			jpg, err := os.ReadFile(filepath.Join(voc, "JPEGImages", id+".jpg"))
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, "images", s, id+".jpg"), jpg, 0o644); err != nil {
				return err
			}
			var b strings.Builder
			for _, o := range a.Objects {
				c := slices.Index(yoloNames, o.Name)
				if c < 0 {
					return fmt.Errorf("%s: class %q", id, o.Name)
				}
				// VOC boxes are 1-based and inclusive.
				x0, y0, x1, y1 := float64(o.Box.Xmin-1), float64(o.Box.Ymin-1), float64(o.Box.Xmax), float64(o.Box.Ymax)
				fmt.Fprintf(&b, "%d %.6f %.6f %.6f %.6f\n", c, (x0+x1)/2/size, (y0+y1)/2/size, (x1-x0)/size, (y1-y0)/size)
			}
			if len(a.Objects) == 0 {
				background++
				if background%yoloNoLabelFileEvery == 0 {
					continue // a background image without a label file
				}
			}
			if err := os.WriteFile(filepath.Join(dir, "labels", s, id+".txt"), []byte(b.String()), 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
