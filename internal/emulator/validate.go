package emulator

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// instanceStates are the states DescribeInstancesStatus documents, in the
// documentation's order (used in error messages).
var instanceStates = []string{
	"PENDING", "LAUNCH_FAILED", "RUNNING", "STOPPED", "STARTING", "STOPPING",
	"REBOOTING", "SHUTDOWN", "TERMINATING", "ENTER_RESCUE_MODE", "RESCUE_MODE",
	"EXIT_RESCUE_MODE", "ENTER_SERVICE_LIVE_MIGRATE", "SERVICE_LIVE_MIGRATE",
	"EXIT_SERVICE_LIVE_MIGRATE",
}

// documentedRegions are the regions the DescribeInstancesStatus page lists.
var documentedRegions = []string{
	"ap-bangkok", "ap-beijing", "ap-chengdu", "ap-chongqing", "ap-guangzhou",
	"ap-hongkong", "ap-jakarta", "ap-nanjing", "ap-seoul", "ap-shanghai",
	"ap-shanghai-fsi", "ap-shenzhen-fsi", "ap-singapore", "ap-tokyo",
	"eu-frankfurt", "na-ashburn", "na-siliconvalley", "sa-saopaulo",
}

func validState(s string) bool { return slices.Contains(instanceStates, s) }

func invalidStateMessage(s string) string {
	return fmt.Sprintf("invalid state %q; valid states are %s", s, strings.Join(instanceStates, ", "))
}

// validInstanceID reports whether id is "ins-" followed by exactly 8
// lowercase letters or digits.
func validInstanceID(id string) bool {
	if len(id) != 12 || !strings.HasPrefix(id, "ins-") {
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

func malformedIDMessage(id string) string {
	return fmt.Sprintf("malformed instance ID %q: an ID is \"ins-\" followed by 8 lowercase letters or digits", id)
}

// validRegionName accepts lowercase names made of letters, digits and dashes,
// such as ap-guangzhou; it keeps typos like "ap guangzhou" out of the data.
func validRegionName(r string) bool {
	if r == "" || len(r) > 64 {
		return false
	}
	for _, c := range r {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// instanceProblem checks one instance and returns the offending field and
// the problem, or ok.
func instanceProblem(in Instance) (field, problem string, ok bool) {
	switch {
	case in.InstanceId == "":
		return "InstanceId", "InstanceId is missing: an ID is \"ins-\" followed by 8 lowercase letters or digits", false
	case !validInstanceID(in.InstanceId):
		return "InstanceId", malformedIDMessage(in.InstanceId), false
	case in.InstanceState == "":
		return "InstanceState", "InstanceState is missing; valid states are " + strings.Join(instanceStates, ", "), false
	case !validState(in.InstanceState):
		return "InstanceState", invalidStateMessage(in.InstanceState), false
	}
	if field, problem, ok := readinessProblem(in.Readiness, false); !ok {
		return field, problem, false
	}
	for i, t := range in.Transitions {
		at := fmt.Sprintf("Transitions[%d]", i)
		switch {
		case t.After < 0:
			return at + ".After", fmt.Sprintf("negative delay %s", t.After), false
		case t.InstanceState == "" && t.changesNothing():
			return at, "the transition changes nothing: give it an InstanceState or a field to change, such as \"Agent\": {\"AgentStatus\": \"Online\"}", false
		case t.InstanceState != "" && !validState(t.InstanceState):
			return at + ".InstanceState", invalidStateMessage(t.InstanceState), false
		}
		if field, problem, ok := readinessProblem(t.Readiness, true); !ok {
			return at + "." + field, problem, false
		}
	}
	if i, ok := agentInstalledWithoutStatus(in); !ok {
		return fmt.Sprintf("Transitions[%d].Agent.AgentStatus", i), "this step installs the instance's first agent: give its AgentStatus, Online or Offline", false
	}
	return "", "", true
}

// agentInstalledWithoutStatus finds the transition, in the order they take
// effect, that gives an instance without an agent one without AgentStatus.
func agentInstalledWithoutStatus(in Instance) (int, bool) {
	order := make([]int, len(in.Transitions))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(in.Transitions[a].After, in.Transitions[b].After) })
	has := in.Agent != nil
	for _, i := range order {
		if a := in.Transitions[i].Agent; a != nil {
			if !has && a.AgentStatus == "" {
				return i, false
			}
			has = true
		}
	}
	return 0, true
}

// validateRegions checks region names, instances and ID uniqueness; a
// problem is a *pathError. root prefixes the paths (e.g. "Regions"). taken
// holds IDs already present elsewhere (region name by ID); it may be nil.
func validateRegions(root string, regions map[string][]Instance, taken map[string]string) error {
	seen := make(map[string]string)
	for _, region := range slices.Sorted(maps.Keys(regions)) {
		rpath := fmt.Sprintf("%s[%s]", root, strconv.Quote(region))
		if !validRegionName(region) {
			return &pathError{rpath, fmt.Sprintf("invalid region name %q: use lowercase letters, digits and dashes, such as ap-guangzhou", region)}
		}
		for i, in := range regions[region] {
			at := fmt.Sprintf("%s[%d]", rpath, i)
			if field, problem, ok := instanceProblem(in); !ok {
				return &pathError{at + "." + field, problem}
			}
			if first, dup := seen[in.InstanceId]; dup {
				return &pathError{at + ".InstanceId", fmt.Sprintf("duplicate instance ID %q (first at %s)", in.InstanceId, first)}
			}
			if other, dup := taken[in.InstanceId]; dup {
				return &pathError{at + ".InstanceId", fmt.Sprintf("duplicate instance ID %q (already in region %s)", in.InstanceId, other)}
			}
			seen[in.InstanceId] = at
		}
	}
	return nil
}

// validateFaults checks a Faults value; the message names the JSON field.
func validateFaults(f Faults) error {
	probs := []struct {
		name string
		p    float64
	}{
		{"http_502", f.HTTP502}, {"http_504", f.HTTP504}, {"reset", f.Reset},
		{"truncate", f.Truncate}, {"slow", f.Slow}, {"appear", f.Appear}, {"disappear", f.Disappear},
	}
	for code, p := range f.Errors {
		probs = append(probs, struct {
			name string
			p    float64
		}{fmt.Sprintf("errors[%q]", code), p})
	}
	for _, pr := range probs {
		if math.IsNaN(pr.p) || pr.p < 0 || pr.p > 1 {
			return fmt.Errorf("%s: probability %v is outside 0..1", pr.name, pr.p)
		}
	}
	for code := range f.Errors {
		if !validErrorCode(code) {
			return fmt.Errorf("errors: %q is not an API error code (letters, digits and dots, such as \"InternalError\" or \"RequestLimitExceeded\")", code)
		}
	}
	// The outcomes that replace the answer are drawn with one number, so
	// their probabilities must fit in one.
	sum := f.HTTP502 + f.HTTP504 + f.Reset
	for _, p := range f.Errors {
		sum += p
	}
	if sum > 1+1e-9 {
		return fmt.Errorf("http_502 + http_504 + reset + the errors probabilities add up to %v; they exclude each other, so the sum must be at most 1", sum)
	}
	for _, d := range []struct {
		name string
		d    Duration
	}{{"latency", f.Latency}, {"jitter", f.Jitter}, {"slow_delay", f.SlowDelay}} {
		if d.d < 0 {
			return fmt.Errorf("%s: negative duration %s", d.name, d.d)
		}
	}
	if f.ChurnEvery != 0 && f.ChurnEvery < Duration(time.Millisecond) {
		return fmt.Errorf("churn_every: %s is too short; use \"0s\" (off) or at least \"1ms\", such as \"1s\"", f.ChurnEvery)
	}
	if f.Slow > 0 && f.SlowDelay <= 0 {
		return fmt.Errorf("slow_delay: must be positive when slow is set")
	}
	for _, a := range f.Actions {
		if _, ok := actions[a]; !ok {
			return fmt.Errorf("actions: unknown action %q; the emulator serves %s", a, strings.Join(actionNames(), ", "))
		}
	}
	return nil
}

func validErrorCode(code string) bool {
	if code == "" || len(code) > 128 {
		return false
	}
	for _, c := range code {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return true
}
