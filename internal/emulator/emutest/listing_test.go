package emutest_test

import (
	"strings"
	"testing"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

func TestListingBreaksGuarantee(t *testing.T) {
	t.Parallel()
	seeded := emutest.Snapshot{"ins-a": "RUNNING", "ins-b": "STOPPED", "ins-c": "RUNNING"}
	// ins-c is terminated, then ins-d launched, during the read.
	history := []emutest.Snapshot{
		{"ins-a": "RUNNING", "ins-b": "STOPPED", "ins-c": "RUNNING"},
		{"ins-a": "RUNNING", "ins-b": "STOPPED"},
		{"ins-a": "RUNNING", "ins-b": "STOPPED", "ins-d": "PENDING"},
	}
	for _, tc := range []struct {
		name       string
		ids, state []string
		history    []emutest.Snapshot
		want       string // in the answer; "" for a listing that keeps the promise
	}{
		{"the changes left out", []string{"ins-a", "ins-b"}, []string{"RUNNING", "STOPPED"}, history, ""},
		{"the changes in", []string{"ins-a", "ins-b", "ins-c", "ins-d"}, []string{"RUNNING", "STOPPED", "RUNNING", "PENDING"}, history, ""},
		{"a launched instance already running", []string{"ins-a", "ins-b", "ins-d"}, []string{"RUNNING", "STOPPED", "RUNNING"}, history, ""},
		{"no history", nil, nil, nil, "no inventory"},
		{"unsorted", []string{"ins-b", "ins-a"}, []string{"STOPPED", "RUNNING"}, history, "not sorted by ID"},
		{"twice", []string{"ins-a", "ins-a", "ins-b"}, []string{"RUNNING", "RUNNING", "STOPPED"}, history, "ins-a twice"},
		{"a seeded instance in a state it never had", []string{"ins-a", "ins-b"}, []string{"RUNNING", "RUNNING"}, history, "ins-b RUNNING never existed"},
		{"an instance that never existed", []string{"ins-a", "ins-b", "ins-z"}, []string{"RUNNING", "STOPPED", "RUNNING"}, history, "ins-z RUNNING never existed"},
		{"one there throughout is missing", []string{"ins-a"}, []string{"RUNNING"}, history, "missing 1 instances that existed throughout the read: [ins-b]"},
	} {
		got := emutest.ListingBreaksGuarantee(tc.ids, tc.state, tc.history, seeded)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
