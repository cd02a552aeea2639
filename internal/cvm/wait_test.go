package cvm

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
)

func TestCanReach(t *testing.T) {
	cases := []struct {
		from   string
		wanted []string
		want   bool
	}{
		{"RUNNING", []string{"RUNNING"}, true},
		{"PENDING", []string{"RUNNING"}, true},
		{"STARTING", []string{"RUNNING"}, true},
		{"STOPPED", []string{"RUNNING"}, true},
		{"RESCUE_MODE", []string{"RUNNING"}, true},
		{"LAUNCH_FAILED", []string{"RUNNING"}, false},
		{"TERMINATING", []string{"RUNNING"}, false},
		{"SHUTDOWN", []string{"RUNNING"}, false},
		{"SHUTDOWN", []string{"TERMINATING"}, true},
		{"RUNNING", []string{"STOPPED"}, true},
		{"SOME_NEW_STATE", []string{"RUNNING"}, true},
	}
	for _, tc := range cases {
		if got := CanReach(tc.from, tc.wanted); got != tc.want {
			t.Errorf("CanReach(%s, %v) = %v, want %v", tc.from, tc.wanted, got, tc.want)
		}
	}
}

func TestWaitForStatesFollowsTransitions(t *testing.T) {
	s := startEmulator(t, emulator.Config{Regions: regionOf([]emulator.Instance{
		{InstanceId: "ins-aaaaaaa1", InstanceState: "RUNNING"},
		{InstanceId: "ins-aaaaaaa2", InstanceState: "PENDING", Transitions: []emulator.Transition{
			{After: emulator.Duration(150 * time.Millisecond), InstanceState: "STARTING"},
			{After: emulator.Duration(300 * time.Millisecond), InstanceState: "RUNNING"},
		}},
	})})
	res, err := newTestClient(t, s).WaitForStates(context.Background(), testRegion, []string{"ins-aaaaaaa1", "ins-aaaaaaa2"}, []string{"RUNNING"})
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
	_, err := newTestClient(t, s).WaitForStates(context.Background(), testRegion, []string{"ins-aaaaaaa1", "ins-aaaaaaa2"}, []string{"RUNNING"})
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
	_, err := newTestClient(t, s).WaitForStates(ctx, testRegion, []string{"ins-aaaaaaa1", "ins-aaaaaaa2", "ins-aaaaaaa3"}, []string{"RUNNING"})
	if !IsTimeout(err) {
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
