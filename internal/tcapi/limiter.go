package tcapi

import (
	"context"
	"math"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimiter paces the requests of one client. Its rate starts at the
// configured ceiling and adapts to what the service allows, because the
// service's limit (40 DescribeInstancesStatus requests per second) is per
// account and action: every other process using the same account — another
// provider alias, another pipeline running Terraform — draws on it too, and
// none of them can see the others. As TCP finds its share of a link it does
// not own, the limiter finds its share of the account's rate by itself:
//
//   - a request the service throttles (RequestLimitExceeded) halves the
//     rate, once per congestion event: throttled answers to requests sent
//     before the last cut are the same event seen late, as TCP cuts its
//     window once per window of losses (Throttled);
//   - each successful answer raises the rate, back up to the ceiling
//     (Succeeded), so that processes sharing an account take up what others
//     release; a slow rate climbs faster than a fast one, so that processes
//     that were cut unequally converge on equal shares and finish together;
//   - the throttled request is sent again as soon as the limiter, now
//     slower, allows, ahead of requests not yet sent (see Client.send), not
//     after an exponential sleep of its own, which would leave the account's
//     rate unused for seconds.
//
// The configured rate is thus a ceiling, not a promise: with others on the
// account, the limiter runs below it.
type RateLimiter struct {
	ceiling, floor rate.Limit

	mu      sync.Mutex
	lim     *rate.Limiter
	epoch   uint64             // counts cuts; a Permit of an older epoch was sent before the last one
	busy    bool               // a waiter holds the turn (see Wait)
	waiting [2][]chan struct{} // waiters for the turn: retries first, then first attempts
}

// The adaptation's constants, found with BenchmarkSharedAccount (two and four
// processes over-subscribing one account) and kept where they keep throttled
// answers at a few per cent and every process near the account's rate.
//
// Halving, TCP Reno's decrease, takes K processes started together at their
// ceilings under the account's rate in one or two cuts, and a process that
// was cut more than the others back in line quickly; CUBIC's gentler 0.7
// cost about half as many throttled answers again. After a cut the rate r
// grows by limiterClimb·ceiling²/r per second of successful answers: from
// half the ceiling back to it in limiterRecovery when nobody else is on the
// account, and faster from lower down (from the floor to half the ceiling in
// a third of that). A climb twice as fast cost twice the throttled answers;
// a slower one left the processes unequal for longer, so that the last one
// finished alone, held to its own ceiling. The floor keeps persistent
// throttling from slowing the limiter to nothing: at a sixteenth of the
// ceiling, the max_retries retries of a request throttled every time end
// within seconds, and the throttling is reported rather than waited out.
const (
	limiterBackoff  = 0.5
	limiterRecovery = 10 * time.Second
	limiterClimb    = (1 - limiterBackoff*limiterBackoff) / 2 / (float64(limiterRecovery) / float64(time.Second))
	limiterFloor    = 1.0 / 16
)

// Permit is the right to send one request, from RateLimiter.Wait. Hand it
// back to Throttled if the request is throttled.
type Permit struct{ epoch uint64 }

// NewRateLimiter allows perSecond requests per second, one at a time: a burst
// of 1 keeps the requests evenly spaced, so that even the service's strictest
// reading of "N per second" is never exceeded.
func NewRateLimiter(perSecond float64) *RateLimiter {
	ceiling := rate.Limit(perSecond)
	return &RateLimiter{ceiling: ceiling, floor: ceiling * limiterFloor, lim: rate.NewLimiter(ceiling, 1)}
}

// Wait blocks until the next request may be sent or ctx is done. retry says
// the request was throttled and is sent again: it goes before requests not
// yet sent, so that one request's retries do not wait behind a whole read's
// pages and persistent throttling is reported within max_retries slots.
//
// One waiter at a time holds the turn and waits on the rate.Limiter: it books
// a slot for every waiter at the rate of the moment it starts waiting, so
// with a read's 32 requests waiting, a cut would reach the service only after
// a second's worth of slots booked at the old rate, all throttled. With one
// waiter at a time, a cut paces the very next request.
func (l *RateLimiter) Wait(ctx context.Context, retry bool) (Permit, error) {
	if err := l.acquire(ctx, retry); err != nil {
		return Permit{}, err
	}
	defer l.release()
	if err := l.lim.Wait(ctx); err != nil {
		return Permit{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return Permit{epoch: l.epoch}, nil
}

func (l *RateLimiter) acquire(ctx context.Context, retry bool) error {
	l.mu.Lock()
	if !l.busy {
		l.busy = true
		l.mu.Unlock()
		return nil
	}
	queue := 1
	if retry {
		queue = 0
	}
	turn := make(chan struct{})
	l.waiting[queue] = append(l.waiting[queue], turn)
	l.mu.Unlock()
	select {
	case <-turn:
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		if i := slices.Index(l.waiting[queue], turn); i >= 0 {
			l.waiting[queue] = slices.Delete(l.waiting[queue], i, i+1)
			l.mu.Unlock()
		} else {
			// The turn was handed over as ctx ended: pass it on.
			l.mu.Unlock()
			l.release()
		}
		return ctx.Err()
	}
}

// release hands the turn to the first retry waiting, else to the first
// request waiting, else frees it.
func (l *RateLimiter) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for q := range l.waiting {
		if len(l.waiting[q]) > 0 {
			next := l.waiting[q][0]
			l.waiting[q] = slices.Delete(l.waiting[q], 0, 1)
			close(next)
			return
		}
	}
	l.busy = false
}

// Limit is the current rate in requests per second.
func (l *RateLimiter) Limit() float64 { return float64(l.lim.Limit()) }

// Throttled is called when the service answered the request sent with p
// RequestLimitExceeded. It halves the rate, unless the request was sent
// before the last cut: the requests in flight when the service starts
// refusing are refused together, and count as one event.
func (l *RateLimiter) Throttled(p Permit) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p.epoch != l.epoch {
		return
	}
	l.epoch++
	l.lim.SetLimit(max(l.lim.Limit()*limiterBackoff, l.floor))
}

// Succeeded is called after each successful answer. The rate r grows as
// dr/dt = limiterClimb·ceiling²/r: r² grows linearly with time. One answer
// stands for 1/r seconds at rate r, so each adds 2·limiterClimb·ceiling²/r
// to r², which holds the climb to that law whatever the rate.
func (l *RateLimiter) Succeeded() {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := float64(l.lim.Limit())
	c := float64(l.ceiling)
	if r >= c {
		return
	}
	l.lim.SetLimit(rate.Limit(min(math.Sqrt(r*r+2*limiterClimb*c*c/r), c)))
}

// Limiters holds one RateLimiter per action and region, as the service
// limits requests: a client keeps one Limiters for all its reads.
type Limiters struct {
	rates map[string]ActionRate

	mu  sync.Mutex
	all map[limiterKey]*RateLimiter
}

// ActionRate is the ceiling of one action's limiter.
type ActionRate struct {
	PerSecond float64
	// AcrossRegions shares one limiter among all regions, for an action
	// whose limit the service counts per account whatever the region.
	AcrossRegions bool
}

type limiterKey struct{ action, region string }

// NewLimiters paces each action in rates at its rate; For panics for an
// action that has none, which is a programming error.
func NewLimiters(rates map[string]ActionRate) *Limiters {
	return &Limiters{rates: rates, all: map[limiterKey]*RateLimiter{}}
}

// For is the limiter of action in region, made at its first use.
func (l *Limiters) For(action, region string) *RateLimiter {
	r, ok := l.rates[action]
	if !ok {
		panic("tcapi: no rate for action " + action)
	}
	if r.AcrossRegions {
		region = ""
	}
	key := limiterKey{action, region}
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.all[key]
	if lim == nil {
		lim = NewRateLimiter(r.PerSecond)
		l.all[key] = lim
	}
	return lim
}
