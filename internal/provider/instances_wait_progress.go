package provider

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
)

// How often the action speaks while it waits: at each poll where something
// changed, but never twice within progressMinGap, and at least every
// progressMaxGap, so that a long quiet wait still says how much time is left.
const (
	progressMinGap = time.Second
	progressMaxGap = 10 * time.Second
	// progressNamed is how many waited-on instances a message names.
	progressNamed = 3
)

// progressReporter turns the polls of one wait into the action's progress
// messages. The wait calls poll after each poll (cvm.Wait.OnPoll), a ticker
// calls tick between polls, and done ends it; all three may run on
// different goroutines. It keeps only what the next message needs, never a
// poll's Result, and builds a message only when it sends one, so that a
// poll of 10,000 instances costs a count per state and no more.
type progressReporter struct {
	send    func(string)
	now     func() time.Time
	start   time.Time
	timeout time.Duration
	wanted  []string
	ready   bool

	mu       sync.Mutex
	last     time.Time // when the last message went out; zero: none yet
	latest   *pollSummary
	unsent   bool // latest changed something no message has said yet
	finished bool
}

// pollSummary is what a message says about one poll.
type pollSummary struct {
	total    int
	counts   map[string]int // by state; "" counts instances not found
	there    int            // instances the wait no longer waits for
	waiting  []cvm.InstanceStatus
	nWaiting int
}

func newProgressReporter(send func(string), now func() time.Time, timeout time.Duration, wait cvm.Wait) *progressReporter {
	return &progressReporter{send: send, now: now, start: now(), timeout: timeout, wanted: wait.States, ready: wait.Ready}
}

// poll takes one poll's progress: a message at once when something changed
// and the last message is at least progressMinGap old, else at the next
// tick that may speak.
func (r *progressReporter) poll(p cvm.WaitProgress) {
	s := &pollSummary{
		total:    len(p.Result.Instances) + len(p.Result.Missing),
		counts:   make(map[string]int, 4),
		nWaiting: p.WaitingCount,
		waiting:  slices.Clone(p.Waiting[:min(len(p.Waiting), progressNamed)]),
	}
	for _, in := range p.Result.Instances {
		s.counts[in.State]++
	}
	if n := len(p.Result.Missing); n > 0 {
		s.counts[""] = n
	}
	s.there = s.total - s.nWaiting
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return
	}
	r.latest = s
	if p.Done {
		// done says it, with the final word.
		r.unsent = false
		return
	}
	r.unsent = r.unsent || p.Changed
	if r.unsent && r.may(r.now(), progressMinGap) {
		r.say(r.now())
	}
}

// tick is called between polls, about once a second: it sends what a
// throttled poll could not, or, after progressMaxGap of silence, the
// latest state of things with the time left.
func (r *progressReporter) tick() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return
	}
	now := r.now()
	switch {
	case r.unsent && r.may(now, progressMinGap):
		r.say(now)
	case r.may(now, progressMaxGap) && now.Sub(r.start) >= progressMaxGap:
		r.say(now)
	}
}

// done ends the reporting after a successful wait with the final message,
// "all N RUNNING" or "all N ready", and returns how long the caller must
// wait before sending it so as not to speak twice within progressMinGap.
// After done, poll and tick say nothing.
func (r *progressReporter) done() (message string, delay time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finished = true
	total := 0
	if r.latest != nil {
		total = r.latest.total
	}
	message = fmt.Sprintf("all %d %s", total, r.wantedText())
	if !r.last.IsZero() {
		delay = max(0, progressMinGap-r.now().Sub(r.last))
	}
	return message, delay
}

// stop ends the reporting without a final message (the wait failed: its
// diagnostic says why).
func (r *progressReporter) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finished = true
}

// may says whether a message may go out at now, gap after the last.
func (r *progressReporter) may(now time.Time, gap time.Duration) bool {
	return r.last.IsZero() || now.Sub(r.last) >= gap
}

// say sends the message for the latest poll; r.mu is held.
func (r *progressReporter) say(now time.Time) {
	r.last = now
	r.unsent = false
	r.send(r.message(now))
}

func (r *progressReporter) wantedText() string {
	if r.ready {
		return "ready"
	}
	return strings.Join(r.wanted, " or ")
}

// message is the text for the latest poll at now:
//
//	7 of 10 RUNNING, 2 STARTING, 1 PENDING; waiting on ins-… (STARTING), ins-… (PENDING), and 1 more; 19m32s left
func (r *progressReporter) message(now time.Time) string {
	left := r.timeout - now.Sub(r.start)
	leftText := short(max(0, left).Round(time.Second)) + " left"
	s := r.latest
	if s == nil {
		return "waiting for the first answer; " + leftText
	}
	var b strings.Builder
	if r.ready {
		fmt.Fprintf(&b, "%d of %d ready", s.there, s.total)
	} else {
		n := 0
		for _, w := range r.wanted {
			n += s.counts[w]
		}
		fmt.Fprintf(&b, "%d of %d %s", n, s.total, r.wantedText())
	}
	// The other states, in the documented order, then the IDs not found.
	for _, state := range cvm.States {
		if c := s.counts[state]; c > 0 && (r.ready || !slices.Contains(r.wanted, state)) {
			fmt.Fprintf(&b, ", %d %s", c, state)
		}
	}
	if c := s.counts[""]; c > 0 {
		fmt.Fprintf(&b, ", %d not found", c)
	}
	if s.nWaiting > 0 {
		parts := make([]string, 0, len(s.waiting)+1)
		for _, in := range s.waiting {
			parts = append(parts, fmt.Sprintf("%s (%s)", in.InstanceID, r.why(in)))
		}
		if rest := s.nWaiting - len(s.waiting); rest > 0 {
			parts = append(parts, fmt.Sprintf("and %d more", rest))
		}
		b.WriteString("; waiting on ")
		b.WriteString(strings.Join(parts, ", "))
	}
	b.WriteString("; ")
	b.WriteString(leftText)
	return b.String()
}

// why says what an instance is waited on for: its state, and when waiting
// for readiness, the reasons it is not ready.
func (r *progressReporter) why(in cvm.InstanceStatus) string {
	state := in.State
	if state == "" {
		return "not found"
	}
	if r.ready && len(in.Reasons) > 0 {
		// The state leads; its own reason ("state PENDING") would say it twice.
		reasons := slices.DeleteFunc(slices.Clone(in.Reasons), func(s string) bool { return s == "state "+state })
		if len(reasons) == 0 {
			return state
		}
		return state + ": " + strings.Join(reasons, "; ")
	}
	if slices.Contains(r.wanted, state) {
		return state + ", not steady yet"
	}
	return state
}
