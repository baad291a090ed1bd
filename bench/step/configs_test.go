//go:build linux

package main

import "testing"

func TestSelectConfigs(t *testing.T) {
	for list, want := range map[string]int{"all": len(configs), "a": 1, "e": 2, "f": 2, "a,f1": 2, "e1": 1} {
		cs, err := selectConfigs(list)
		if err != nil || len(cs) != want {
			t.Errorf("%q: %d configurations, %v; want %d", list, len(cs), err, want)
		}
	}
	if _, err := selectConfigs("z"); err == nil {
		t.Error("unknown configuration accepted")
	}
	for _, c := range configs {
		tr, val := c.images()
		if c.Steps <= 0 || val <= 0 || (!c.Infer && tr != (c.Warmup+c.Steps)*c.Batch) {
			t.Errorf("%s: %d train, %d val images for %d+%d steps", c.Name, tr, val, c.Warmup, c.Steps)
		}
	}
}
