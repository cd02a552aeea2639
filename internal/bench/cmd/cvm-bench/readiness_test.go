package main

import (
	"strings"
	"testing"
)

// readinessTarget begins the readiness target's row.
const readinessTarget = "1,000 IDs with every readiness check"

func TestReadinessVerdict(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(m map[string]float64)
		want   string
	}{
		{"within 1.2 × the slowest action's T*", func(map[string]float64) {}, "yes"},
		{"the sum of the actions' T*, not the slowest", func(m map[string]float64) { m["ns/op"] = 1.6e9 }, "**no**"},
		{"a request more than the actions' pages", func(m map[string]float64) { m["requests/op"]++ }, "**no**"},
		{"throttled", func(m map[string]float64) { m["throttled/op"] = 1 }, "**no**"},
		{"no wall", func(m map[string]float64) { delete(m, "ns/op") }, "**not measured**"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rr := wholeRun(t)
			c.change(rr.goResults[readinessGoName].Metrics)
			v := readinessVerdict(rr)
			if !strings.HasPrefix(v.target, readinessTarget) || v.shown() != c.want {
				t.Errorf("%s: %s (%s), want %s", v.target, v.shown(), v.measured, c.want)
			}
		})
	}
}
