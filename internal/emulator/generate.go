package emulator

import (
	"math/rand/v2"
	"slices"
	"strings"
)

// GenerateInstances returns n instances with unique, valid IDs, sorted by ID.
// The same n and seed always give the same instances. About 85% are
// RUNNING, 10% STOPPED and the rest spread over the other states.
func GenerateInstances(n int, seed int64) []Instance {
	if n <= 0 {
		return nil
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x696e_732d_6765_6e31))
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	var others []string
	for _, st := range instanceStates {
		if st != "RUNNING" && st != "STOPPED" {
			others = append(others, st)
		}
	}
	seen := make(map[string]bool, n)
	out := make([]Instance, 0, n)
	for len(out) < n {
		b := []byte("ins-00000000")
		for i := 4; i < len(b); i++ {
			b[i] = chars[rng.IntN(len(chars))]
		}
		id := string(b)
		if seen[id] {
			continue
		}
		seen[id] = true
		state := "RUNNING"
		switch r := rng.IntN(100); {
		case r >= 95:
			state = others[rng.IntN(len(others))]
		case r >= 85:
			state = "STOPPED"
		}
		out = append(out, Instance{InstanceId: id, InstanceState: state})
	}
	slices.SortFunc(out, func(a, b Instance) int { return strings.Compare(a.InstanceId, b.InstanceId) })
	return out
}
