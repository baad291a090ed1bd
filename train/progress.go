package train

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Progress draws a one-line progress bar with items, rate and ETA:
//
//	epoch 3/8 [=========>          ] 24/50 batches  12.3 img/s  loss 4.213  ETA 1m05s
//
// On a terminal the line is redrawn in place (at most 4 times a second);
// when Out is not a terminal (CI logs) it prints a line every 10%.
type Progress struct {
	Out   io.Writer
	TTY   bool
	Label string
	Total int
	Unit  string // what the items are ("batches")

	start     time.Time
	last      time.Time
	lastTenth int
	items     int // images, for the rate
}

// NewProgress starts a bar.
func NewProgress(out io.Writer, tty bool, label string, total int, unit string) *Progress {
	now := time.Now()
	return &Progress{Out: out, TTY: tty, Label: label, Total: total, Unit: unit, start: now, last: now.Add(-time.Hour), lastTenth: -1}
}

// Update reports done of Total finished, with images processed so far and
// an extra text (the running loss).
func (p *Progress) Update(done, images int, extra string) {
	if p == nil || p.Out == nil {
		return
	}
	now := time.Now()
	p.items = images
	tenth := done * 10 / max(1, p.Total)
	if p.TTY {
		if now.Sub(p.last) < 250*time.Millisecond && done < p.Total {
			return
		}
		fmt.Fprintf(p.Out, "\r%s\x1b[K", p.line(done, now, extra))
	} else {
		if tenth == p.lastTenth && done < p.Total {
			return
		}
		fmt.Fprintln(p.Out, p.line(done, now, extra))
	}
	p.last, p.lastTenth = now, tenth
}

// Done ends the bar's line.
func (p *Progress) Done() {
	if p != nil && p.Out != nil && p.TTY {
		fmt.Fprintln(p.Out)
	}
}

func (p *Progress) line(done int, now time.Time, extra string) string {
	const width = 20
	el := now.Sub(p.start)
	fill := width * done / max(1, p.Total)
	bar := strings.Repeat("=", fill)
	if fill < width {
		bar += ">" + strings.Repeat(" ", width-fill-1)
	}
	rate := float64(p.items) / max(el.Seconds(), 1e-9)
	eta := "?"
	if done > 0 {
		left := time.Duration(float64(el) * float64(p.Total-done) / float64(done))
		eta = left.Round(time.Second).String()
	}
	if extra != "" {
		extra += "  "
	}
	return fmt.Sprintf("%s [%s] %d/%d %s  %.1f img/s  %sETA %s", p.Label, bar, done, p.Total, p.Unit, rate, extra, eta)
}
