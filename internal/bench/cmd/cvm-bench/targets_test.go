package main

import (
	"slices"
	"testing"
)

// The targets cover every plan case run builds, and no other.
func TestTargetsCoverEveryCase(t *testing.T) {
	var built, covered []string
	for _, c := range wholeCases(t) {
		if c.Key != "baseline" {
			built = append(built, c.Key)
		}
	}
	for _, r := range reads() {
		if r.planKey != "" {
			covered = append(covered, r.planKey)
		}
	}
	slices.Sort(built)
	slices.Sort(covered)
	if !slices.Equal(built, covered) {
		t.Fatalf("plan cases %v, the targets cover %v", built, covered)
	}
}
