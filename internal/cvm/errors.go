package cvm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrListingUnstable is wrapped by the error a listing returns when the set of
// instances kept changing while it was being paged through.
var ErrListingUnstable = errors.New("the instance list changed while it was being read")

// listShown is how many instances an error lists by name; the rest are
// counted, so that a wait on a thousand instances does not produce a
// thousand-line message.
const listShown = 10

// WaitError is returned when instances did not reach the wanted states.
type WaitError struct {
	Wanted []string
	// Ready is true for a wait for readiness (Wait.Ready): NotReady's
	// instances then carry the reasons each is not ready.
	Ready bool
	// StableFor is how long each instance had to stay in a wanted state.
	StableFor time.Duration
	// NotReady lists each instance that is not in a wanted state, with its
	// current state, or State "" when the service does not know it.
	NotReady []InstanceStatus
	// Stuck is true when at least one instance is in a state from which no
	// wanted state can be reached, or no longer exists, so waiting longer
	// would not help. NotReady then holds only those instances.
	Stuck bool
	// NotFound is true when the instances in NotReady were never found,
	// poll after poll, for longer than a new instance takes to appear.
	NotFound bool
	Err      error // the context error that ended the wait, if any
}

func (e *WaitError) Error() string {
	var b strings.Builder
	wanted := strings.Join(e.Wanted, " or ")
	reach := "reach " + wanted
	if e.Ready {
		reach = "be ready"
	}
	if e.StableFor > 0 && !e.Stuck && !e.NotFound {
		reach += fmt.Sprintf(" and stay so for %s", e.StableFor)
		if !e.Ready {
			reach = fmt.Sprintf("reach %s and stay there for %s", wanted, e.StableFor)
		}
	}
	switch {
	case e.NotFound:
		fmt.Fprintf(&b, "instances not found while waiting for them to %s:", reach)
	case e.Stuck:
		fmt.Fprintf(&b, "instances cannot reach %s:", wanted)
	case errors.Is(e.Err, context.Canceled):
		fmt.Fprintf(&b, "cancelled while waiting for instances to %s; not there yet:", reach)
	default:
		fmt.Fprintf(&b, "timed out waiting for instances to %s:", reach)
	}
	b.WriteString(" ")
	b.WriteString(e.List(listShown))
	return b.String()
}

func (e *WaitError) Unwrap() error { return e.Err }

// List names up to shown of the instances not there, each with its state,
// or, for a wait for readiness, with the reasons it is not ready.
func (e *WaitError) List(shown int) string {
	if e.Ready {
		return formatReasons(e.NotReady, shown)
	}
	return FormatInstances(e.NotReady, shown)
}

// FormatInstances lists up to shown instances as "ins-… (STATE)", and counts
// the rest.
func FormatInstances(list []InstanceStatus, shown int) string {
	parts := make([]string, 0, min(len(list), shown)+1)
	for i, s := range list {
		if i == shown {
			parts = append(parts, fmt.Sprintf("and %d more", len(list)-shown))
			break
		}
		state := s.State
		if state == "" {
			state = "not found"
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", s.InstanceID, state))
	}
	return strings.Join(parts, ", ")
}

// formatReasons lists up to shown instances as "ins-… (reason; reason)",
// and counts the rest: FormatInstances for a wait for readiness.
func formatReasons(list []InstanceStatus, shown int) string {
	parts := make([]string, 0, min(len(list), shown)+1)
	for i, s := range list {
		if i == shown {
			parts = append(parts, fmt.Sprintf("and %d more", len(list)-shown))
			break
		}
		why := strings.Join(s.Reasons, "; ")
		switch {
		case s.State == "":
			why = "not found"
		case why == "":
			why = s.State + ", not steady yet"
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", s.InstanceID, why))
	}
	return strings.Join(parts, ", ")
}
