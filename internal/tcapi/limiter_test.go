package tcapi

import (
	"context"
	"errors"
	"runtime"
	"testing"
)

func permits(t *testing.T, l *RateLimiter, n int) []Permit {
	t.Helper()
	out := make([]Permit, n)
	for i := range out {
		p, err := l.Wait(t.Context(), false)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = p
	}
	return out
}

// Requests in flight when the service starts refusing are refused together:
// they are one congestion event and cut the rate once, as TCP cuts its
// window once per window of losses. A request sent after the cut and still
// refused is a new event.
func TestRateLimiterCutsOncePerCongestionEvent(t *testing.T) {
	l := NewRateLimiter(1000)
	inFlight := permits(t, l, 5)
	for _, p := range inFlight {
		l.Throttled(p)
	}
	if got := l.Limit(); got != 500 {
		t.Fatalf("five requests throttled together left the rate at %v; want one cut, to 500", got)
	}
	after := permits(t, l, 1)[0]
	l.Throttled(inFlight[0]) // a late answer of the same event
	if got := l.Limit(); got != 500 {
		t.Fatalf("a late answer to a request sent before the cut cut again, to %v", got)
	}
	l.Throttled(after)
	if got := l.Limit(); got != 250 {
		t.Fatalf("a request sent after the cut and throttled left the rate at %v; want 250", got)
	}
}

// Throttling that persists stops at a sixteenth of the ceiling, so that a
// request's max_retries retries end soon and the throttling is reported.
func TestRateLimiterFloor(t *testing.T) {
	l := NewRateLimiter(16_000)
	for range 20 {
		l.Throttled(permits(t, l, 1)[0])
	}
	if got := l.Limit(); got != 1000 {
		t.Fatalf("after 20 throttled requests in a row the rate is %v, want the floor of 1000", got)
	}
}

// Successes bring the rate back to the ceiling and no higher, and a slower
// limiter climbs faster than a faster one, so that processes sharing an
// account that were cut unequally converge on equal shares.
func TestRateLimiterClimbsBackToTheCeiling(t *testing.T) {
	slow, fast := NewRateLimiter(4000), NewRateLimiter(4000)
	for range 3 {
		slow.Throttled(permits(t, slow, 1)[0]) // 500/s
	}
	fast.Throttled(permits(t, fast, 1)[0]) // 2000/s
	slowBefore, fastBefore := slow.Limit(), fast.Limit()
	// One second of successes at each one's rate.
	for range int(slowBefore) {
		slow.Succeeded()
	}
	for range int(fastBefore) {
		fast.Succeeded()
	}
	if slowGain, fastGain := slow.Limit()-slowBefore, fast.Limit()-fastBefore; slowGain <= fastGain || fastGain <= 0 {
		t.Fatalf("in a second of successes the limiter at %v/s gained %.2f/s and the one at %v/s %.2f/s; the slower must climb faster",
			slowBefore, slowGain, fastBefore, fastGain)
	}
	for range 100_000 { // some 25 s of successes at 4000/s
		slow.Succeeded()
	}
	if got := slow.Limit(); got != 4000 {
		t.Fatalf("after many successes the rate is %v, want the ceiling of 4000 and no higher", got)
	}
}

// A throttled request's retry is sent before requests not yet sent: with a
// read's pages queued behind it, its max_retries retries would otherwise
// each wait for all of them, and persistent throttling would take minutes to
// be reported.
func TestRetriesGoFirst(t *testing.T) {
	l := NewRateLimiter(1e9)
	if err := l.acquire(t.Context(), false); err != nil {
		t.Fatal(err)
	}
	order := make(chan string, 3)
	queued := func(n int) {
		for {
			l.mu.Lock()
			got := len(l.waiting[0]) + len(l.waiting[1])
			l.mu.Unlock()
			if got == n {
				return
			}
			runtime.Gosched()
		}
	}
	wait := func(name string, retry bool) {
		go func() {
			if _, err := l.Wait(context.Background(), retry); err != nil {
				t.Error(err)
			}
			order <- name
		}()
	}
	wait("first page", false)
	queued(1)
	wait("second page", false)
	queued(2)
	wait("retry", true)
	queued(3)
	l.release()
	for _, want := range []string{"retry", "first page", "second page"} {
		if got := <-order; got != want {
			t.Fatalf("%s was sent before the %s", got, want)
		}
	}
}

// A read cancelled while its requests wait for their turn stops them, and
// the turn is not lost: the next request still gets it.
func TestCancelledWaitPassesTheTurnOn(t *testing.T) {
	l := NewRateLimiter(1e9)
	if err := l.acquire(t.Context(), false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := l.Wait(ctx, false)
		done <- err
	}()
	for {
		l.mu.Lock()
		n := len(l.waiting[1])
		l.mu.Unlock()
		if n == 1 {
			break
		}
		runtime.Gosched()
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled wait returned %v, want context.Canceled", err)
	}
	l.release()
	if _, err := l.Wait(t.Context(), false); err != nil {
		t.Fatalf("the next request did not get the turn: %v", err)
	}
}

// Limiters keep one limiter per action and region, or one per action for
// all regions when the service counts the action's requests that way.
func TestLimitersAreKeyedByActionAndRegion(t *testing.T) {
	l := NewLimiters(map[string]ActionRate{
		"PerRegion": {PerSecond: 10},
		"Global":    {PerSecond: 20, AcrossRegions: true},
	})
	if a, b := l.For("PerRegion", "ap-beijing"), l.For("PerRegion", "ap-shanghai"); a == b {
		t.Fatal("two regions of a per-region action share a limiter")
	}
	if a, b := l.For("PerRegion", "ap-beijing"), l.For("PerRegion", "ap-beijing"); a != b {
		t.Fatal("one action in one region has two limiters")
	}
	if a, b := l.For("Global", "ap-beijing"), l.For("Global", "ap-shanghai"); a != b || a.Limit() != 20 {
		t.Fatalf("an action counted across regions has a limiter per region, or the wrong rate (%v)", a.Limit())
	}
}
