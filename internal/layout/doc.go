// Package layout checks the shape of the repository itself: its tests fail
// when a package imports one on its own floor or above (docs/layout.md
// draws the floors), when a Go file grows past 800 lines or the median past
// 150, and when a package's doc comment does not open with what the
// package is for. It has no code of its own.
package layout
