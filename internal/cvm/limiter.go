package cvm

import (
	"context"
	"sync"

	"golang.org/x/time/rate"
)

// RateLimiter paces requests to at most the configured rate, shared by every
// read of one provider instance. When the service throttles anyway (another
// tool using the same account, a lower quota than configured) it halves its
// rate, then climbs back by small steps as requests succeed (AIMD).
type RateLimiter struct {
	max   rate.Limit
	floor rate.Limit

	mu  sync.Mutex
	lim *rate.Limiter
}

// NewRateLimiter allows perSecond requests per second, one at a time: a burst
// of 1 keeps the requests evenly spaced, so that even the service's strictest
// reading of "N per second" is never exceeded.
func NewRateLimiter(perSecond float64) *RateLimiter {
	ceiling := rate.Limit(perSecond)
	// Never below a sixteenth of the configured rate: throttling that
	// persists at that pace is reported rather than waited out.
	return &RateLimiter{max: ceiling, floor: ceiling / 16, lim: rate.NewLimiter(ceiling, 1)}
}

// Wait blocks until the next request may be sent or ctx is done.
func (l *RateLimiter) Wait(ctx context.Context) error {
	return l.lim.Wait(ctx)
}

// Limit is the current rate in requests per second.
func (l *RateLimiter) Limit() float64 { return float64(l.lim.Limit()) }

// Throttled is called when the service answered RequestLimitExceeded.
func (l *RateLimiter) Throttled() {
	l.mu.Lock()
	defer l.mu.Unlock()
	next := l.lim.Limit() / 2
	if next < l.floor {
		next = l.floor
	}
	l.lim.SetLimit(next)
}

// Succeeded is called after each successful answer: the rate climbs back to
// the maximum over about twenty successes.
func (l *RateLimiter) Succeeded() {
	l.mu.Lock()
	defer l.mu.Unlock()
	cur := l.lim.Limit()
	if cur >= l.max {
		return
	}
	next := cur + l.max/20
	if next > l.max {
		next = l.max
	}
	l.lim.SetLimit(next)
}
