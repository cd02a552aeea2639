package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

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

// The committed BENCHMARKS.md says what the generator would: which figures
// are asserted, and the targets, in the generator's words and order.
func TestCommittedReportSaysWhatIsAsserted(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile(filepath.Join(root, "BENCHMARKS.md"))
	if err != nil {
		t.Fatal(err)
	}
	rr := wholeRun(t)
	rep := &report{opts: options{full: true, goBench: true, reps: 3, repsFull: 3}, goResults: rr.goResults, plans: rr.plans, sizes: listingSizes(true)}
	rep.targetsTable(judge(rr))
	targets := func(text string) (prose string, cells []string) {
		_, table, _ := strings.Cut(text, "### Targets\n")
		for line := range strings.Lines(table) {
			switch {
			case strings.HasPrefix(line, "Asserted:"):
				prose = line
			case strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| target |"):
				cell, _, _ := strings.Cut(strings.TrimPrefix(line, "| "), " | ")
				cells = append(cells, cell)
			case strings.HasPrefix(line, "<!-- END"):
				return prose, cells
			}
		}
		return prose, cells
	}
	wantProse, wantCells := targets(rep.b.String())
	gotProse, gotCells := targets(string(committed))
	if wantProse == "" || gotProse != wantProse {
		t.Errorf("BENCHMARKS.md says of its targets:\n%s\nthe generator writes:\n%s", gotProse, wantProse)
	}
	if !slices.Equal(gotCells, wantCells) {
		t.Errorf("BENCHMARKS.md's targets:\n%s\nthe generator's:\n%s", strings.Join(gotCells, "\n"), strings.Join(wantCells, "\n"))
	}
}
