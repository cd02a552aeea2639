package main

import (
	"fmt"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/bench"
)

// targetReadiness bounds the in-process wall of a read of bench.ReadinessIDs
// IDs with every readiness check, against the slowest of its actions' T*
// at their own limits (bench.ReadinessTStar): the actions run at once, so
// the read must not cost their sum.
const targetReadiness = 1.2

// readinessGoName is the benchmark the readiness target reads.
var readinessGoName = fmt.Sprintf("BenchmarkReadiness/ids=%d", bench.ReadinessIDs)

// readinessRequests is what the read sends: ⌈n/100⌉ requests of each
// action, no instance having more than a page of tasks.
func readinessRequests() int { return len(bench.ReadinessActions) * bench.Pages(bench.ReadinessIDs) }

// readinessVerdict is the readiness target: the wall within
// targetReadiness × the slowest action's T*, with exactly
// readinessRequests requests and none throttled.
func readinessVerdict(rr runResults) verdict {
	var ps parts
	var figures string
	ok := true
	wall := rr.goFigure(readinessGoName, "ns/op", bench.ReadinessIDs, false)
	req := rr.goFigure(readinessGoName, "requests/op", bench.ReadinessIDs, false)
	thr := rr.goFigure(readinessGoName, "throttled/op", bench.ReadinessIDs, true)
	if ps.need(wall, req, thr) {
		best, slowest := bench.ReadinessTStar(bench.ReadinessIDs)
		ratio := wall.value / float64(best)
		figures = fmt.Sprintf("%s = %.3f × T* of %s (%s); %g requests, %g throttled", secs(time.Duration(wall.value)), ratio, slowest, secs(best), req.value, thr.value)
		ok = ratio <= targetReadiness && req.value == float64(readinessRequests()) && thr.value == 0
	}
	return ps.verdict(fmt.Sprintf("%s IDs with every readiness check: in-process wall ≤ %.1f × the slowest action's T*, %d requests, none throttled",
		thousands(bench.ReadinessIDs), targetReadiness, readinessRequests()), figures, ok)
}

// readinessTable reports the read with every readiness check beside each
// of its actions' own T*.
func (r *report) readinessTable() {
	g, wall, ok := r.inProcess(readinessGoName)
	if !ok {
		return
	}
	r.line("### Readiness checks")
	r.line("")
	r.line("A read of %s IDs with `include = [\"operation\", \"restriction\", \"maintenance\", \"agent\"]` through the client in-process (`BenchmarkReadiness`): DescribeInstancesStatus, DescribeInstances, DescribeTaskInfo and TAT's DescribeAutomationAgentStatus, %d requests each, every action at its own limit in the client and in the emulator, which serves them all with its latency. They run at once, so the bound is the slowest action's T* = L + ⌈n/100⌉ / R at its own rate, not their sum. Each chunk's DescribeInstances request follows its DescribeTaskInfo answer (silence there means no task only for an instance that still exists after it), so the read ends about one round trip after the last DescribeTaskInfo answer.",
		thousands(bench.ReadinessIDs), bench.Pages(bench.ReadinessIDs))
	r.line("")
	r.line("| action | rate | T* at its rate |")
	r.line("|---|--:|--:|")
	var sum time.Duration
	for _, a := range bench.ReadinessActions {
		t := bench.OptimalWall(bench.Pages(bench.ReadinessIDs), bench.Latency, a.Rate)
		sum += t
		r.line("| %s | %v/s | %s |", a.Name, a.Rate, secs(t))
	}
	best, slowest := bench.ReadinessTStar(bench.ReadinessIDs)
	r.line("")
	r.line("| read | bound (%s's T*) | sum of the T* | in-process | in-process / bound | requests | throttled |", slowest)
	r.line("|---|--:|--:|--:|--:|--:|--:|")
	r.line("| %s IDs, every check | %s | %s | %s | %.3f | %g | %g |", thousands(bench.ReadinessIDs), secs(best), secs(sum), secs(wall),
		wall.Seconds()/best.Seconds(), g.Metrics["requests/op"], g.Metrics["throttled/op"])
	r.line("")
}
