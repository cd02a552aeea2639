package provider

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
)

// fakeClock is the reporter's clock, moved by the test.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newFakeClock() *fakeClock               { return &fakeClock{t: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)} }

// sentMessage is one message and when it was sent.
type sentMessage struct {
	at  time.Time
	msg string
}

func newTestReporter(clock *fakeClock, wait cvm.Wait) (*progressReporter, *[]sentMessage) {
	var sent []sentMessage
	r := newProgressReporter(func(m string) { sent = append(sent, sentMessage{clock.now(), m}) }, clock.now, 20*time.Minute, wait)
	return r, &sent
}

func fleetOf(pairs ...string) []cvm.InstanceStatus {
	var out []cvm.InstanceStatus
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, cvm.InstanceStatus{InstanceID: pairs[i], State: pairs[i+1]})
	}
	return out
}

// progressOf is a poll that sees instances, waiting on those not RUNNING.
func progressOf(changed bool, instances []cvm.InstanceStatus, missing ...string) cvm.WaitProgress {
	p := cvm.WaitProgress{Changed: changed, Result: &cvm.Result{Instances: instances, Missing: missing}}
	for _, in := range instances {
		if in.State != "RUNNING" || len(in.Reasons) > 0 {
			p.Waiting = append(p.Waiting, in)
		}
	}
	for _, id := range missing {
		p.Waiting = append(p.Waiting, cvm.InstanceStatus{InstanceID: id})
	}
	p.WaitingCount = len(p.Waiting)
	p.Waiting = p.Waiting[:min(len(p.Waiting), cvm.WaitingShown)]
	p.Done = p.WaitingCount == 0
	return p
}

func TestProgressMessage(t *testing.T) {
	clock := newFakeClock()
	r, sent := newTestReporter(clock, cvm.Wait{States: []string{"RUNNING"}})
	clock.advance(28 * time.Second)
	r.poll(progressOf(true, fleetOf(
		"ins-aaaaaaaa", "RUNNING", "ins-bbbbbbbb", "STARTING", "ins-cccccccc", "PENDING",
		"ins-dddddddd", "RUNNING", "ins-eeeeeeee", "STARTING", "ins-ffffffff", "STARTING",
	), "ins-gggggggg"))
	want := "2 of 7 RUNNING, 1 PENDING, 3 STARTING, 1 not found; waiting on ins-bbbbbbbb (STARTING), ins-cccccccc (PENDING), ins-eeeeeeee (STARTING), and 2 more; 19m32s left"
	if len(*sent) != 1 || (*sent)[0].msg != want {
		t.Fatalf("sent %+v,\nwant %q", *sent, want)
	}
	msg, delay := r.done()
	if msg != "all 7 RUNNING" || delay != time.Second {
		t.Errorf("done: %q after %s, want \"all 7 RUNNING\" after 1s", msg, delay)
	}
}

func TestProgressMessageReadiness(t *testing.T) {
	clock := newFakeClock()
	r, sent := newTestReporter(clock, cvm.Wait{States: []string{"RUNNING"}, Ready: true, Include: cvm.Checks{Agent: true}})
	in := fleetOf("ins-aaaaaaaa", "RUNNING", "ins-bbbbbbbb", "RUNNING", "ins-cccccccc", "STARTING")
	in[1].Reasons = []string{"TAT agent Offline"}
	in[2].Reasons = []string{"state STARTING"}
	r.poll(progressOf(true, in))
	want := "1 of 3 ready, 2 RUNNING, 1 STARTING; waiting on ins-bbbbbbbb (RUNNING: TAT agent Offline), ins-cccccccc (STARTING); 20m left"
	if len(*sent) != 1 || (*sent)[0].msg != want {
		t.Fatalf("sent %+v,\nwant %q", *sent, want)
	}
	if msg, _ := r.done(); msg != "all 3 ready" {
		t.Errorf("done: %q, want \"all 3 ready\"", msg)
	}
}

// A changed poll speaks at once, unless the last message is less than a
// second old: then the next tick says it. Quiet polls leave the ticker to
// say the time left every 10 seconds.
func TestProgressTiming(t *testing.T) {
	clock := newFakeClock()
	start := clock.now()
	r, sent := newTestReporter(clock, cvm.Wait{States: []string{"RUNNING"}})
	starting := fleetOf("ins-aaaaaaaa", "STARTING")
	r.poll(progressOf(true, starting)) // 0s: said
	clock.advance(400 * time.Millisecond)
	r.poll(progressOf(true, fleetOf("ins-aaaaaaaa", "PENDING"))) // 0.4s: held back
	clock.advance(400 * time.Millisecond)
	r.tick() // 0.8s: still too soon
	clock.advance(400 * time.Millisecond)
	r.tick() // 1.2s: says the held-back poll
	for range 25 {
		clock.advance(time.Second)
		r.poll(progressOf(false, fleetOf("ins-aaaaaaaa", "PENDING")))
		r.tick()
	} // 26.2s: quiet; the ticker speaks at 11.2s and 21.2s
	var got []string
	for _, s := range *sent {
		got = append(got, s.at.Sub(start).String()+" "+s.msg)
	}
	want := []string{
		"0s 0 of 1 RUNNING, 1 STARTING; waiting on ins-aaaaaaaa (STARTING); 20m left",
		"1.2s 0 of 1 RUNNING, 1 PENDING; waiting on ins-aaaaaaaa (PENDING); 19m59s left",
		"11.2s 0 of 1 RUNNING, 1 PENDING; waiting on ins-aaaaaaaa (PENDING); 19m49s left",
		"21.2s 0 of 1 RUNNING, 1 PENDING; waiting on ins-aaaaaaaa (PENDING); 19m39s left",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("sent:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Before the first poll answers, the ticker still says the time left
// every 10 seconds; after done or stop, nothing more is said.
func TestProgressBeforeFirstPollAndAfterEnd(t *testing.T) {
	clock := newFakeClock()
	r, sent := newTestReporter(clock, cvm.Wait{States: []string{"RUNNING"}})
	for range 12 {
		clock.advance(time.Second)
		r.tick()
	}
	if len(*sent) != 1 || (*sent)[0].msg != "waiting for the first answer; 19m50s left" {
		t.Fatalf("sent %+v", *sent)
	}
	r.stop()
	clock.advance(time.Minute)
	r.poll(progressOf(true, fleetOf("ins-aaaaaaaa", "STARTING")))
	r.tick()
	if len(*sent) != 1 {
		t.Errorf("spoke after stop: %+v", *sent)
	}
}

// However large the fleet and however often it changes (five polls a
// second here, each a change), no two messages are less than a second
// apart, and quiet seconds are not made up for later.
func TestProgressThrottlesALargeFleet(t *testing.T) {
	clock := newFakeClock()
	r, sent := newTestReporter(clock, cvm.Wait{States: []string{"RUNNING"}})
	fleet := make([]cvm.InstanceStatus, 10000)
	for i := range fleet {
		fleet[i] = cvm.InstanceStatus{InstanceID: fmt.Sprintf("ins-%08d", i), State: "STARTING"}
	}
	const span, every = 60 * time.Second, 200 * time.Millisecond
	for poll := 0; time.Duration(poll)*every < span; poll++ {
		// One more instance is RUNNING at each poll: every poll changed.
		fleet[poll].State = "RUNNING"
		r.poll(progressOf(true, fleet))
		if time.Duration(poll)*every%time.Second == 0 {
			r.tick()
		}
		clock.advance(every)
	}
	if n := len(*sent); n < 50 || n > 61 {
		t.Errorf("%d messages in %s, want about one a second", n, span)
	}
	for i := 1; i < len(*sent); i++ {
		if gap := (*sent)[i].at.Sub((*sent)[i-1].at); gap < progressMinGap {
			t.Fatalf("messages %d and %d are %s apart", i-1, i, gap)
		}
	}
}
