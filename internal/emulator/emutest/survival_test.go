package emutest_test

import (
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// The survival the fault suites' rows require, at the rates and sizes
// RELIABILITY.md quotes: a listing of 950 instances (cvm.ListingRequests,
// 10 requests) alternating with a read of 250 IDs (3 requests), 2 reads
// (`make test`) or 40 (`make faults`), with the client's default 8 retries.
func TestAllowedFailures(t *testing.T) {
	t.Parallel()
	const (
		listingRequests   = 10
		defaultMaxRetries = 8
	)
	alternating := func(p float64, retries, reads int) []float64 {
		q := make([]float64, reads)
		for i := range q {
			requests := listingRequests
			if i%2 == 1 {
				requests = 3
			}
			q[i] = emutest.ReadFailure(p, retries, requests)
		}
		return q
	}
	for _, tc := range []struct {
		p              float64
		retries, reads int
		want           int
	}{
		{0, defaultMaxRetries, 40, 0},
		{0.1, defaultMaxRetries, 40, 0},
		{0.3, defaultMaxRetries, 2, 0},
		{0.3, defaultMaxRetries, 40, 1},
		{0.5, defaultMaxRetries, 2, 1},
		{0.5, defaultMaxRetries, 40, 4},
		{1, defaultMaxRetries, 40, 40},
		{0.1, 0, 40, 27}, // a client that does not retry loses about 18
	} {
		if got := emutest.AllowedFailures(alternating(tc.p, tc.retries, tc.reads)); got != tc.want {
			t.Errorf("%g%% with %d retries, %d reads: %d may fail; want %d", tc.p*100, tc.retries, tc.reads, got, tc.want)
		}
	}
}

// Rates of faults that replace the answer add up; truncation and slowness
// are separate draws; slowness counts only past the timeout.
func TestAttemptAnswered(t *testing.T) {
	t.Parallel()
	timeout := 10 * time.Second
	for _, tc := range []struct {
		name string
		f    emulator.Faults
		want float64
	}{
		{"none", emulator.Faults{}, 1},
		{"codes add up", emulator.Faults{Reset: 0.1, HTTP502: 0.1, Errors: map[string]float64{"InternalError": 0.2}}, 0.6},
		{"replaced at most all", emulator.Faults{Reset: 0.7, HTTP504: 0.7}, 0},
		{"truncation apart", emulator.Faults{Reset: 0.5, Truncate: 0.5}, 0.25},
		{"slow within the timeout", emulator.Faults{Slow: 0.5, SlowDelay: emulator.Duration(time.Second)}, 1},
		{"slow past the timeout", emulator.Faults{Slow: 0.5, SlowDelay: emulator.Duration(time.Minute)}, 0.5},
		{"latency past the timeout", emulator.Faults{Latency: emulator.Duration(time.Minute)}, 0},
	} {
		if got := emutest.AttemptAnswered(tc.f, timeout); got != tc.want {
			t.Errorf("%s: %g, want %g", tc.name, got, tc.want)
		}
	}
}
