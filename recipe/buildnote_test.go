package recipe

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFusedNote(t *testing.T) {
	for _, c := range []struct {
		settings []debug.BuildSetting
		want     string
	}{
		{nil, ""},
		{[]debug.BuildSetting{{Key: "GOARCH", Value: "amd64"}, {Key: "GOAMD64", Value: "v1"}}, ""},
		{[]debug.BuildSetting{{Key: "GOAMD64", Value: "v2"}}, ""},
		{[]debug.BuildSetting{{Key: "GOAMD64", Value: "v3"}}, "GOAMD64=v3"},
		{[]debug.BuildSetting{{Key: "CGO_ENABLED", Value: "0"}, {Key: "GOAMD64", Value: "v4"}}, "GOAMD64=v4"},
	} {
		got := fusedNote(c.settings)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%v: %q, want one naming %q", c.settings, got, c.want)
		}
	}
}
