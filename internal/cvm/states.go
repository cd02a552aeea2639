package cvm

import (
	"regexp"
	"slices"

	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// The instance states DescribeInstancesStatus reports, in the documented order.
var States = []string{
	"PENDING", "LAUNCH_FAILED", "RUNNING", "STOPPED", "STARTING", "STOPPING",
	"REBOOTING", "SHUTDOWN", "TERMINATING",
	"ENTER_RESCUE_MODE", "RESCUE_MODE", "EXIT_RESCUE_MODE",
	"ENTER_SERVICE_LIVE_MIGRATE", "SERVICE_LIVE_MIGRATE", "EXIT_SERVICE_LIVE_MIGRATE",
}

// next lists the states an instance can move to directly from each state.
// LAUNCH_FAILED and TERMINATING lead nowhere; SHUTDOWN (isolated for an
// overdue payment or at expiry) only to TERMINATING.
var next = map[string][]string{
	"PENDING":                    {"RUNNING", "LAUNCH_FAILED", "STOPPED"},
	"LAUNCH_FAILED":              nil,
	"RUNNING":                    {"STOPPING", "REBOOTING", "TERMINATING", "ENTER_RESCUE_MODE", "ENTER_SERVICE_LIVE_MIGRATE", "SHUTDOWN"},
	"STOPPED":                    {"STARTING", "TERMINATING", "SHUTDOWN"},
	"STARTING":                   {"RUNNING", "STOPPED"},
	"STOPPING":                   {"STOPPED", "RUNNING"},
	"REBOOTING":                  {"RUNNING"},
	"SHUTDOWN":                   {"TERMINATING"},
	"TERMINATING":                nil,
	"ENTER_RESCUE_MODE":          {"RESCUE_MODE"},
	"RESCUE_MODE":                {"EXIT_RESCUE_MODE"},
	"EXIT_RESCUE_MODE":           {"RUNNING"},
	"ENTER_SERVICE_LIVE_MIGRATE": {"SERVICE_LIVE_MIGRATE"},
	"SERVICE_LIVE_MIGRATE":       {"EXIT_SERVICE_LIVE_MIGRATE"},
	"EXIT_SERVICE_LIVE_MIGRATE":  {"RUNNING"},
}

// CanReach reports whether an instance in state from can ever be in one of
// the wanted states (including being in one already). An unknown state is
// assumed to be able to reach anything, so that a state the service adds
// later makes a wait continue rather than fail.
func CanReach(from string, wanted []string) bool {
	if _, known := next[from]; !known {
		return true
	}
	seen := map[string]bool{from: true}
	queue := []string{from}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if slices.Contains(wanted, s) {
			return true
		}
		for _, n := range next[s] {
			if !seen[n] {
				seen[n] = true
				queue = append(queue, n)
			}
		}
	}
	return false
}

// NearestState is the state a typo of s most likely meant ("RUNING" →
// "RUNNING"), or "" when no state is within two edits.
func NearestState(s string) string { return tcapi.Nearest(s, States) }

// instanceIDPattern is the documented form of a CVM instance ID.
var instanceIDPattern = regexp.MustCompile(`^ins-[a-z0-9]{8}$`)

// ValidInstanceID reports whether id has the documented form: "ins-" and
// exactly 8 lowercase letters or digits.
func ValidInstanceID(id string) bool {
	if len(id) != 12 || id[:4] != "ins-" {
		return false
	}
	for i := 4; i < 12; i++ {
		c := id[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
