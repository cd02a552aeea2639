package cvm

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// Wait says what WaitForStates waits for.
type Wait struct {
	// States are the wanted states; an instance in any of them is there.
	States []string
	// StableFor is how long each instance must have been seen in the same
	// wanted state, on consecutive polls, before the wait ends. Zero ends it
	// at the first poll that sees every instance in a wanted state. Right
	// after StartInstances, StopInstances or RebootInstances the service can
	// report the old state for a moment; a few seconds here wait that out.
	StableFor time.Duration
	// Ready waits for every instance to be ready (InstanceStatus.Ready):
	// RUNNING, and nothing the Include checks read stands in the way.
	// States must then be empty or ["RUNNING"].
	Ready bool
	// Include are the readiness checks every poll reads.
	Include Checks
	// OnPoll, when set, is called after each poll, from the waiting
	// goroutine, with what the wait knows then. It must not keep Result.
	OnPoll func(WaitProgress)
}

// WaitingShown is how many of the instances not there yet WaitProgress
// lists by name.
const WaitingShown = 10

// WaitProgress is what a wait knows after one of its polls.
type WaitProgress struct {
	Result *Result // the poll's read
	// WaitingCount is how many instances are not there yet: not in a
	// wanted state (or not ready), not steady for StableFor yet, or not
	// found; Waiting lists the first WaitingShown of them, in the read's
	// order, so that a poll of a large fleet does not copy it.
	WaitingCount int
	Waiting      []InstanceStatus
	// Changed is true on the first poll, and when an instance's state or
	// reasons differ from the previous poll's.
	Changed bool
	// Done is true on the poll that ends the wait successfully.
	Done bool
}

// WaitForStates reads the instances (every instance of the region when ids
// is nil) until each is in one of the wanted states, and returns that read.
//
// It polls at growing intervals (PollInterval up to MaxPoll), every request
// paced by the shared rate limiter. It ends with a *WaitError:
//   - at once when an instance is in a state from which no wanted state can
//     be reached (CanReach), or was found by an earlier poll and is gone
//     (Stuck);
//   - when an ID has never been found, at least two polls and MissingGrace
//     after the first: the service reports a new instance at once, so such
//     an ID is mistyped or of another region (NotFound);
//   - when ctx ends first, listing every instance not yet there with its
//     last known state, and ctx's error as Err (context.Canceled when the
//     user interrupted the run, context.DeadlineExceeded when time ran out).
func (c *Client) WaitForStates(ctx context.Context, region string, ids []string, w Wait) (*Result, error) {
	if w.Ready && len(w.States) == 0 {
		w.States = []string{"RUNNING"}
	}
	interval := c.cfg.PollInterval
	t := newWaitTracker(w, c.cfg.Now())
	var last *Result
	for polls := 1; ; polls++ {
		res, err := c.Read(ctx, region, ids, w.Include)
		if err != nil {
			// The rate limiter says DeadlineExceeded as soon as its wait
			// would pass the deadline, before ctx itself ends. A request
			// that timed out says so too, through its cause, but that is
			// the request's failure, not the wait's.
			var apiErr *tcapi.APIError
			if last != nil && (ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) && !errors.As(err, &apiErr)) {
				return last, t.interrupted(last, err)
			}
			return nil, err
		}
		last = res
		now := c.cfg.Now()
		werr, wait := t.observe(res, now, polls >= 2 && now.Sub(t.start) >= c.cfg.MissingGrace)
		if w.OnPoll != nil {
			w.OnPoll(t.progress(res, werr == nil && wait == 0))
		}
		if werr == nil && wait == 0 {
			return res, nil
		}
		if werr != nil && (werr.Stuck || werr.NotFound) {
			return res, werr
		}
		next := interval
		if wait > 0 {
			next = min(next, wait)
		}
		c.logWaiting(ctx, region, w.States, t, res, next)
		if err := tcapi.Sleep(ctx, next); err != nil {
			return res, t.interrupted(res, err)
		}
		interval = min(interval*3/2, c.cfg.MaxPoll)
	}
}

// waitTracker remembers, across the polls of one wait, which IDs have been
// found and since when each instance has been in its current wanted state.
type waitTracker struct {
	Wait
	start    time.Time
	lastPoll time.Time
	seen     map[string]bool
	steady   map[string]streak
	// shown fingerprints every instance's state and reasons at the last
	// poll (polled), for WaitProgress.Changed.
	shown  fingerprint
	polled bool
}

// streak is an instance seen in the same wanted state since a poll at since.
type streak struct {
	state string
	since time.Time
}

func newWaitTracker(w Wait, start time.Time) *waitTracker {
	return &waitTracker{Wait: w, start: start, seen: map[string]bool{}, steady: map[string]streak{}}
}

// observe takes one poll's result. It returns a *WaitError when some
// instance is not in a wanted state (Stuck or NotFound when waiting longer
// cannot help; NotFound only once missingGraceOver), else how much longer
// the least steady instance must stay as it is (0: the wait is over).
func (t *waitTracker) observe(res *Result, now time.Time, missingGraceOver bool) (*WaitError, time.Duration) {
	t.lastPoll = now
	var pending, stuck, notFound []InstanceStatus
	var wait time.Duration
	for _, s := range res.Instances {
		t.seen[s.InstanceID] = true
		there := slices.Contains(t.States, s.State)
		if t.Ready {
			there = there && s.Ready()
		}
		switch {
		case there:
			st, ok := t.steady[s.InstanceID]
			if !ok || st.state != s.State {
				st = streak{state: s.State, since: now}
				t.steady[s.InstanceID] = st
			}
			wait = max(wait, t.StableFor-now.Sub(st.since))
			continue
		case CanReach(s.State, t.States):
			pending = append(pending, s)
		default:
			stuck = append(stuck, s)
		}
		delete(t.steady, s.InstanceID)
	}
	for _, id := range res.Missing {
		delete(t.steady, id)
		gone := InstanceStatus{InstanceID: id}
		switch {
		case t.seen[id]: // found before, gone now: terminated
			stuck = append(stuck, gone)
		case missingGraceOver:
			notFound = append(notFound, gone)
		default:
			pending = append(pending, gone)
		}
	}
	switch {
	case len(stuck) > 0:
		return &WaitError{Wanted: t.States, Ready: t.Ready, NotReady: stuck, Stuck: true}, 0
	case len(notFound) > 0:
		return &WaitError{Wanted: t.States, Ready: t.Ready, NotReady: notFound, NotFound: true}, 0
	case len(pending) > 0:
		return &WaitError{Wanted: t.States, Ready: t.Ready, StableFor: t.StableFor, NotReady: pending}, 0
	}
	return nil, wait
}

// pending lists the instances of res that the wait is still waiting for:
// not in a wanted state, or not in it for StableFor yet at the last poll.
func (t *waitTracker) pending(res *Result) []InstanceStatus {
	out, _ := t.pendingFirst(res, len(res.Instances)+len(res.Missing))
	return out
}

// pendingFirst lists the first n instances pending lists, and counts them all.
func (t *waitTracker) pendingFirst(res *Result, n int) ([]InstanceStatus, int) {
	var out []InstanceStatus
	count := 0
	for _, s := range res.Instances {
		if st, ok := t.steady[s.InstanceID]; !ok || t.lastPoll.Sub(st.since) < t.StableFor {
			if count++; len(out) < n {
				out = append(out, s)
			}
		}
	}
	for _, id := range res.Missing {
		if count++; len(out) < n {
			out = append(out, InstanceStatus{InstanceID: id})
		}
	}
	return out, count
}

// progress is what OnPoll is told after a poll that read res.
func (t *waitTracker) progress(res *Result, done bool) WaitProgress {
	p := WaitProgress{Result: res, Done: done}
	if !done {
		p.Waiting, p.WaitingCount = t.pendingFirst(res, WaitingShown)
	}
	// A fingerprint of every instance's state and reasons, in the read's
	// order (the order asked for, or by ID): comparing two polls costs no
	// more than reading them, whatever the fleet's size.
	sum := newFingerprint()
	for _, s := range res.Instances {
		sum.add(s.InstanceID, 0)
		sum.add(s.State, 1)
		for _, r := range s.Reasons {
			sum.add(r, 2)
		}
	}
	for _, id := range res.Missing {
		sum.add(id, 3)
	}
	p.Changed = !t.polled || sum != t.shown
	t.polled, t.shown = true, sum
	return p
}

// fingerprint is a running FNV-1a hash of strings, each followed by a tag
// byte saying what it was.
type fingerprint uint64

func newFingerprint() fingerprint { return 14695981039346656037 }

func (f *fingerprint) add(s string, tag byte) {
	const prime = 1099511628211
	for i := 0; i < len(s); i++ {
		*f = (*f ^ fingerprint(s[i])) * prime
	}
	*f = (*f ^ fingerprint(0xf0|tag)) * prime
}

// interrupted is the error of a wait that ctx ended, after last was read.
func (t *waitTracker) interrupted(last *Result, ctxErr error) *WaitError {
	return &WaitError{Wanted: t.States, Ready: t.Ready, StableFor: t.StableFor, NotReady: t.pending(last), Err: ctxErr}
}

func (c *Client) logWaiting(ctx context.Context, region string, wanted []string, t *waitTracker, res *Result, next time.Duration) {
	if !c.cfg.Logger.Enabled(ctx, slog.LevelDebug) {
		return // spare listing the instances not ready on every poll
	}
	notReady := t.pending(res)
	c.cfg.Logger.LogAttrs(ctx, slog.LevelDebug, "waiting for instance states",
		slog.String("region", region),
		slog.Any("wanted", wanted),
		slog.Int("not_ready", len(notReady)),
		slog.String("instances", FormatInstances(notReady, 5)),
		slog.Int64("next_poll_ms", next.Milliseconds()))
}
