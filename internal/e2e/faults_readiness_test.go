package e2e

import (
	"fmt"
	"slices"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// The terraform fault suite's readiness rows: plans whose data sources
// include all four checks (`include = ["operation", "restriction",
// "maintenance", "agent"]`) over a fleet each check objects to
// (emutest.WithReadiness), with the faults on the actions the checks add,
// TAT's DescribeAutomationAgentStatus among them, through the provider's
// own TAT client. Every instance of a plan is held to what the emulator
// holds, as the client rows hold theirs (internal/cvm,
// faultsuite_readiness_test.go): its attributes and reasons exactly when it
// existed throughout the read; when it came or went, not ready, and what
// it shows true.

// includeAll is the data sources' include in the readiness rows.
const includeAll = `["operation", "restriction", "maintenance", "agent"]`

// detailActions are the actions the checks add.
var detailActions = []string{"DescribeInstances", "DescribeTaskInfo", "DescribeAutomationAgentStatus"}

func readinessTFRows() []tfFaultRow {
	on := func(f emulator.Faults) emulator.Faults {
		f.Actions = detailActions
		return f
	}
	errs := func(code string) emulator.Faults {
		return on(emulator.Faults{Errors: map[string]float64{code: 0.3}})
	}
	const prefix, three = "readiness (all four checks): ", " on DescribeInstances, DescribeTaskInfo and DescribeAutomationAgentStatus"
	rows := []tfFaultRow{
		{name: prefix + "no fault", quick: true},
		{name: prefix + "RequestLimitExceeded 30%" + three, faults: errs("RequestLimitExceeded")},
		{name: prefix + "InternalError 30%" + three, faults: errs("InternalError")},
		{name: prefix + "HTTP 502, HTML body 30%" + three, faults: on(emulator.Faults{HTTP502: 0.3})},
		{name: prefix + "HTTP 504, HTML body 30%" + three, faults: on(emulator.Faults{HTTP504: 0.3})},
		{name: prefix + "truncated body 30%" + three, faults: on(emulator.Faults{Truncate: 0.3})},
		{name: prefix + "all of the above at once" + three, quick: true, faults: on(emulator.Faults{
			Errors:  map[string]float64{"RequestLimitExceeded": 0.15, "InternalError": 0.1},
			HTTP502: 0.05, HTTP504: 0.05, Truncate: 0.1, Jitter: emulator.Duration(20 * time.Millisecond),
		})},
		{name: prefix + "instances appear and disappear 20% each between listing pages", faults: emulator.Faults{Appear: 0.2, Disappear: 0.2}, listOnly: true},
		{name: prefix + "one launch or termination every 50ms, between and during the actions (latency 20-30ms)",
			faults: emulator.Faults{ChurnEvery: emulator.Duration(50 * time.Millisecond), Latency: emulator.Duration(20 * time.Millisecond), Jitter: emulator.Duration(10 * time.Millisecond)}},
	}
	for i := range rows {
		rows[i].include = true
	}
	return rows
}

// readinessRequests is how many requests of a plan that includes every
// check meet the row's faults (the actions Faults.Actions names, or all):
// the DescribeInstancesStatus pages (or chunks of IDs) and a request per
// 100 instances of each detail action, the confirmation of the maintenance
// check riding on DescribeInstances.
func (fr tfFaultRow) readinessRequests(list bool, n, ask int) int {
	applies := func(action string) bool {
		return len(fr.faults.Actions) == 0 || slices.Contains(fr.faults.Actions, action)
	}
	ids, status := ask, (ask+99)/100
	if list {
		ids, status = n, cvm.ListingRequests(n)
	}
	total := 0
	if applies("DescribeInstancesStatus") {
		total += status
	}
	for _, a := range detailActions {
		if applies(a) {
			total += (ids + 99) / 100
		}
	}
	return total
}

// readinessBreaksTruth holds every instance of a plan's data source to what
// the emulator holds about it (seeded; one launched during the read has the
// defaults), and not_ready to the instances and missing IDs: an instance
// present in every state of the read (states) must show exactly its
// details and reasons; one that came or went may lack details, but is then
// not ready, and what it shows is true. It returns what is wrong, or "".
func readinessBreaksTruth(values map[string]any, states []emutest.Snapshot, seeded map[string]emulator.Readiness) string {
	all := map[string]bool{emutest.CheckOperation: true, emutest.CheckRestriction: true, emutest.CheckMaintenance: true, emutest.CheckAgent: true}
	notReady, _ := values["not_ready"].(map[string]any)
	list, _ := values["instances"].([]any)
	wantNotReady := 0
	for _, e := range list {
		m, _ := e.(map[string]any)
		id, _ := m["instance_id"].(string)
		state, _ := m["state"].(string)
		ready, _ := m["ready"].(bool)
		reasons := stringsOf(m["reasons"])
		if ready == (len(reasons) > 0 || state != "RUNNING") {
			return fmt.Sprintf("%s: ready = %v with state %s and reasons %q", id, ready, state, reasons)
		}
		if !ready {
			wantNotReady++
			if !slices.Equal(stringsOf(notReady[id]), reasons) {
				return fmt.Sprintf("%s: not_ready %q, reasons %q", id, notReady[id], reasons)
			}
		}
		truth := seeded[id]
		want := emutest.WantReasons(state, truth, all)
		why := attributesDiffer(m, truth, false)
		if why == "" && sameSet(reasons, want) {
			continue
		}
		if why == "" {
			why = fmt.Sprintf("reasons %q, want %q", reasons, want)
		}
		throughout := true
		for _, s := range states {
			if _, ok := s[id]; !ok {
				throughout = false
				break
			}
		}
		switch {
		case throughout:
			return fmt.Sprintf("%s (present throughout the read): %s", id, why)
		case ready:
			return fmt.Sprintf("%s came or went during the read and was shown ready without the evidence: %s", id, why)
		}
		if untrue := attributesDiffer(m, truth, true); untrue != "" {
			return fmt.Sprintf("%s came or went during the read, and what was read of it is untrue: %s", id, untrue)
		}
	}
	missing := stringsOf(values["missing_instance_ids"])
	for _, id := range missing {
		if !slices.Equal(stringsOf(notReady[id]), []string{"not found in " + e2eRegion}) {
			return fmt.Sprintf("missing %s: not_ready %q", id, notReady[id])
		}
	}
	if len(notReady) != wantNotReady+len(missing) {
		return fmt.Sprintf("not_ready has %d entries for %d instances not ready and %d missing", len(notReady), wantNotReady, len(missing))
	}
	return ""
}

// attributesDiffer compares an element of instances with truth, the
// emulator's defaults applied. With partial, what is absent (null, as for an
// instance DescribeInstances did not report, no agent, no tasks) is not a
// difference, only what is shown and untrue.
func attributesDiffer(m map[string]any, truth emulator.Readiness, partial bool) string {
	str := func(p *string, def string) any {
		if p == nil {
			if def == "" {
				return nil
			}
			return def
		}
		return *p
	}
	described := m["restrict_state"] != nil
	for _, f := range []struct {
		attr string
		want any
	}{
		{"latest_operation", str(truth.LatestOperation, "")},
		{"latest_operation_state", str(truth.LatestOperationState, "")},
		{"latest_operation_error", str(truth.LatestOperationErrorMsg, "")},
		{"latest_operation_request_id", str(truth.LatestOperationRequestId, "")},
		{"restrict_state", str(truth.RestrictState, "NORMAL")},
		{"isolated_source", str(truth.IsolatedSource, "NOTISOLATED")},
		{"expired_time", str(truth.ExpiredTime, "")},
	} {
		if partial && !described {
			break
		}
		if m[f.attr] != f.want {
			return fmt.Sprintf("%s = %v, want %v", f.attr, m[f.attr], f.want)
		}
	}
	open := emutest.OpenTasks(truth)
	tasks, _ := m["maintenance_tasks"].([]any)
	if someMissing := partial && len(tasks) < len(open); len(tasks) != len(open) && !someMissing {
		return fmt.Sprintf("%d open maintenance tasks, want %d", len(tasks), len(open))
	}
	seen := map[string]bool{}
	for _, e := range tasks {
		t, _ := e.(map[string]any)
		id, _ := t["task_id"].(string)
		i := slices.IndexFunc(open, func(w emulator.MaintenanceTask) bool { return w.TaskId == id })
		if i < 0 || seen[id] {
			return fmt.Sprintf("maintenance task %v, which is not one of its open tasks, or twice", t)
		}
		seen[id] = true
		w := open[i]
		var auth any
		if w.AuthTime != "" {
			auth = w.AuthTime
		}
		typeID, _ := t["type_id"].(float64)
		if int(typeID) != w.TaskTypeId || t["status"] != emutest.OpenTaskStatuses[w.TaskStatus] || t["created_time"] != w.CreateTime ||
			t["auth_time"] != auth || t["type_name"] == nil || t["type_name"] == "" {
			return fmt.Sprintf("maintenance task %v, want %+v", t, w)
		}
	}
	a := truth.Agent
	if a == nil {
		a = &emulator.Agent{}
	}
	shown := m["agent_status"] != nil
	if partial && !shown {
		return ""
	}
	for _, f := range []struct {
		attr string
		want string
	}{{"agent_status", a.AgentStatus}, {"agent_version", a.Version}, {"agent_last_heartbeat", a.LastHeartbeatTime}} {
		var want any
		if f.want != "" {
			want = f.want
		}
		if m[f.attr] != want {
			return fmt.Sprintf("%s = %v, want %v", f.attr, m[f.attr], want)
		}
	}
	return ""
}

func stringsOf(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}

func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}
