package cvm

import (
	"testing"
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
