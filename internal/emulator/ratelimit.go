package emulator

import (
	"strconv"
	"sync"
	"time"
)

// rateLimiter is a token bucket per (account, action): it refills at rate
// tokens per second up to burst, one second's worth, so a client may spend a
// whole second's allowance at once and then has to slow down to the rate.
//
// The service counts per account, not per key: every permanent key and every
// temporary credential of one account draws on the same buckets, so that two
// processes reading with different credentials of one account share its 40
// requests per second as they do on the real service.
type rateLimiter struct {
	rate  float64
	burst float64
	// own are the actions whose documented limit is their own (see
	// actionDef.rateLimit); they keep it whatever rate is.
	own map[string]float64

	mu      sync.Mutex
	buckets map[bucketKey]*bucket
}

type bucketKey struct{ account, action string }

type bucket struct {
	tokens float64
	last   time.Time
	// second and seen count the requests within the current wall-clock
	// second, only to word the error message as the service does.
	second int64
	seen   int
}

func newRateLimiter(rate float64, own map[string]float64) *rateLimiter {
	if rate <= 0 {
		return nil
	}
	return &rateLimiter{rate: rate, burst: max(rate, 1), own: own, buckets: make(map[bucketKey]*bucket)}
}

// rateOf is action's rate and burst.
func (l *rateLimiter) rateOf(action string) (rate, burst float64) {
	if r, ok := l.own[action]; ok {
		return r, max(r, 1)
	}
	return l.rate, l.burst
}

// allow takes a token of account's bucket for action, for the request
// arriving at now. When none is left it returns false and the number of
// requests seen in the current second. Unsigned requests have no account
// (""): they share one bucket per action.
func (l *rateLimiter) allow(account, action string, now time.Time) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := bucketKey{account, action}
	rate, burst := l.rateOf(action)
	b := l.buckets[k]
	if b == nil {
		b = &bucket{tokens: burst, last: now}
		l.buckets[k] = b
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = min(burst, b.tokens+elapsed*rate)
		b.last = now
	}
	if sec := now.Unix(); sec != b.second {
		b.second, b.seen = sec, 0
	}
	b.seen++
	if b.tokens >= 1 {
		b.tokens--
		return true, b.seen
	}
	return false, b.seen
}

func (l *rateLimiter) message(action string, seen int) string {
	rate, _ := l.rateOf(action)
	return "Your current request times equals to `" + strconv.Itoa(seen) +
		"` in a second, which exceeds the frequency limit `" + strconv.FormatFloat(rate, 'f', -1, 64) +
		"` for a second. Please reduce the frequency of calls."
}
