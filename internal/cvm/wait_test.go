package cvm

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

func TestWaitForStatesFollowsTransitions(t *testing.T) {
	s := startEmulator(t, emulator.Config{Regions: regionOf([]emulator.Instance{
		{InstanceId: "ins-aaaaaaa1", InstanceState: "RUNNING"},
		{InstanceId: "ins-aaaaaaa2", InstanceState: "PENDING", Transitions: []emulator.Transition{
			{After: emulator.Duration(150 * time.Millisecond), InstanceState: "STARTING"},
			{After: emulator.Duration(300 * time.Millisecond), InstanceState: "RUNNING"},
		}},
	})})
	res, err := newClient(t, s.URL()).WaitForStates(context.Background(), testRegion, []string{"ins-aaaaaaa1", "ins-aaaaaaa2"}, Wait{States: []string{"RUNNING"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range res.Instances {
		if in.State != "RUNNING" {
			t.Fatalf("%s is %s after the wait", in.InstanceID, in.State)
		}
	}
	if s.Stats().Requests < 2 {
		t.Fatal("the wait returned without polling again")
	}
}

func TestWaitForStatesFailsFastOnDeadEnd(t *testing.T) {
	s := startEmulator(t, emulator.Config{Regions: regionOf([]emulator.Instance{
		{InstanceId: "ins-aaaaaaa1", InstanceState: "PENDING"},
		{InstanceId: "ins-aaaaaaa2", InstanceState: "LAUNCH_FAILED"},
	})})
	_, err := newClient(t, s.URL()).WaitForStates(context.Background(), testRegion, []string{"ins-aaaaaaa1", "ins-aaaaaaa2"}, Wait{States: []string{"RUNNING"}})
	var we *WaitError
	if !errors.As(err, &we) || !we.Stuck || len(we.NotReady) != 1 || we.NotReady[0].State != "LAUNCH_FAILED" {
		t.Fatalf("err = %v; want a stuck WaitError naming the LAUNCH_FAILED instance", err)
	}
	if s.Stats().Requests != 1 {
		t.Fatalf("%d requests; a dead end must fail on the first read", s.Stats().Requests)
	}
}

func TestWaitForStatesTimeoutListsStragglers(t *testing.T) {
	s := startEmulator(t, emulator.Config{Regions: regionOf([]emulator.Instance{
		{InstanceId: "ins-aaaaaaa1", InstanceState: "RUNNING"},
		{InstanceId: "ins-aaaaaaa2", InstanceState: "STOPPED"},
	})})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := newClient(t, s.URL()).WaitForStates(ctx, testRegion, []string{"ins-aaaaaaa1", "ins-aaaaaaa2", "ins-aaaaaaa3"}, Wait{States: []string{"RUNNING"}})
	var we *WaitError
	if !errors.As(err, &we) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a timed-out wait", err)
	}
	msg := err.Error()
	for _, want := range []string{"ins-aaaaaaa2 (STOPPED)", "ins-aaaaaaa3 (not found)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not list %q", msg, want)
		}
	}
	if strings.Contains(msg, "ins-aaaaaaa1") {
		t.Errorf("%q lists an instance that is already RUNNING", msg)
	}
}

// The tracker's verdict on each poll: what is still awaited, what cannot
// arrive, and how long the least steady instance must stay as it is.
func TestWaitTracker(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1_700_000_000, 0)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	res := func(missing []string, pairs ...string) *Result {
		r := &Result{Missing: missing}
		for i := 0; i < len(pairs); i += 2 {
			r.Instances = append(r.Instances, InstanceStatus{InstanceID: pairs[i], State: pairs[i+1]})
		}
		return r
	}
	type poll struct {
		at        time.Duration
		res       *Result
		graceOver bool
		// want: "" done, "pending", "stuck" or "notfound"; wait: the
		// steadiness still needed when want is "".
		want string
		wait time.Duration
	}
	cases := []struct {
		name   string
		stable time.Duration
		polls  []poll
	}{
		{"all running at once", 0, []poll{{0, res(nil, "ins-a", "RUNNING"), false, "", 0}}},
		{"one still starting", 0, []poll{
			{0, res(nil, "ins-a", "RUNNING", "ins-b", "STARTING"), false, "pending", 0},
			{time.Second, res(nil, "ins-a", "RUNNING", "ins-b", "RUNNING"), false, "", 0},
		}},
		{"dead end", 0, []poll{{0, res(nil, "ins-a", "LAUNCH_FAILED"), false, "stuck", 0}}},
		{"missing, then found", 0, []poll{
			{0, res([]string{"ins-a"}), false, "pending", 0},
			{time.Second, res(nil, "ins-a", "RUNNING"), false, "", 0},
		}},
		{"never found", 0, []poll{
			{0, res([]string{"ins-a"}), false, "pending", 0},
			{40 * time.Second, res([]string{"ins-a"}), true, "notfound", 0},
		}},
		{"found, then gone", 0, []poll{
			{0, res(nil, "ins-a", "PENDING"), false, "pending", 0},
			{time.Second, res([]string{"ins-a"}), false, "stuck", 0},
		}},
		{"steady for long enough", 5 * time.Second, []poll{
			{0, res(nil, "ins-a", "RUNNING"), false, "", 5 * time.Second},
			{3 * time.Second, res(nil, "ins-a", "RUNNING"), false, "", 2 * time.Second},
			{5 * time.Second, res(nil, "ins-a", "RUNNING"), false, "", 0},
		}},
		{"a reboot in between starts the clock again", 5 * time.Second, []poll{
			{0, res(nil, "ins-a", "RUNNING"), false, "", 5 * time.Second},
			{2 * time.Second, res(nil, "ins-a", "REBOOTING"), false, "pending", 0},
			{4 * time.Second, res(nil, "ins-a", "RUNNING"), false, "", 5 * time.Second},
			{8 * time.Second, res(nil, "ins-a", "RUNNING"), false, "", time.Second},
			{9 * time.Second, res(nil, "ins-a", "RUNNING"), false, "", 0},
		}},
		{"a change between wanted states starts the clock again", 5 * time.Second, []poll{
			{0, res(nil, "ins-a", "RUNNING"), false, "", 5 * time.Second},
			{4 * time.Second, res(nil, "ins-a", "STOPPED"), false, "", 5 * time.Second},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := newWaitTracker(Wait{States: []string{"RUNNING", "STOPPED"}[:1+boolInt(strings.Contains(tc.name, "wanted states"))], StableFor: tc.stable}, t0)
			for i, p := range tc.polls {
				werr, wait := tr.observe(p.res, at(p.at), p.graceOver)
				got := ""
				switch {
				case werr == nil:
				case werr.Stuck:
					got = "stuck"
				case werr.NotFound:
					got = "notfound"
				default:
					got = "pending"
				}
				if got != p.want || wait != p.wait {
					t.Fatalf("poll %d: %q, %s more; want %q, %s more (%v)", i, got, wait, p.want, p.wait, werr)
				}
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// An ID that is never found ends the wait after two polls and the grace,
// naming it, instead of waiting for the whole timeout.
func TestWaitForStatesGivesUpOnIDsNeverFound(t *testing.T) {
	t.Parallel()
	s := startEmulator(t, emulator.Config{Regions: regionOf([]emulator.Instance{{InstanceId: "ins-aaaaaaa1", InstanceState: "STOPPED"}})})
	c := newClient(t, s.URL(), func(c *Config) { c.MissingGrace = 20 * time.Millisecond })
	_, err := c.WaitForStates(t.Context(), testRegion, []string{"ins-aaaaaaa1", "ins-typo0001"}, Wait{States: []string{"RUNNING"}})
	var we *WaitError
	if !errors.As(err, &we) || !we.NotFound || len(we.NotReady) != 1 || we.NotReady[0].InstanceID != "ins-typo0001" {
		t.Fatalf("err = %v; want a NotFound WaitError naming ins-typo0001 alone", err)
	}
	if polls := s.Stats().Requests; polls < 2 {
		t.Fatalf("gave up after %d polls; an ID gets at least two", polls)
	}
}

// Cancelling a wait, during a poll or between polls, ends it with
// context.Canceled, never as a timeout.
func TestWaitForStatesCancelled(t *testing.T) {
	t.Parallel()
	for _, during := range []string{"the sleep between polls", "a request"} {
		t.Run(during, func(t *testing.T) {
			t.Parallel()
			s := startEmulator(t, emulator.Config{Regions: regionOf([]emulator.Instance{{InstanceId: "ins-aaaaaaa1", InstanceState: "STOPPED"}})})
			c := newClient(t, s.URL(), func(c *Config) { c.PollInterval, c.MaxPoll = time.Hour, time.Hour })
			ctx, cancel := context.WithCancel(t.Context())
			if during == "a request" {
				if err := s.SetFaults(emulator.Faults{Latency: emulator.Duration(time.Hour)}); err != nil {
					t.Fatal(err)
				}
			}
			done := make(chan error, 1)
			go func() {
				_, err := c.WaitForStates(ctx, testRegion, []string{"ins-aaaaaaa1"}, Wait{States: []string{"RUNNING"}})
				done <- err
			}()
			for s.Stats().Requests < 1 {
				time.Sleep(time.Millisecond)
			}
			cancel()
			err := <-done
			if !errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "timed out") {
				t.Fatalf("err = %v; want context.Canceled, not a timeout", err)
			}
		})
	}
}

// A poll whose requests all time out fails the wait with the timeout, after
// its retries, and not as if the wait's own time had run out: the user
// must raise request_timeout or check the endpoint, not timeouts.read.
func TestWaitReportsAPollThatTimedOut(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	defer close(release)
	var answered atomic.Bool
	srv, n := emutest.CountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if answered.Swap(true) { // every answer after the first poll's comes too late
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		_, _ = io.WriteString(w, `{"Response": {"TotalCount": 1, "RequestId": "r1",
			"InstanceStatusSet": [{"InstanceId": "ins-aaaaaaaa", "InstanceState": "STOPPED"}]}}`)
	})
	c := newClient(t, srv.URL, func(c *Config) { c.RequestTimeout = 50 * time.Millisecond; c.MaxRetries = new(1) })
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	_, err := c.WaitForStates(ctx, testRegion, []string{"ins-aaaaaaaa"}, Wait{States: []string{"RUNNING"}})
	var apiErr *tcapi.APIError
	var waitErr *WaitError
	if errors.As(err, &waitErr) || !errors.As(err, &apiErr) || apiErr.Cause != tcapi.CauseTimeout || n.Load() != 3 {
		t.Fatalf("err = %v (%T) after %d requests; want the second poll's request timeout (%s) after its retry, not a wait that timed out",
			err, err, n.Load(), tcapi.CodeTimeout)
	}
}

// WaitProgress.Changed says whether any instance's state or reasons moved
// since the last poll, so that progress is shown when there is news.
func TestWaitProgressSaysWhatChanged(t *testing.T) {
	t.Parallel()
	tr := newWaitTracker(Wait{States: []string{"RUNNING"}}, time.Unix(0, 0))
	res := func(state string, reasons ...string) *Result {
		return &Result{Instances: []InstanceStatus{{InstanceID: "ins-aaaaaaaa", State: state, Reasons: reasons}}, Missing: []string{"ins-bbbbbbbb"}}
	}
	for i, step := range []struct {
		res     *Result
		changed bool
	}{
		{res("STARTING", "state STARTING"), true}, // the first poll
		{res("STARTING", "state STARTING"), false},
		{res("RUNNING", "no TAT agent reported"), true},
		{res("RUNNING", "TAT agent Offline"), true}, // the same state, another reason
		{res("RUNNING", "TAT agent Offline"), false},
		{&Result{Instances: res("RUNNING", "TAT agent Offline").Instances}, true}, // the missing ID found
	} {
		if p := tr.progress(step.res, false); p.Changed != step.changed {
			t.Errorf("poll %d: Changed = %v, want %v", i+1, p.Changed, step.changed)
		}
	}
}
