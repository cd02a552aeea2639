package emutest

import (
	"slices"
	"testing"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
)

func TestWithReadinessObjectsEachWayAndWantReasonsSaysHow(t *testing.T) {
	fleet := WithReadiness(emulator.GenerateInstances(60, 1))
	all := map[string]bool{CheckOperation: true, CheckRestriction: true, CheckMaintenance: true, CheckAgent: true}
	seen := map[string]bool{}
	ready := 0
	for _, in := range fleet {
		reasons := WantReasons("RUNNING", in.Readiness, all)
		if len(reasons) == 0 {
			ready++
		}
		for _, r := range reasons {
			seen[r[:min(len(r), 18)]] = true
		}
	}
	for _, prefix := range []string{"latest operation R", "latest operation S", "restricted: EXPIRE", "restricted: PROTEC", "isolated: ARREAR", "maintenance task r", "no TAT agent repor", "TAT agent Offline "} {
		if !seen[prefix] {
			t.Errorf("no reason starting %q; saw %v", prefix, seen)
		}
	}
	if ready == 0 {
		t.Error("no instance is ready")
	}
	// Only the checks included object, and the state first.
	in := fleet[1] // a failed operation, an offline agent
	got := WantReasons("STOPPED", in.Readiness, map[string]bool{CheckOperation: true})
	want := []string{"state STOPPED", "latest operation ResetInstance FAILED: image img-1 not found"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := WantReasons("RUNNING", emulator.Readiness{}, map[string]bool{CheckOperation: true, CheckRestriction: true, CheckMaintenance: true}); len(got) != 0 {
		t.Errorf("the defaults object: %q", got)
	}
}
