package emutest

import (
	"fmt"
	"sort"
)

// ListingBreaksGuarantee checks a listing, the IDs and states in the order
// read, against what RELIABILITY.md promises, given history, every state
// the region's inventory went through during the read (Inventory.Since),
// and seeded, the instances the region started with: sorted by ID, each
// instance once; every instance present in every state (it existed
// throughout the read) is there; every instance there was in at least one
// state, in the state it had there (StateMatches). Instances launched or
// terminated during the read may be there or not. It returns what is
// wrong, or "".
func ListingBreaksGuarantee(ids, states []string, history []Snapshot, seeded Snapshot) string {
	if len(history) == 0 {
		return "no inventory to check against"
	}
	have := make(map[string]bool, len(ids))
	for i, id := range ids {
		if i > 0 && ids[i-1] >= id {
			return fmt.Sprintf("not sorted by ID, or %s twice", id)
		}
		have[id] = true
		held := false
		for _, s := range history {
			if want, ok := s[id]; ok && StateMatches(id, states[i], want, seeded) {
				held = true
				break
			}
		}
		if !held {
			return fmt.Sprintf("%s %s never existed in that state during the read", id, states[i])
		}
	}
	var missing []string
	for id := range history[0] {
		throughout := true
		for _, s := range history[1:] {
			if _, ok := s[id]; !ok {
				throughout = false
				break
			}
		}
		if throughout && !have[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Sprintf("missing %d instances that existed throughout the read: %v", len(missing), missing[:min(len(missing), 5)])
	}
	return ""
}

// StateMatches says whether an instance read in state got was in state
// want. The inventory history records an instance launched by churn as
// PENDING when it appears; it turns RUNNING on the emulator's clock, with
// no record of it, so such an instance read as RUNNING matches too.
// Seeded instances keep their state.
func StateMatches(id, got, want string, seeded Snapshot) bool {
	if _, wasSeeded := seeded[id]; !wasSeeded && want == "PENDING" {
		return got == "PENDING" || got == "RUNNING"
	}
	return got == want
}
