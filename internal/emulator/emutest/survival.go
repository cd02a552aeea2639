package emutest

import (
	"math"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
)

// Survival: the rule the fault suites (internal/cvm's, through the client;
// internal/e2e's, through `terraform plan`) hold a row to. The faults are
// drawn at random, so a client that works can still lose a read to them,
// when one of its requests meets a fault on every attempt; a row fails when
// more reads are lost than such a client loses all but once in a thousand
// runs (FalseAlarm).
//
// An attempt fails with probability p (1 − AttemptAnswered); a request
// fails for good when all of its 1 + r attempts do, p^(1+r), with r the
// default max_retries, 8; a read of k requests fails when any of them does,
// 1 − (1 − p^(1+r))^k (ReadFailure). At 30%, 0.3^9 ≈ 2e-5 a request, 2e-4
// for a ten-page listing: every read of the small size must be correct, and
// 39 of 40 at the full size, where a client that works loses one read in
// about 200 runs of the row. At 10% (1e-9 a request) every read must be
// correct; at 50% (2e-3) 1 of 2 and 36 of 40. Rows whose faults are not
// drawn at random (the baseline, real throttling, clocks within the
// window, credentials expiring, churn) have p = 0: every read must be
// correct, as nothing in them may make a request fail for good.

// FalseAlarm is how often a fault suite may fail a client that works.
const FalseAlarm = 1e-3

// AttemptAnswered is the chance that one attempt meets none of f's faults.
// The emulator draws one number per request to pick at most one of reset,
// 502, 504 and the error codes, so their rates add up; truncation and
// slowness are drawn apart, and slowness fails the attempt only when it
// outlasts the client's request timeout (drawFaults in internal/emulator).
func AttemptAnswered(f emulator.Faults, timeout time.Duration) float64 {
	replaced := f.Reset + f.HTTP502 + f.HTTP504
	for _, p := range f.Errors {
		replaced += p
	}
	answered := (1 - min(replaced, 1)) * (1 - f.Truncate)
	if time.Duration(f.Latency+f.SlowDelay) > timeout {
		answered *= 1 - f.Slow
	}
	if time.Duration(f.Latency) > timeout {
		answered = 0
	}
	return answered
}

// ReadFailure is the chance that a read of requests requests fails when
// each attempt fails with probability p and a request is retried up to
// retries times.
func ReadFailure(p float64, retries, requests int) float64 {
	request := math.Pow(p, float64(1+retries))
	return 1 - math.Pow(1-request, float64(requests))
}

// AllowedFailures is the most reads a client that works loses, all but
// once in 1/FalseAlarm runs, given each read's chance of failing: the
// smallest k with P(more than k fail) ≤ FalseAlarm. Reads fail
// independently; their count's distribution is built read by read.
func AllowedFailures(readFails []float64) int {
	dist := []float64{1} // dist[k]: the chance that k of the reads so far failed
	for _, q := range readFails {
		next := make([]float64, len(dist)+1)
		for k, pk := range dist {
			next[k] += pk * (1 - q)
			next[k+1] += pk * q
		}
		dist = next
	}
	more := 1.0 // the chance that more than k fail
	for k, pk := range dist {
		if more -= pk; more <= FalseAlarm {
			return k
		}
	}
	return len(readFails)
}
