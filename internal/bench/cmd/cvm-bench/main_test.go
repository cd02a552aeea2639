package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

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

// TestWriteReportKeepsTheAnalysis checks that a run replaces the generated
// block only, and that a file without one gets it.
func TestWriteReportKeepsTheAnalysis(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	block := func(s string) string { return beginMarker + "\n" + s + "\n" + endMarker + "\n" }
	if err := writeReport(path, block("first")); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), block("first")) {
		t.Fatalf("new file:\n%s", b)
	}
	doc := "# Benchmarks\n\nMethod.\n\n" + block("old numbers") + "\n## Analysis\n\nBy hand.\n"
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := writeReport(path, block("new numbers")); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(path)
	if want := strings.Replace(doc, "old numbers", "new numbers", 1); string(b) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", b, want)
	}
}

// TestWrapperRecordsTheProvider runs the wrapper script, as Terraform would
// run the provider, around a shell that burns some CPU, and checks that it
// passes arguments and stdout through and records the child's usage.
func TestWrapperRecordsTheProvider(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	dir := t.TempDir()
	self, err := os.Executable() // the test binary: TestMain below serves wrap-provider
	if err != nil {
		t.Fatal(err)
	}
	child := filepath.Join(dir, "it's a child") // quoted in the script
	if err := os.WriteFile(child, []byte("#!/bin/sh\ni=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo \"handshake $1 $2\"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "terraform-provider-cvm")
	if err := os.WriteFile(script, []byte(wrapperScript(self, child, dir)), 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(script, "a b", "c").Output()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "handshake a b c\n" {
		t.Errorf("stdout %q", out)
	}
	recs, err := readRecords(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
	r := recs[0]
	if r.Exit != 0 || r.MaxRSSKB <= 0 || r.cpu() <= 0 || r.Wall <= 0 || r.Wall > time.Minute {
		t.Errorf("record %+v", r)
	}
	if again, _ := readRecords(dir); len(again) != 0 {
		t.Errorf("records were not removed once read")
	}
}

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == wrapCommand {
		os.Exit(wrapProvider(os.Args[2:]))
	}
	os.Exit(m.Run())
}
