package main

import (
	"strings"
	"testing"
)

// help -markdown has a section with a flag table for every command, and
// leaves -h working as before.
func TestHelpMarkdown(t *testing.T) {
	rc, out, errs := cli(t, "help", "-markdown")
	if rc != 0 {
		t.Fatalf("exit %d: %s", rc, errs)
	}
	for _, n := range commandNames() {
		if !strings.Contains(out, "## multilabel "+n+"\n") {
			t.Errorf("no section for %s", n)
		}
	}
	for _, want := range []string{"| `-data string` |", "`multilabel predict [flags] image-or-folder...`", "Deprecated aliases, still accepted: `-split` (use -train)"} {
		if !strings.Contains(out, strings.Trim(want, "`")) {
			t.Errorf("output lacks %q", want)
		}
	}
	rc, out, _ = cli(t, "eval", "-h")
	if rc != 0 || !strings.Contains(out, "-thresholds") || captureFlags != nil {
		t.Errorf("eval -h after help -markdown: exit %d\n%s", rc, out)
	}
}
