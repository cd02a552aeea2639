package bench

import "time"

// Readiness: a read by ID that includes every readiness check sends, beside
// DescribeInstancesStatus, DescribeInstances, DescribeTaskInfo and TAT's
// DescribeAutomationAgentStatus, 100 IDs a request each, every action
// paced by its own documented limit. They run at once, so the best such a
// read can do is the slowest action's own T*, not their sum:
//
//	T*_readiness = max over the actions of L + ⌈n/100⌉ / R_action
//
// which, for DescribeTaskInfo at 20/s, is 0.6 s for 1,000 IDs.
// BenchmarkReadiness measures it in-process against the emulator with its
// latency and its per-action limits.

// ReadinessIDs is how many IDs BenchmarkReadiness reads.
const ReadinessIDs = 1_000

// ReadinessAction is an action a read with every check sends, and the
// requests per second the service allows it.
type ReadinessAction struct {
	Name string
	Rate float64
}

// ReadinessActions are the actions of a read with every check, at their
// documented rates (DescribeInstancesStatus at the benchmarks' RateLimit).
var ReadinessActions = []ReadinessAction{
	{"DescribeInstancesStatus", RateLimit},
	{"DescribeInstances", 40},
	{"DescribeTaskInfo", 20},
	{"DescribeAutomationAgentStatus", 60},
}

// ReadinessTStar is the best possible time for a read of n IDs with every
// check: the slowest action's T* at its own rate, and that action.
func ReadinessTStar(n int) (time.Duration, string) {
	var best time.Duration
	var slowest string
	for _, a := range ReadinessActions {
		if t := OptimalWall(max(Pages(n), 1), Latency, a.Rate); t > best {
			best, slowest = t, a.Name
		}
	}
	return best, slowest
}
