package data

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Target values of Item.Labels.
const (
	Positive int8 = 1  // the class is in the image
	Negative int8 = 0  // the class is not in the image
	Ignored  int8 = -1 // unknown (e.g. a VOC class seen only on "difficult" objects): no loss, no metric
)

// Dataset is a multilabel data set: C class names and, per image, C targets.
type Dataset struct {
	Classes []string // class names; the class index is the position here
	Items   []Item

	Skipped int // bad items left out (Options.SkipBad), each reported to Options.Warn
	Dropped int // items left out by rule, not by error (COCO images without annotations)

	// DroppedLabels counts, per class name, the labels left out because
	// they are not in Options.Classes (Options.DropOthers).
	DroppedLabels map[string]int
}

// countDropped records labels left out by DropOthers.
func (d *Dataset) countDropped(names []string) {
	for _, n := range names {
		if d.DroppedLabels == nil {
			d.DroppedLabels = map[string]int{}
		}
		d.DroppedLabels[n]++
	}
}

// Background is the number of items without any positive label (images
// with no object, kept as negatives for every class).
func (d *Dataset) Background() int {
	n := 0
	for _, it := range d.Items {
		if !slices.Contains(it.Labels, Positive) {
			n++
		}
	}
	return n
}

// Item is one image and its targets.
type Item struct {
	Path   string // image file (absolute, or relative to the working directory)
	Labels []int8 // len(Classes): Positive, Negative or Ignored per class
}

// Options are shared by every loader.
type Options struct {
	// Classes, when non-nil, fixes the class list and its order (the class
	// index is the position here); a label outside it is an error, unless
	// DropOthers. When nil, each loader uses the classes of the file: sorted
	// as the reference does (VOC, CSV, COCO, the reference's JSON), or in the
	// file's index order (YOLO).
	Classes []string

	// DropOthers leaves out labels that are not in Classes (counted in
	// Dataset.DroppedLabels) instead of failing: Classes then picks a subset
	// of the data set's classes.
	DropOthers bool

	// SkipBad leaves out bad items (a label not in the class list, a missing
	// image, an unreadable annotation file) instead of failing: each one is
	// passed to Warn and counted in Dataset.Skipped. A file that cannot be
	// read at all (the split list, a JSON whose syntax is broken) still
	// fails.
	SkipBad bool

	// Warn receives skipped items and other warnings (an image without
	// labels). nil discards them.
	Warn func(error)

	// NoFileCheck skips the os.Stat of every image at load time (fast load of
	// huge lists; a missing file then shows up when the Loader decodes it).
	NoFileCheck bool
}

// ItemError is an error about one item, naming the file (and line) it came from.
type ItemError struct {
	File string // the annotation or list file
	Line int    // 1-based line in File, 0 when not known
	Item string // image id or path, "" when not known
	Err  error
}

func (e *ItemError) Error() string {
	var b strings.Builder
	b.WriteString("data: ")
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	if e.Item != "" {
		b.WriteString(": " + e.Item)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return oneLine.Replace(b.String())
}

// oneLine escapes line breaks: an error quotes what it found in a user's
// file (an entry, a name, a path), which may hold any character, and it
// must stay one line.
var oneLine = strings.NewReplacer("\n", `\n`, "\r", `\r`, "\u2028", `\u2028`, "\u2029", `\u2029`)

func (e *ItemError) Unwrap() error { return e.Err }

// ErrUnknownLabel is wrapped by errors about labels outside the class list.
var ErrUnknownLabel = errors.New("label not in the class list")

// builder collects items with the shared SkipBad / Warn / file-check rules.
type builder struct {
	opt   Options
	ds    *Dataset
	index map[string]int // class name -> index
}

// newBuilder fixes the class list: opt.Classes if set, else the distinct
// names of found sorted by order (strings.Compare is Python's sorted on str;
// nil keeps the order of first appearance).
func newBuilder(opt Options, found []string, order func(a, b string) int) (*builder, error) {
	classes := opt.Classes
	if classes == nil {
		classes = distinct(found)
		if order != nil {
			slices.SortStableFunc(classes, order)
		}
	}
	index := make(map[string]int, len(classes))
	for i, c := range classes {
		if _, dup := index[c]; dup {
			return nil, fmt.Errorf("data: class %q listed twice", c)
		}
		index[c] = i
	}
	return &builder{opt: opt, ds: &Dataset{Classes: classes}, index: index}, nil
}

// distinct returns the names of s without repeats, in first-seen order.
func distinct(s []string) []string {
	seen := make(map[string]bool, len(s))
	out := make([]string, 0, len(s))
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// bad handles an item error: returned (fatal) unless SkipBad, in which case
// it is reported, counted and nil is returned.
func (b *builder) bad(err error) error {
	if !b.opt.SkipBad {
		return err
	}
	b.ds.Skipped++
	b.warn(err)
	return nil
}

func (b *builder) warn(err error) {
	if b.opt.Warn != nil {
		b.opt.Warn(err)
	}
}

// add appends an item after checking that its image exists.
func (b *builder) add(path string, labels []int8, file string, line int) error {
	if !b.opt.NoFileCheck {
		if st, err := os.Stat(path); err != nil {
			return b.bad(&ItemError{File: file, Line: line, Item: path, Err: fmt.Errorf("image: %w", err)})
		} else if st.IsDir() {
			return b.bad(&ItemError{File: file, Line: line, Item: path, Err: errors.New("image path is a directory")})
		}
	}
	b.ds.Items = append(b.ds.Items, Item{Path: path, Labels: labels})
	return nil
}

// labels turns names into a target vector (duplicates collapse to one
// positive). The error names the first unknown label.
func (b *builder) labels(names []string) ([]int8, error) {
	t := make([]int8, len(b.ds.Classes))
	var dropped []string
	for _, n := range names {
		i, ok := b.index[n]
		if !ok {
			if b.opt.DropOthers {
				dropped = append(dropped, n)
				continue
			}
			return nil, fmt.Errorf("%w: %q", ErrUnknownLabel, n)
		}
		t[i] = Positive
	}
	b.ds.countDropped(dropped)
	return t, nil
}

// PositiveCounts returns, per class, how many items are positive.
func (d *Dataset) PositiveCounts() []int {
	n := make([]int, len(d.Classes))
	for _, it := range d.Items {
		for c, v := range it.Labels {
			if v == Positive {
				n[c]++
			}
		}
	}
	return n
}

// LabelsPerImage is the mean number of positive labels per item (VOC 2007
// trainval: 1.58, docs/method.md §7).
func (d *Dataset) LabelsPerImage() float64 {
	if len(d.Items) == 0 {
		return 0
	}
	total := 0
	for _, n := range d.PositiveCounts() {
		total += n
	}
	return float64(total) / float64(len(d.Items))
}

// Subset returns a data set with the given items (shared, not copied) and
// the same classes.
func (d *Dataset) Subset(idx []int) *Dataset {
	s := &Dataset{Classes: d.Classes, Items: make([]Item, len(idx))}
	for k, i := range idx {
		s.Items[k] = d.Items[i]
	}
	return s
}

// PositiveNames lists the class names that are positive for item i.
func (d *Dataset) PositiveNames(i int) []string {
	var out []string
	for c, v := range d.Items[i].Labels {
		if v == Positive {
			out = append(out, d.Classes[c])
		}
	}
	return out
}

// lineAt returns the 1-based line of byte offset off in src.
func lineAt(src []byte, off int64) int {
	if off > int64(len(src)) {
		off = int64(len(src))
	}
	line := 1
	for _, c := range src[:off] {
		if c == '\n' {
			line++
		}
	}
	return line
}
