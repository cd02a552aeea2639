package cvm

import (
	"context"
	"errors"
	"slices"
	"time"
)

// WaitForStates reads the instances (every instance of the region when ids
// is nil) until each is in one of the wanted states, and returns that read.
//
// It polls at growing intervals (PollInterval up to MaxPoll), every request
// paced by the shared rate limiter. An ID the service does not know yet is
// waited for, since a just-created instance can take a moment to appear. An
// instance in a state from which no wanted state can be reached (CanReach)
// ends the wait at once with a *WaitError whose Stuck is true. When ctx ends
// first, the *WaitError lists every instance not yet there with its last
// known state.
func (c *Client) WaitForStates(ctx context.Context, region string, ids []string, wanted []string) (*Result, error) {
	interval := c.cfg.PollInterval
	var last *Result
	for {
		res, err := c.DescribeInstancesStatus(ctx, region, ids)
		if err != nil {
			if ctx.Err() != nil && last != nil {
				return last, notReady(last, wanted, ctx.Err())
			}
			return nil, err
		}
		last = res
		werr := notReady(res, wanted, nil)
		if werr == nil || werr.Stuck {
			return res, asError(werr)
		}
		tflogWaiting(ctx, region, werr, interval)
		if err := sleep(ctx, interval); err != nil {
			werr.Err = err
			return res, werr
		}
		interval = min(interval*3/2, c.cfg.MaxPoll)
	}
}

// notReady returns nil when every instance of res is in a wanted state and
// none is missing; otherwise a *WaitError listing the others. When some
// instance can never get there, only those are listed and Stuck is set.
func notReady(res *Result, wanted []string, ctxErr error) *WaitError {
	var pending, stuck []InstanceStatus
	for _, s := range res.Instances {
		switch {
		case slices.Contains(wanted, s.State):
		case CanReach(s.State, wanted):
			pending = append(pending, s)
		default:
			stuck = append(stuck, s)
		}
	}
	for _, id := range res.Missing {
		pending = append(pending, InstanceStatus{InstanceID: id})
	}
	switch {
	case len(stuck) > 0:
		return &WaitError{Wanted: wanted, NotReady: stuck, Stuck: true}
	case len(pending) > 0:
		return &WaitError{Wanted: wanted, NotReady: pending, Err: ctxErr}
	}
	return nil
}

// asError keeps a nil *WaitError from becoming a non-nil error.
func asError(e *WaitError) error {
	if e == nil {
		return nil
	}
	return e
}

// IsTimeout reports whether err ended a wait because its time ran out.
func IsTimeout(err error) bool {
	var we *WaitError
	return errors.As(err, &we) && errors.Is(we.Err, context.DeadlineExceeded)
}

func tflogWaiting(ctx context.Context, region string, werr *WaitError, next time.Duration) {
	tflogDebug(ctx, "waiting for instance states", map[string]any{
		"region": region, "wanted": werr.Wanted, "not_ready": len(werr.NotReady), "next_poll_ms": next.Milliseconds(),
	})
}
