package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/bench"
	"github.com/cvmkit/terraform-provider-cvm/internal/credentials"
	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// wholeCases are the plan cases of a whole run, as run builds them.
func wholeCases(t *testing.T) []planCase {
	t.Helper()
	o := options{full: true, goBench: true, reps: 3, repsFull: 3}
	idSource := bench.Instances(bench.IDSource)
	emu := &emulatorProc{url: "http://127.0.0.1:1"}
	return slices.Concat(planCases(o, listingSizes(true), idSource), sharedCases(o, emu, emu, idSource))
}

// wholeRun is what a whole run measures when every target is met, with
// figures near those of BENCHMARKS.md.
func wholeRun(t *testing.T) runResults {
	t.Helper()
	rr := runResults{full: true, goBench: true, goResults: map[string]goBench{}, plans: map[string]planResult{}}
	for _, r := range reads() {
		if r.goName == "" {
			continue
		}
		wall := 1.02 * float64(bench.TStar(r.size))
		m := map[string]float64{"requests/op": float64(r.requests), "throttled/op": 0, "B/op": 700 * float64(r.size)}
		if strings.HasPrefix(r.goName, "BenchmarkListingSerial") {
			wall *= 4
		}
		if r.shared {
			w := sharedRowOf(t, r.goName, "")
			wall = float64(w.bound())
			m["requests/op"], m["throttled/op"] = float64(r.requests+w.throttled()), float64(w.throttled())
		}
		m["ns/op"] = wall
		rr.goResults[r.goName] = goBench{Name: r.goName, N: 1, Metrics: m}
	}
	for _, n := range []int{10_000, bench.FullSize} {
		name := fmt.Sprintf("BenchmarkProviderRead/n=%d", n)
		rr.goResults[name] = goBench{Name: name, N: 1, Metrics: map[string]float64{"ns/op": 1400 * float64(n), "B/op": 550 * float64(n), "allocs/op": 4 * float64(n), "state-bytes": 60 * float64(n)}}
	}
	for way, m := range map[string]map[string]float64{
		"data-source": {"ns/op": 1.4e9, "polls/op": bench.WaitPolls, "B/poll": 11e6, "cpu-ms/poll": 44},
		"action":      {"ns/op": 2.2e9, "polls/op": bench.WaitPolls, "B/poll": 11.5e6, "cpu-ms/poll": 46, "messages/op": 3, "messages/s": 1.4, "min-gap-ms": 998},
	} {
		name := fmt.Sprintf("BenchmarkWait/%s/n=%d", way, bench.WaitSize)
		rr.goResults[name] = goBench{Name: name, N: 1, Metrics: m}
	}
	best, _ := bench.ReadinessTStar(bench.ReadinessIDs)
	rr.goResults[readinessGoName] = goBench{Name: readinessGoName, N: 1, Metrics: map[string]float64{"ns/op": 1.1 * float64(best), "requests/op": float64(readinessRequests()), "throttled/op": 0}}
	for _, c := range wholeCases(t) {
		size := 0
		if _, after, ok := strings.Cut(c.Key, "/"); ok && !c.Shared {
			_, _ = fmt.Sscan(after, &size)
		}
		run := planRun{Wall: 115*time.Millisecond + time.Duration(1.2*float64(bench.TStar(size))), Requests: int64(c.Requests),
			Procs: []procRecord{{MaxRSSKB: 23_000 + int64(size/2), User: 200*time.Millisecond + time.Duration(size)*15*time.Microsecond}}}
		if c.Key == "baseline" {
			run = planRun{Wall: 115 * time.Millisecond}
		}
		if c.Shared {
			w := sharedRowOf(t, "", c.Key)
			run.Requests, run.Throttled = int64(c.Requests+w.throttled()), int64(w.throttled())
			run.ReadSpan = time.Duration(1.05 * float64(w.bound()))
		}
		rr.plans[c.Key] = planResult{Case: c, Runs: []planRun{run, run, run}}
	}
	return rr
}

// sharedRowOf is the row of processes sharing an account of a Go benchmark
// or a plan case.
func sharedRowOf(t *testing.T, goName, planKey string) sharedRow {
	t.Helper()
	for _, w := range sharedRows() {
		if w.goName == goName && goName != "" || w.planKey == planKey && planKey != "" {
			return w
		}
	}
	t.Fatalf("no shared row for %q %q", goName, planKey)
	return sharedRow{}
}

// throttled is how many answers wholeRun throttles in a run of the row:
// none for one process at the service's rate.
func (w sharedRow) throttled() int {
	if w.processes == 1 && w.rate <= w.service {
		return 0
	}
	return 4 * w.processes
}

// editRuns changes every run of a plan case.
func editRuns(rr runResults, key string, f func(*planRun)) {
	for i := range rr.plans[key].Runs {
		f(&rr.plans[key].Runs[i])
	}
}

// loggedRead is one read as an emulator logged it.
type loggedRead struct {
	emu     *emulatorProc  // its URL and its log, as cvm-bench knows an emulator process
	offset  int64          // where the log stood before the read
	stats   emulator.Stats // what the emulator counted for the read
	counted int64          // of which DescribeInstancesStatus requests
	wall    time.Duration  // the read as the client timed it
}

// logRead serves an emulator in-process, logging as the cvm-emulator
// command logs (slog's text handler at Info on its standard error, here a
// file), with latency and jitter set through the admin API as cvm-bench
// sets them, and reads a region of 1,000 instances through the client, as
// the provider reads it. Before the read, one listing and one
// GetCallerIdentity go into the log: the read span must leave out both.
func logRead(t *testing.T) loggedRead {
	t.Helper()
	const n = 1_000
	path := filepath.Join(t.TempDir(), "emulator.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() }) // after the emulator's Close, registered later
	key := emutest.Key{SecretID: bench.SecretID, SecretKey: bench.SecretKey}
	s := emutest.Listen(t, emulator.Config{
		Credentials: []emulator.Credential{{SecretID: key.SecretID, SecretKey: key.SecretKey}},
		Regions:     map[string][]emulator.Instance{bench.Region(n): bench.Instances(n)},
		Latency:     readLatency,
		Seed:        1,
		Logger:      slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	e := &emulatorProc{url: s.URL(), log: path}
	faults, err := json.Marshal(emulator.Faults{Latency: emulator.Duration(readLatency), Jitter: emulator.Duration(5 * time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.admin(http.MethodPut, "faults", faults, nil); err != nil {
		t.Fatal(err)
	}
	c, err := cvm.New(cvm.Config{
		Endpoint:    s.URL(),
		Credentials: credentials.StaticCredentials("bench", tcapi.Credential{SecretID: key.SecretID, SecretKey: key.SecretKey}),
		RateLimit:   1000,
	})
	if err != nil {
		t.Fatal(err)
	}
	read := func() {
		t.Helper()
		res, err := c.DescribeInstancesStatus(t.Context(), bench.Region(n), nil)
		if err != nil || len(res.Instances) != n {
			t.Fatalf("listing: %v", err)
		}
	}
	read()
	if err := e.resetStats(); err != nil {
		t.Fatal(err)
	}
	emutest.Call(t, s.URL(), key, "GetCallerIdentity", nil)
	r := loggedRead{emu: e}
	if r.offset, err = e.logSize(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	read()
	r.wall = time.Since(start)
	st, err := e.stats()
	if err != nil {
		t.Fatal(err)
	}
	r.stats, r.counted = st, st.ByAction["DescribeInstancesStatus"]
	if want := int64(cvm.ListingRequests(n)); r.counted != want {
		t.Fatalf("the emulator counted %d requests for the listing, want %d", r.counted, want)
	}
	return r
}

// withoutLines copies r's log, leaving out the lines of the read that drop
// picks, as an emulator that did not write them would have logged it.
func (r loggedRead) withoutLines(t *testing.T, drop func(line string) bool) loggedRead {
	t.Helper()
	b, err := os.ReadFile(r.emu.log)
	if err != nil {
		t.Fatal(err)
	}
	kept := slices.Clone(b[:r.offset])
	for line := range strings.Lines(string(b[r.offset:])) {
		if !drop(strings.TrimSuffix(line, "\n")) {
			kept = append(kept, line...)
		}
	}
	path := filepath.Join(t.TempDir(), "emulator.log")
	if err := os.WriteFile(path, kept, 0o600); err != nil {
		t.Fatal(err)
	}
	out := r
	out.emu = &emulatorProc{url: r.emu.url, log: path}
	return out
}
