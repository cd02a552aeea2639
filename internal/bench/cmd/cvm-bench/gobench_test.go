package main

import "testing"

func TestParseBenchLine(t *testing.T) {
	b, ok := parseBenchLine("BenchmarkListing/n=10000-2 \t       1\t2663872528 ns/op\t      2600 T*-ms\t       100.0 requests/op\t         0 throttled/op\t 6492584 B/op")
	if !ok {
		t.Fatal("a result line was not recognised")
	}
	if b.Name != "BenchmarkListing/n=10000" || b.N != 1 {
		t.Errorf("name %q, N %d", b.Name, b.N)
	}
	want := map[string]float64{"ns/op": 2663872528, "T*-ms": 2600, "requests/op": 100, "throttled/op": 0, "B/op": 6492584}
	for unit, v := range want {
		if got, ok := b.Metrics[unit]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", unit, got, ok, v)
		}
	}
	for _, line := range []string{"PASS", "goos: linux", "--- SKIP: BenchmarkListing/n=100000", "BenchmarkX-2 \t 1 \t notanumber ns/op"} {
		if _, ok := parseBenchLine(line); ok {
			t.Errorf("%q was taken for a result", line)
		}
	}
}
