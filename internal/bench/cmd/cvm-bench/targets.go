package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/bench"
	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
)

// The targets a run asserts. Each is a row of the report's Targets table;
// cvm-bench exits with status 1 when one is not met, or not measured
// although its case ran. Every other figure of the report is only
// reported.
//
// One read at a time, T* = L + ⌈n/100⌉ / R being the best it can take.
const (
	targetInProcess = 1.1 // in-process wall of a listing / T*, at n = 10,000 and 100,000
	targetPlan      = 1.3 // (plan − baseline) / T* of a listing at n = 10,000
	targetSpeedup   = 3.5 // serial / parallel paging of a listing at n = 10,000
	targetRSSMB     = 200 // provider peak RSS at n = 100,000
	targetCPU       = 3.0 // provider CPU seconds at n = 100,000
	targetGrowth    = 1.5 // cost per instance at n = 100,000 / at n = 10,000
)

// Processes sharing an account, and one process whose rate_limit is above
// the service's, against the bound L + all their pages / the service's
// rate:
const (
	// targetShared bounds the read span / bound. The read span is from the
	// first request to the last answer, as the emulator logs them: Terraform's
	// own work on 10,000 IDs per process before and after the reads is
	// seconds that no limiter can shorten, so plan − baseline is reported
	// beside it and not asserted.
	targetShared          = 1.3
	targetSharedThrottled = 0.05 // throttled answers / requests, in the worst run
)

// The cvm_instances_wait action's wait of bench.WaitSize instances
// (BenchmarkWait), polled far more often than once a second, every poll a
// change:
const (
	// targetWaitGapMS bounds the gap between two progress messages from
	// below: the action sends them at least a second apart by its clock;
	// the benchmark times them as it receives them, through a channel and
	// a goroutine, which moves each by a few milliseconds.
	targetWaitGapMS = 950
	// targetWaitPollCost bounds the action's allocated bytes per poll over
	// the data source's for the same wait: the action's polls are the data
	// source's wait, and its messages are built once a second, not per poll.
	// Bytes, not CPU: the service answering in the same process makes CPU
	// the noisier figure (reported beside it).
	targetWaitPollCost = 1.1
)

// growthFrom and growthTo are the listings whose costs per instance the
// growth target compares: 10× the pages, both large enough that the fixed
// costs of a read do not hide the cost per instance.
const (
	growthFrom = 10_000
	growthTo   = bench.FullSize
)

// judge is the verdict on every target from what a run measured.
func judge(rr runResults) []verdict {
	vs := readVerdicts(rr)
	for _, n := range []int{10_000, bench.FullSize} {
		var ps parts
		var figures string
		ok := true
		if w := rr.goFigure(fmt.Sprintf("BenchmarkListing/n=%d", n), "ns/op", n, false); ps.need(w) {
			ratio := w.value / float64(bench.TStar(n))
			figures, ok = fmt.Sprintf("%s = %.3f × T*", secs(time.Duration(w.value)), ratio), ratio <= targetInProcess
		}
		vs = append(vs, ps.verdict(fmt.Sprintf("in-process wall ≤ %.1f × T* at n = %s", targetInProcess, thousands(n)), figures, ok))
	}
	vs = append(vs, planTargets(rr)...)
	vs = append(vs, growth(rr))
	for _, c := range []struct{ key, where string }{{"ten", "one region"}, {"ten-regions", "ten regions"}} {
		var ps parts
		var figures string
		ok := true
		if f := rr.planFigure(c.key, tenSize, "throttled", planThrottled); ps.need(f) {
			p := rr.plans[c.key]
			figures, ok = fmt.Sprintf("%d throttled of %s requests", p.throttled(), countRange(p.minRequests(), p.maxRequests())), f.value == 0
		}
		vs = append(vs, ps.verdict("ten parallel data sources, "+c.where+": `throttled` = 0", figures, ok))
	}
	vs = append(vs, sharedVerdicts(rr)...)
	vs = append(vs, waitVerdicts(rr)...)
	return append(vs, readinessVerdict(rr))
}

// waitVerdicts are the action's: its messages at most one a second, its
// polls costing what the data source's cost.
func waitVerdicts(rr runResults) []verdict {
	action := fmt.Sprintf("BenchmarkWait/action/n=%d", bench.WaitSize)
	data := fmt.Sprintf("BenchmarkWait/data-source/n=%d", bench.WaitSize)
	var ps parts
	var figures string
	ok := true
	if gap := rr.goFigure(action, "min-gap-ms", bench.WaitSize, false); ps.need(gap) {
		rate := rr.goResults[action].Metrics["messages/s"]
		figures, ok = fmt.Sprintf("closest two %.0f ms apart; %.2f messages/s", gap.value, rate), gap.value >= targetWaitGapMS
	}
	vs := []verdict{ps.verdict(fmt.Sprintf("action wait, n = %s: progress messages ≥ %d ms apart as received (1 s as sent)", thousands(bench.WaitSize), targetWaitGapMS), figures, ok)}
	ps, figures, ok = parts{}, "", true
	a, d := rr.goFigure(action, "B/poll", bench.WaitSize, false), rr.goFigure(data, "B/poll", bench.WaitSize, false)
	if ps.need(a, d) {
		figures, ok = fmt.Sprintf("%.2f MB vs %.2f MB per poll = %.2f×", a.value/(1<<20), d.value/(1<<20), a.value/d.value), a.value/d.value <= targetWaitPollCost
	}
	return append(vs, ps.verdict(fmt.Sprintf("action wait, n = %s: bytes allocated per poll ≤ %.1f × the data source's", thousands(bench.WaitSize), targetWaitPollCost), figures, ok))
}

// planTargets are a plan's time at n = 10,000, the speedup over serial
// paging, and the provider process's memory and CPU at n = 100,000.
func planTargets(rr runResults) []verdict {
	var vs []verdict
	var ps parts
	var figures string
	ok := true
	over := minus(rr.planFigure("list/10000", 10_000, "wall", planWall), rr.planFigure("baseline", 0, "wall", planWall))
	if ps.need(over) {
		ratio := over.value / bench.TStar(10_000).Seconds()
		figures, ok = fmt.Sprintf("%.3f s = %.3f × T*", over.value, ratio), ratio <= targetPlan
	}
	vs = append(vs, ps.verdict(fmt.Sprintf("`terraform plan` − baseline ≤ %.1f × T* at n = 10,000", targetPlan), figures, ok))

	ps, figures, ok = parts{}, "", true
	par := rr.goFigure("BenchmarkListing/n=10000", "ns/op", 10_000, false)
	ser := rr.goFigure("BenchmarkListingSerial/n=10000", "ns/op", 10_000, false)
	if ps.need(par, ser) {
		figures, ok = fmt.Sprintf("%.2f×", ser.value/par.value), ser.value/par.value >= targetSpeedup
	}
	vs = append(vs, ps.verdict(fmt.Sprintf("speedup over serial paging ≥ %.1f× at n = 10,000", targetSpeedup), figures, ok))

	key := fmt.Sprintf("list/%d", bench.FullSize)
	ps, figures, ok = parts{}, "", true
	if rss := rr.planFigure(key, bench.FullSize, "peak RSS", planRSSKB); ps.need(rss) {
		figures, ok = mb(int64(rss.value)), rss.value/1024 <= targetRSSMB
	}
	vs = append(vs, ps.verdict(fmt.Sprintf("provider peak RSS ≤ %d MB at n = 100,000", targetRSSMB), figures, ok))
	ps, figures, ok = parts{}, "", true
	if cpu := rr.planFigure(key, bench.FullSize, "CPU", planCPU); ps.need(cpu) {
		figures, ok = fmt.Sprintf("%.2f s", cpu.value), cpu.value <= targetCPU
	}
	return append(vs, ps.verdict(fmt.Sprintf("provider CPU ≤ %.0f s at n = 100,000", targetCPU), figures, ok))
}

// growth compares the cost per instance of the listing of growthTo
// instances with that of growthFrom: a quadratic step anywhere (ordering,
// de-duplication, maps, state conversion) would multiply it by ten. Each
// measure is a part; one that is not positive at either size is not a
// measurement.
func growth(rr runResults) verdict {
	ps := parts{noun: "measures"}
	var grew []string
	ok := true
	measure := func(what string, from, to figure) {
		if ps.need(from, to) {
			x := (to.value / growthTo) / (from.value / growthFrom)
			grew = append(grew, fmt.Sprintf("%s ×%.2f", what, x))
			ok = ok && x <= targetGrowth
		}
	}
	twoTrips := figure{name: "2 L", value: float64(2 * bench.Latency), ok: true}
	goAt := func(name string, n int, unit string) figure { return rr.goFigure(fmt.Sprintf(name, n), unit, n, false) }
	planAt := func(n int, what string, get func(planResult) (float64, bool)) figure {
		return minus(rr.planFigure(fmt.Sprintf("list/%d", n), n, what, get), rr.planFigure("noop", 0, what, get))
	}
	measure("in-process wall", minus(goAt("BenchmarkListing/n=%d", growthFrom, "ns/op"), twoTrips), minus(goAt("BenchmarkListing/n=%d", growthTo, "ns/op"), twoTrips))
	measure("client bytes", goAt("BenchmarkListing/n=%d", growthFrom, "B/op"), goAt("BenchmarkListing/n=%d", growthTo, "B/op"))
	measure("provider CPU", planAt(growthFrom, "CPU", planCPU), planAt(growthTo, "CPU", planCPU))
	measure("provider RSS", planAt(growthFrom, "peak RSS", planRSSKB), planAt(growthTo, "peak RSS", planRSSKB))
	measure("conversion CPU", goAt("BenchmarkProviderRead/n=%d", growthFrom, "ns/op"), goAt("BenchmarkProviderRead/n=%d", growthTo, "ns/op"))
	measure("conversion allocations", goAt("BenchmarkProviderRead/n=%d", growthFrom, "allocs/op"), goAt("BenchmarkProviderRead/n=%d", growthTo, "allocs/op"))
	figures := fmt.Sprintf("n = %s → %s, per instance: %s", thousands(growthFrom), thousands(growthTo), strings.Join(grew, ", "))
	return ps.verdict(fmt.Sprintf("growth linear in pages: cost per instance at 10× n within %.1f×", targetGrowth), figures, ok)
}

// aRead is one read of a whole run: a Go benchmark (goName) or a plan case
// (planKey).
type aRead struct {
	goName, planKey string
	size            int // instances or IDs: BENCH_FULL=0 leaves out bench.FullSize
	// requests is what a correct read of a Go benchmark sends, throttled
	// ones aside; a plan case carries its own (planCase.Requests).
	requests int
	shared   bool // throttling expected: requests count besides the throttled ones
}

// reads are every read of a whole run, what the request and throttling
// targets cover; a run's options may leave some out.
func reads() []aRead {
	var rs []aRead
	for _, n := range bench.ListingSizes {
		rs = append(rs, aRead{goName: fmt.Sprintf("BenchmarkListing/n=%d", n), size: n, requests: cvm.ListingRequests(n)})
	}
	for _, n := range bench.SerialSizes {
		rs = append(rs, aRead{goName: fmt.Sprintf("BenchmarkListingSerial/n=%d", n), size: n, requests: cvm.ListingRequests(n)})
	}
	for _, k := range bench.IDListSizes {
		rs = append(rs, aRead{goName: fmt.Sprintf("BenchmarkByIDs/ids=%d", k), size: k, requests: bench.Pages(k)})
	}
	for _, w := range sharedRows() {
		rs = append(rs, aRead{goName: w.goName, size: bench.SharedIDs, requests: w.processes * bench.Pages(bench.SharedIDs), shared: true})
	}
	rs = append(rs, aRead{planKey: "noop"})
	for _, n := range bench.ListingSizes {
		rs = append(rs, aRead{planKey: fmt.Sprintf("list/%d", n), size: n})
	}
	for _, k := range bench.IDListSizes {
		rs = append(rs, aRead{planKey: fmt.Sprintf("ids/%d", k), size: k})
	}
	rs = append(rs, aRead{planKey: "ten", size: tenSize}, aRead{planKey: "ten-regions", size: tenSize})
	for _, w := range sharedRows() {
		rs = append(rs, aRead{planKey: w.planKey, size: bench.SharedIDs, shared: true})
	}
	return rs
}

// readVerdicts are the exact number of requests, and no throttling at the
// service's own rate, over every read that ran.
func readVerdicts(rr runResults) []verdict {
	counts, unthrottled := parts{noun: "reads"}, parts{noun: "reads"}
	var wrongCounts, wrongThrottled []string
	besides := func(shared bool) string {
		if shared {
			return " besides the throttled"
		}
		return ""
	}
	for _, r := range reads() {
		if r.goName != "" {
			req := rr.goFigure(r.goName, "requests/op", r.size, false)
			thr := rr.goFigure(r.goName, "throttled/op", r.size, true)
			if counts.need(req, thr) {
				sent := req.value
				if r.shared {
					sent -= thr.value
				}
				if sent != float64(r.requests) {
					wrongCounts = append(wrongCounts, fmt.Sprintf("%s: %g requests/op, %g throttled/op; want %d%s", r.goName, req.value, thr.value, r.requests, besides(r.shared)))
				}
			}
			if !r.shared && unthrottled.need(req, thr) && thr.value != 0 {
				wrongThrottled = append(wrongThrottled, fmt.Sprintf("%s: %g throttled/op", r.goName, thr.value))
			}
			continue
		}
		f := rr.planFigure(r.planKey, r.size, "requests", func(p planResult) (float64, bool) { return float64(p.maxRequests()), true })
		p := rr.plans[r.planKey]
		if counts.need(f) {
			for _, run := range p.Runs {
				sent := run.Requests
				if r.shared {
					sent -= run.Throttled
				}
				if sent != int64(p.Case.Requests) {
					wrongCounts = append(wrongCounts, fmt.Sprintf("plan %s: %d requests, %d throttled; want %d%s", r.planKey, run.Requests, run.Throttled, p.Case.Requests, besides(r.shared)))
					break
				}
			}
		}
		if !r.shared && unthrottled.need(f) && p.throttled() != 0 {
			wrongThrottled = append(wrongThrottled, fmt.Sprintf("plan %s: %d throttled", r.planKey, p.throttled()))
		}
	}
	figures := func(ps parts, wrong []string) string {
		switch {
		case len(wrong) > 0:
			return strings.Join(wrong, "; ")
		case ps.ran < ps.total:
			return "every read that ran, in-process and planned"
		}
		return "every read, in-process and planned"
	}
	return []verdict{
		counts.verdict("requests = ⌈n/100⌉ exactly by ID; listings ⌈n/100⌉ plus the overlap of consecutive pages (`cvm.ListingRequests`: ≤ 1% more); where processes share an account, exactly that besides the throttled ones",
			figures(counts, wrongCounts), len(wrongCounts) == 0),
		unthrottled.verdict("`throttled` = 0 at `rate_limit` = the emulator's limit", figures(unthrottled, wrongThrottled), len(wrongThrottled) == 0),
	}
}

// sharedVerdicts are the targets of processes sharing an account, and of a
// process configured above the service's rate: the read span within
// targetShared × the bound for all their pages; at most
// targetSharedThrottled of the answers throttled where the processes
// over-subscribe the account (a failed or incomplete plan stops the run);
// none for one process alone at the service's rate.
func sharedVerdicts(rr runResults) []verdict {
	var vs []verdict
	for _, w := range sharedRows() {
		bound := w.bound()
		var ps parts
		var figures string
		ok := true
		if span := rr.planFigure(w.planKey, 0, "read span", planReadSpan); ps.need(span) {
			ratio := span.value / bound.Seconds()
			figures, ok = fmt.Sprintf("plan: read span %.3f s = %.3f × bound (%s)", span.value, ratio, secs(bound)), ratio <= targetShared
			if g := rr.goFigure(w.goName, "ns/op", 0, false); g.ok {
				figures += fmt.Sprintf("; in-process %.3f × bound (reported only)", g.value/float64(bound))
			}
		}
		vs = append(vs, ps.verdict(fmt.Sprintf("%s (%d × `rate_limit = %v`, service %v/s): the plan's read span ≤ %.1f × bound", w.label, w.processes, w.rate, w.service, targetShared), figures, ok))
		p := rr.plans[w.planKey]
		ps, figures, ok = parts{}, "", true
		switch {
		case w.processes == 1 && w.rate <= w.service:
			if f := rr.planFigure(w.planKey, 0, "throttled", planThrottled); ps.need(f) {
				figures, ok = fmt.Sprintf("%d throttled of %s requests", p.throttled(), countRange(p.minRequests(), p.maxRequests())), f.value == 0
			}
			vs = append(vs, ps.verdict(w.label+": `throttled` = 0", figures, ok))
		case w.processes > 1:
			if f := rr.planFigure(w.planKey, 0, "throttled share", planThrottledShare); ps.need(f) {
				figures = fmt.Sprintf("worst run %.1f%% (%d of %s), all %d plans complete", 100*f.value, p.throttled(), countRange(p.minRequests(), p.maxRequests()), len(p.Runs))
				ok = f.value <= targetSharedThrottled
			}
			vs = append(vs, ps.verdict(fmt.Sprintf("%s: throttled ≤ %.0f%% of requests, every read complete", w.label, 100*targetSharedThrottled), figures, ok))
		}
	}
	return vs
}

// sharedRow is one case of processes sharing an account, or of one process
// configured above the service's rate.
type sharedRow struct {
	label, planKey, goName string
	processes              int
	rate, service          float64
}

func sharedRows() []sharedRow {
	var rows []sharedRow
	for _, sc := range bench.SharedCases {
		label := fmt.Sprintf("%d processes, one account", sc.Processes)
		if sc.Processes == 1 {
			label = "1 process alone (reference)"
		}
		rows = append(rows, sharedRow{label, sharedKey(sc), fmt.Sprintf("BenchmarkSharedAccount/k=%d", sc.Processes),
			sc.Processes, sc.RateLimit, bench.RateLimit})
	}
	return append(rows, sharedRow{"1 process, `rate_limit` above the service's", "overconfigured", "BenchmarkOverConfigured",
		1, bench.OverConfiguredRate, bench.OverConfiguredService})
}

// bound is the best possible time for all the row's pages: one round trip,
// then every page at the service's rate.
func (w sharedRow) bound() time.Duration {
	return bench.OptimalWall(w.processes*bench.Pages(bench.SharedIDs), bench.Latency, w.service)
}
