package main

import (
	"strings"
	"testing"
	"time"
)

// readLatency is each answer's least delay in logRead; the jitter comes on
// top.
const readLatency = 20 * time.Millisecond

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
