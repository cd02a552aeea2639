package main

import (
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// Each verdict covers what ran and says so: yes, no, or not measured, and
// a run fails on no, and on not measured unless an option left the
// measurements out.
func TestVerdicts(t *testing.T) {
	const (
		requests  = "requests = "
		throttled = "`throttled` = 0 at"
		inProc10k = "in-process wall ≤ 1.1 × T* at n = 10,000"
		inProcBig = "in-process wall ≤ 1.1 × T* at n = 100,000"
		planTime  = "`terraform plan` − baseline"
		speedup   = "speedup over serial paging"
		rss       = "provider peak RSS"
		cpu       = "provider CPU"
		growthT   = "growth linear in pages"
		shared1   = "1 process alone (reference) (1 ×"
		shared2   = "2 processes, one account (2 ×"
		shared2T  = "2 processes, one account: throttled"
		shared4   = "4 processes, one account (4 ×"
		shared4T  = "4 processes, one account: throttled"
		overConf  = "1 process, `rate_limit` above the service's ("
		waitGap   = "action wait, n = 10,000: progress messages"
		waitCost  = "action wait, n = 10,000: bytes allocated per poll"
	)
	targetNotMeasured := "**not measured**"
	for _, c := range []struct {
		name   string
		change func(rr *runResults)
		want   map[string]string // by target prefix: the verdict shown; every other target "yes"
		fails  bool
		// measured is a piece of the measured column of the first target in want.
		measured string
	}{
		{name: "a whole run that meets every target", change: func(*runResults) {}},
		{
			name:   "the emulator logged no read span",
			change: func(rr *runResults) { editRuns(*rr, "shared/2", func(r *planRun) { r.ReadSpan = 0 }) },
			want:   map[string]string{shared2: targetNotMeasured}, fails: true, measured: "missing: plan shared/2 read span",
		},
		{
			name:   "one run of three without its read span",
			change: func(rr *runResults) { rr.plans["overconfigured"].Runs[1].ReadSpan = 0 },
			want:   map[string]string{overConf: targetNotMeasured}, fails: true,
		},
		{
			name: "the read span over the bound",
			change: func(rr *runResults) {
				editRuns(*rr, "shared/4", func(r *planRun) { r.ReadSpan = time.Duration(1.4 * float64(sharedRowOf(t, "", "shared/4").bound())) })
			},
			want: map[string]string{shared4: "**no**"}, fails: true, measured: "= 1.400 × bound",
		},
		{
			name: "BENCH_FULL=0",
			change: func(rr *runResults) {
				rr.full = false
				delete(rr.goResults, "BenchmarkListing/n=100000")
				delete(rr.goResults, "BenchmarkProviderRead/n=100000")
				delete(rr.plans, "list/100000")
			},
			want: map[string]string{
				requests:  "yes (25 of 27 reads ran; BENCH_FULL=0 left out 2)",
				throttled: "yes (17 of 19 reads ran; BENCH_FULL=0 left out 2)",
				inProcBig: "not measured (BENCH_FULL=0)", rss: "not measured (BENCH_FULL=0)", cpu: "not measured (BENCH_FULL=0)",
				growthT: "not measured (BENCH_FULL=0)",
			},
		},
		{
			name:   "-gobench=false",
			change: func(rr *runResults) { rr.goBench, rr.goResults = false, map[string]goBench{} },
			want: map[string]string{
				requests:  "yes (14 of 27 reads ran; -gobench=false left out 13)",
				throttled: "yes (10 of 19 reads ran; -gobench=false left out 9)",
				inProc10k: "not measured (-gobench=false)", inProcBig: "not measured (-gobench=false)", speedup: "not measured (-gobench=false)",
				growthT: "yes (2 of 6 measures ran; -gobench=false left out 4)", waitGap: "not measured (-gobench=false)", waitCost: "not measured (-gobench=false)",
				readinessTarget: "not measured (-gobench=false)",
			},
		},
		{
			name: "-only shared/2",
			change: func(rr *runResults) {
				rr.only = regexp.MustCompile("shared/2")
				maps.DeleteFunc(rr.plans, func(key string, _ planResult) bool { return key != "baseline" && key != "shared/2" })
			},
			want: map[string]string{
				requests:  "yes (14 of 27 reads ran; -only left out 13)",
				throttled: "yes (9 of 19 reads ran; -only left out 10)",
				planTime:  "not measured (-only)", rss: "not measured (-only)", cpu: "not measured (-only)",
				growthT:                        "yes (4 of 6 measures ran; -only left out 2)",
				"ten parallel data sources, o": "not measured (-only)", "ten parallel data sources, t": "not measured (-only)",
				shared1: "not measured (-only)", "1 process alone (reference):": "not measured (-only)",
				shared4: "not measured (-only)", shared4T: "not measured (-only)", overConf: "not measured (-only)",
			},
		},
		{
			name:   "nothing left out, and nothing ran",
			change: func(rr *runResults) { rr.goResults, rr.plans = map[string]goBench{}, map[string]planResult{} },
			want: map[string]string{
				requests: targetNotMeasured, throttled: targetNotMeasured, inProc10k: targetNotMeasured, inProcBig: targetNotMeasured, planTime: targetNotMeasured,
				waitGap: targetNotMeasured, waitCost: targetNotMeasured,
				speedup: targetNotMeasured, rss: targetNotMeasured, cpu: targetNotMeasured, growthT: targetNotMeasured,
				"ten parallel data sources, o": targetNotMeasured, "ten parallel data sources, t": targetNotMeasured,
				shared1: targetNotMeasured, "1 process alone (reference):": targetNotMeasured, shared2: targetNotMeasured, shared2T: targetNotMeasured,
				shared4: targetNotMeasured, shared4T: targetNotMeasured, overConf: targetNotMeasured,
				readinessTarget: targetNotMeasured,
			},
			fails: true,
		},
		{
			name:   "a Go benchmark missing although it was to run",
			change: func(rr *runResults) { delete(rr.goResults, "BenchmarkByIDs/ids=100") },
			want:   map[string]string{requests: targetNotMeasured, throttled: targetNotMeasured}, fails: true,
			measured: "missing: BenchmarkByIDs/ids=100 requests/op, BenchmarkByIDs/ids=100 throttled/op",
		},
		{
			name:   "a Go benchmark without its metric",
			change: func(rr *runResults) { delete(rr.goResults["BenchmarkListing/n=1000"].Metrics, "throttled/op") },
			want:   map[string]string{requests: targetNotMeasured, throttled: targetNotMeasured}, fails: true,
		},
		{
			name:   "a wall of 0",
			change: func(rr *runResults) { rr.goResults["BenchmarkListing/n=100000"].Metrics["ns/op"] = 0 },
			want:   map[string]string{inProcBig: targetNotMeasured, growthT: targetNotMeasured}, fails: true,
		},
		{
			name:   "one request too many",
			change: func(rr *runResults) { rr.plans["ids/1000"].Runs[2].Requests++ },
			want:   map[string]string{requests: "**no**"}, fails: true, measured: "plan ids/1000: 11 requests, 0 throttled; want 10",
		},
		{
			name:   "throttled at the service's rate",
			change: func(rr *runResults) { rr.goResults["BenchmarkListing/n=1000"].Metrics["throttled/op"] = 1 },
			want:   map[string]string{throttled: "**no**"}, fails: true, measured: "BenchmarkListing/n=1000: 1 throttled/op",
		},
		{
			name:   "too slow at n = 10,000",
			change: func(rr *runResults) { editRuns(*rr, "list/10000", func(r *planRun) { r.Wall += 2 * time.Second }) },
			want:   map[string]string{planTime: "**no**"}, fails: true,
		},
		{
			name:   "a plan faster than the empty one",
			change: func(rr *runResults) { editRuns(*rr, "list/10000", func(r *planRun) { r.Wall = time.Millisecond }) },
			want:   map[string]string{planTime: targetNotMeasured}, fails: true,
		},
		{
			name:   "serial paging 3× slower only",
			change: func(rr *runResults) { rr.goResults["BenchmarkListingSerial/n=10000"].Metrics["ns/op"] *= 0.75 },
			want:   map[string]string{speedup: "**no**"}, fails: true, measured: "3.00×",
		},
		{
			name: "too much memory",
			change: func(rr *runResults) {
				editRuns(*rr, "list/100000", func(r *planRun) { r.Procs[0].MaxRSSKB = 300 * 1024 })
			},
			want: map[string]string{rss: "**no**", growthT: "**no**"}, fails: true,
		},
		{
			name:   "allocations per instance doubled at 10× n",
			change: func(rr *runResults) { rr.goResults["BenchmarkProviderRead/n=100000"].Metrics["allocs/op"] *= 2 },
			want:   map[string]string{growthT: "**no**"}, fails: true, measured: "conversion allocations ×2.00",
		},
		{
			name: "no more memory at n = 10,000 than with no read",
			change: func(rr *runResults) {
				editRuns(*rr, "list/10000", func(r *planRun) { r.Procs[0].MaxRSSKB = rr.plans["noop"].Runs[0].Procs[0].MaxRSSKB })
			},
			want: map[string]string{growthT: targetNotMeasured}, fails: true, measured: "missing: plan list/10000 peak RSS − plan noop peak RSS",
		},
		{
			name:   "processes sharing an account throttled too often",
			change: func(rr *runResults) { rr.plans["shared/4"].Runs[0].Throttled = 60 },
			want:   map[string]string{shared4T: "**no**", requests: "**no**"}, fails: true,
		},
		{
			name:   "the action's messages closer than a second",
			change: func(rr *runResults) { rr.goResults["BenchmarkWait/action/n=10000"].Metrics["min-gap-ms"] = 300 },
			want:   map[string]string{waitGap: "**no**"}, fails: true, measured: "closest two 300 ms apart; 1.40 messages/s",
		},
		{
			name:   "the action's polls cost more than the data source's",
			change: func(rr *runResults) { rr.goResults["BenchmarkWait/action/n=10000"].Metrics["B/poll"] = 14e6 },
			want:   map[string]string{waitCost: "**no**"}, fails: true, measured: "= 1.27×",
		},
		{
			name:   "ten data sources throttled",
			change: func(rr *runResults) { rr.plans["ten-regions"].Runs[0].Throttled = 3 },
			want:   map[string]string{"ten parallel data sources, t": "**no**", throttled: "**no**"}, fails: true,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			rr := wholeRun(t)
			c.change(&rr)
			vs := judge(rr)
			seen := map[string]bool{}
			for _, v := range vs {
				want := "yes"
				for prefix, w := range c.want {
					if strings.HasPrefix(v.target, prefix) {
						want = w
						seen[prefix] = true
					}
				}
				if v.shown() != want {
					t.Errorf("%s: %s (%s), want %s", v.target, v.shown(), v.measured, want)
				}
			}
			for prefix := range c.want {
				if !seen[prefix] {
					t.Errorf("no target %q", prefix)
				}
			}
			if c.measured != "" {
				if i := slices.IndexFunc(vs, func(v verdict) bool { return !strings.Contains(v.shown(), "yes") }); i < 0 || !strings.Contains(vs[i].measured, c.measured) {
					t.Errorf("measured %q, want it to say %q", vs[max(i, 0)].measured, c.measured)
				}
			}
			if err := unmet(vs); (err != nil) != c.fails {
				t.Errorf("the run fails: %v, want %v", err, c.fails)
			}
		})
	}
}

// Delete the emulator's read-span log line, and cvm-bench refuses to say
// "met": the real log of a read, with and without its "api request" lines,
// goes through what a plan's run takes from it (runReadSpan) into every
// processes-sharing-an-account case of an otherwise whole run, then through
// the verdicts, the report written to BENCHMARKS.md, and the run's end
// (conclude, whose error is cvm-bench's exit status 1).
func TestNoReadSpanLineNoMet(t *testing.T) {
	logged := logRead(t)
	for _, c := range []struct {
		name  string
		log   loggedRead
		shown string
	}{
		{"the emulator's log", logged, "yes"},
		{"without its read-span lines", logged.withoutLines(t, func(line string) bool { return strings.Contains(line, `msg="api request"`) }), "**not measured**"},
	} {
		t.Run(c.name, func(t *testing.T) {
			span, err := c.log.emu.runReadSpan(c.log.offset, c.log.stats)
			if err != nil {
				t.Fatal(err)
			}
			rr := wholeRun(t)
			for _, w := range sharedRows() {
				editRuns(rr, w.planKey, func(r *planRun) { r.ReadSpan = span })
			}
			rep := &report{opts: options{full: true, goBench: true, reps: 3, repsFull: 3}, goResults: rr.goResults, plans: rr.plans,
				sizes: listingSizes(true), began: time.Now()}
			path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
			err = conclude(rep, path, io.Discard)
			if fails := c.shown != "yes"; (err != nil) != fails {
				t.Errorf("the run fails: %v, want %v", err, fails)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range sharedRows() {
				var row string
				for line := range strings.Lines(string(b)) {
					if strings.HasPrefix(line, "| "+w.label+" (") {
						row = strings.TrimSpace(line)
					}
				}
				if !strings.HasSuffix(row, "| "+c.shown+" |") {
					t.Errorf("the report's row of %s: %q, want it to end in %q", w.label, row, c.shown)
				}
			}
		})
	}
}
