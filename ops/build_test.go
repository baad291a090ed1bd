package ops

import (
	"runtime/debug"
	"testing"
)

func TestFusedLevelOf(t *testing.T) {
	for _, c := range []struct {
		settings []debug.BuildSetting
		want     string
	}{
		{nil, ""},
		{[]debug.BuildSetting{{Key: "GOARCH", Value: "amd64"}, {Key: "GOAMD64", Value: "v1"}}, ""},
		{[]debug.BuildSetting{{Key: "GOAMD64", Value: "v2"}}, ""},
		{[]debug.BuildSetting{{Key: "GOAMD64", Value: "v3"}}, "v3"},
		{[]debug.BuildSetting{{Key: "CGO_ENABLED", Value: "0"}, {Key: "GOAMD64", Value: "v4"}}, "v4"},
		{[]debug.BuildSetting{{Key: "GOARCH", Value: "arm64"}}, ""},
	} {
		if got := fusedLevelOf(c.settings); got != c.want {
			t.Errorf("%v: %q, want %q", c.settings, got, c.want)
		}
	}
}
