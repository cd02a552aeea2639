package main

import (
	"encoding/json"
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

// loggedRead is one read as an emulator logged it.
type loggedRead struct {
	emu     *emulatorProc  // its URL and its log, as cvm-bench knows an emulator process
	offset  int64          // where the log stood before the read
	stats   emulator.Stats // what the emulator counted for the read
	counted int64          // of which DescribeInstancesStatus requests
	wall    time.Duration  // the read as the client timed it
}

// readLatency is each answer's least delay in logRead; the jitter comes on
// top.
const readLatency = 20 * time.Millisecond

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
	if want := int64(bench.ListingRequests(n)); r.counted != want {
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

// apiRequestLine is the line the read span is measured from.
func apiRequestLine(line string) bool {
	return strings.Contains(line, `msg="api request"`) && strings.Contains(line, " action=DescribeInstancesStatus ")
}

// The read span of the processes-sharing-an-account rows, taken from what
// the emulator really logs: from the read's first request to its last
// answer, within the time the client saw the read take, and never from the
// requests before it or of other actions.
func TestReadSpanOfARealEmulatorLog(t *testing.T) {
	r := logRead(t)
	span, ok, err := r.emu.readSpan(r.offset, r.counted)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Fatalf("no read span in the emulator's log of %d requests", r.counted)
	}
	// A listing learns how many pages there are from the first before it
	// asks for the others: two answers, one after the other, each at least
	// readLatency late. The log's times are whole milliseconds.
	if low, high := 2*readLatency-time.Millisecond, r.wall+time.Millisecond; span < low || span > high {
		t.Fatalf("read span %s, want between %s (two round trips) and %s (the read as the client timed it)", span, low, high)
	}
	// From the beginning of the log, the span takes in the listing before
	// the read and counts its lines too: not the read's.
	if _, ok, err := r.emu.readSpan(0, r.counted); err != nil || ok {
		t.Fatalf("from the log's start: measured %v (%v), want not measured: it holds two listings", ok, err)
	}
}

// A read span is not measured when the log does not hold the read's
// requests: none of them (the emulator no longer writes the line, or no
// longer for this action), or not all.
func TestReadSpanNotMeasuredWithoutTheLines(t *testing.T) {
	r := logRead(t)
	for _, c := range []struct {
		name string
		drop func(line string) bool
	}{
		{"nothing dropped", func(string) bool { return false }}, // the control: measured
		{"no api request line", func(line string) bool { return strings.Contains(line, `msg="api request"`) }},
		{"no DescribeInstancesStatus line", apiRequestLine},
		{"one line lost", onlyOnce(apiRequestLine)},
	} {
		t.Run(c.name, func(t *testing.T) {
			cut := r.withoutLines(t, c.drop)
			span, ok, err := cut.emu.readSpan(cut.offset, cut.counted)
			if err != nil {
				t.Fatal(err)
			}
			if want := c.name == "nothing dropped"; ok != want {
				t.Fatalf("read span %s, measured %v; want measured %v", span, ok, want)
			}
		})
	}
}

// onlyOnce is true for the first line f is true for.
func onlyOnce(f func(string) bool) func(string) bool {
	done := false
	return func(line string) bool {
		if !done && f(line) {
			done = true
			return true
		}
		return false
	}
}
