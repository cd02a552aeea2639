package cvm

import "testing"

func TestRateLimiterBacksOffAndRecovers(t *testing.T) {
	l := NewRateLimiter(40)
	l.Throttled()
	if got := l.Limit(); got != 20 {
		t.Fatalf("after one throttle the rate is %v, want 20", got)
	}
	for range 10 {
		l.Throttled()
	}
	if got := l.Limit(); got != 2.5 {
		t.Fatalf("after many throttles the rate is %v, want the floor of 2.5 (a sixteenth)", got)
	}
	for range 100 {
		l.Succeeded()
	}
	if got := l.Limit(); got != 40 {
		t.Fatalf("after 100 successes the rate is %v, want it back at 40 and no higher", got)
	}
}
