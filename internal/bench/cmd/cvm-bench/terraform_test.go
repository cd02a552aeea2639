package main

import (
	"strings"
	"testing"
	"time"
)

// A case's figures over its runs: the median wall, CPU and read span, the
// largest RSS, throttling and share throttled, the request range. A read
// span or a share throttled is measured only when every run has one.
func TestPlanResultSummarizesItsRuns(t *testing.T) {
	run := func(wall time.Duration, requests, throttled int64, rssKB int64, span time.Duration) planRun {
		return planRun{Wall: wall, Requests: requests, Throttled: throttled, ReadSpan: span,
			Procs: []procRecord{{MaxRSSKB: rssKB, User: wall / 2, Sys: wall / 4}}}
	}
	p := planResult{Runs: []planRun{
		run(3*time.Second, 100, 0, 30_000, 2*time.Second),
		run(1*time.Second, 101, 4, 20_000, time.Second),
		run(2*time.Second, 100, 1, 25_000, 3*time.Second),
	}}
	if p.wall() != 2*time.Second || p.cpu() != 1500*time.Millisecond {
		t.Errorf("wall %s, cpu %s; want the medians 2s, 1.5s", p.wall(), p.cpu())
	}
	if span, ok := p.readSpan(); !ok || span != 2*time.Second {
		t.Errorf("read span %s (%v), want 2s", span, ok)
	}
	if p.peakRSSKB() != 30_000 || p.maxRequests() != 101 || p.minRequests() != 100 || p.throttled() != 4 || p.procs() != 1 {
		t.Errorf("rss %d, requests %d..%d, throttled %d, procs %d", p.peakRSSKB(), p.minRequests(), p.maxRequests(), p.throttled(), p.procs())
	}
	if share, ok := p.throttledShare(); !ok || share != 4.0/101 {
		t.Errorf("throttled share %v (%v), want 4/101", share, ok)
	}
	p.Runs[1].ReadSpan, p.Runs[2].Requests = 0, 0
	if _, ok := p.readSpan(); ok {
		t.Error("a read span from runs that did not all measure one")
	}
	if _, ok := p.throttledShare(); ok {
		t.Error("a share throttled from a run without requests")
	}
	if median([]int64{4, 1, 3, 2}) != 2 || median([]int64(nil)) != 0 {
		t.Error("median of an even count is the mean of the middle two; of none, 0")
	}
}

// A data source block reads the IDs given, or the whole region for nil,
// through the provider configuration named, and outputs its count.
func TestDataBlock(t *testing.T) {
	got := dataBlock("r3", "cvm.p1", "ap-bench-n100", []string{"ins-a", "ins-b"})
	for _, want := range []string{
		`data "cvm_instances_status" "r3" {`, "provider = cvm.p1", `region = "ap-bench-n100"`,
		`instance_ids = ["ins-a", "ins-b"]`, `output "instances_3"`, "length(data.cvm_instances_status.r3.instances)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	whole := dataBlock("r0", "", "", nil)
	if strings.Contains(whole, "instance_ids") || strings.Contains(whole, "provider =") || strings.Contains(whole, "region =") {
		t.Errorf("a whole-region read with the default provider:\n%s", whole)
	}
}
