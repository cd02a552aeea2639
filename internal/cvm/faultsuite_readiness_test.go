package cvm

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// The fault suite's readiness rows: reads that include the operation,
// restriction and maintenance checks (Client.Read) over a fleet each check
// objects to somewhere (emutest.WithReadiness), with the faults on the
// actions the checks add, DescribeInstances and DescribeTaskInfo. The agent
// check needs the TAT client, which cvm does not know: its rows run through
// terraform (internal/e2e), where the provider joins the two.
//
// Besides the row's usual judgement (the instances and their states, or an
// error that says what happened), every instance a read returns is held to
// what the emulator holds: its details field by field, and its reasons,
// worded by emutest.WantReasons independently of the client. An instance
// that came or went during the read may miss details the actions could not
// give for it (DescribeInstances not reporting it, DescribeTaskInfo
// answering after it was gone), but it must then not be reported ready:
// "not reported by DescribeInstances" is a reason, and a ready instance
// needs every check's evidence.

// readinessChecks are the checks the client rows include.
var readinessChecks = Checks{Operation: true, Restriction: true, Maintenance: true}

// detailActions are the actions the readiness checks add, as the rows
// target them with emulator.Faults.Actions.
var detailActions = []string{actionDescribeInstances, actionDescribeTaskInfo}

// manyTasks is how many open tasks the manyTasks rows give one instance:
// more than a page, so that its tasks are paged.
const manyTasks = 150

func readinessFaultRows(everything emulator.Faults, slowClient func(*chainConfig, *emutest.Emulator)) []faultRow {
	on := func(f emulator.Faults) emulator.Faults {
		f.Actions = detailActions
		return f
	}
	// Each read sends DescribeTaskInfo at its 20/s, and throttling slows
	// the limiters down (tcapi.RateLimiter), so these rows read less.
	const scale, throttledScale = 0.5, 0.25
	prefix := "readiness (operation, restriction, maintenance): "
	rows := []faultRow{
		{name: prefix + "no fault"},
		{name: prefix + "RequestLimitExceeded 30% on DescribeInstances and DescribeTaskInfo", faults: on(emulator.Faults{Errors: map[string]float64{"RequestLimitExceeded": 0.3}})},
		{name: prefix + "InternalError 30% on DescribeInstances and DescribeTaskInfo", faults: on(emulator.Faults{Errors: map[string]float64{"InternalError": 0.3}})},
		{name: prefix + "HTTP 502, HTML body 30% on DescribeInstances and DescribeTaskInfo", faults: on(emulator.Faults{HTTP502: 0.3})},
		{name: prefix + "HTTP 504, HTML body 30% on DescribeInstances and DescribeTaskInfo", faults: on(emulator.Faults{HTTP504: 0.3})},
		{name: prefix + "truncated body 30% on DescribeInstances and DescribeTaskInfo", faults: on(emulator.Faults{Truncate: 0.3})},
		{name: prefix + "all of the above at once, on every action", faults: everything, client: slowClient},
		{name: prefix + fmt.Sprintf("one instance with %d open tasks (paged), InternalError 30%% on DescribeTaskInfo", manyTasks),
			faults: emulator.Faults{Errors: map[string]float64{"InternalError": 0.3}, Actions: []string{actionDescribeTaskInfo}}, manyTasks: true},
		{name: prefix + "instances appear and disappear 20% each between listing pages",
			faults: emulator.Faults{Appear: 0.2, Disappear: 0.2}, listOnly: true, instances: 777},
		{name: prefix + "one launch or termination every 20ms, between and during the actions (latency 20-30ms)",
			faults: emulator.Faults{ChurnEvery: emulator.Duration(20 * time.Millisecond), Latency: emulator.Duration(20 * time.Millisecond), Jitter: emulator.Duration(10 * time.Millisecond)}},
	}
	for i := range rows {
		rows[i].checks, rows[i].scale = readinessChecks, scale
		if rows[i].faults.Errors["RequestLimitExceeded"] > 0 {
			rows[i].scale = throttledScale
		}
	}
	return rows
}

// readinessFleet is seeded with readiness fields (emutest.WithReadiness);
// with many, its first instance, which every read asks for, has more open
// tasks than a page holds.
func readinessFleet(seeded []emulator.Instance, many bool) []emulator.Instance {
	out := emutest.WithReadiness(seeded)
	if many && len(out) > 0 {
		emutest.WithManyTasks(&out[0], manyTasks)
	}
	return out
}

// readinessRequests is how many requests of a read with the row's checks
// meet its faults (the actions Faults.Actions names, or all): the
// DescribeInstancesStatus pages, a DescribeInstances and a DescribeTaskInfo
// request per 100 instances, and for an instance with more tasks than a page
// the halvings down to it (two requests at each of 7 levels) and its pages.
func (r faultRow) readinessRequests(listing bool, n, unique int) int {
	applies := func(action string) bool {
		return len(r.faults.Actions) == 0 || slices.Contains(r.faults.Actions, action)
	}
	ids, status := unique, (unique+PageSize-1)/PageSize
	if listing {
		ids, status = n, ListingRequests(n)
	}
	chunks := (ids + PageSize - 1) / PageSize
	total := 0
	if applies(actionDescribe) {
		total += status
	}
	if (r.checks.Operation || r.checks.Restriction) && applies(actionDescribeInstances) {
		total += chunks
	}
	if r.checks.Maintenance && applies(actionDescribeTaskInfo) {
		total += chunks
		if r.manyTasks {
			total += 2*7 + (manyTasks+listStride-1)/listStride
		}
	}
	return total
}

// readinessBreaksTruth holds every instance of a read to what the emulator
// holds about it (seeded; an instance launched during the read has the
// defaults): an instance present in every state of the read (states) must
// have exactly its details and reasons; one that came or went may lack
// details, but is then not ready, and what it does report is true. It
// returns what is wrong, or "".
func readinessBreaksTruth(got *Result, checks Checks, states []emutest.Snapshot, seeded map[string]emulator.Readiness) string {
	if got.Checks != checks {
		return fmt.Sprintf("the result says it included %+v, not %+v", got.Checks, checks)
	}
	include := map[string]bool{string(CheckOperation): checks.Operation, string(CheckRestriction): checks.Restriction,
		string(CheckMaintenance): checks.Maintenance, string(CheckAgent): checks.Agent}
	for _, in := range got.Instances {
		if in.Details == nil {
			return in.InstanceID + " has no details"
		}
		truth := seeded[in.InstanceID]
		want := emutest.WantReasons(in.State, truth, include)
		why := detailsDiffer(*in.Details, truth, checks)
		if why == "" && sameReasons(in.Reasons, want) {
			continue
		}
		if why == "" {
			why = fmt.Sprintf("reasons %q, want %q", in.Reasons, want)
		}
		throughout := true
		for _, s := range states {
			if _, ok := s[in.InstanceID]; !ok {
				throughout = false
				break
			}
		}
		switch {
		case throughout:
			return fmt.Sprintf("%s (present throughout the read): %s", in.InstanceID, why)
		case in.Ready():
			return fmt.Sprintf("%s came or went during the read and was reported ready without the evidence: %s", in.InstanceID, why)
		}
		if untrue := detailsUntrue(*in.Details, truth, checks); untrue != "" {
			return fmt.Sprintf("%s came or went during the read, and what was read of it is untrue: %s", in.InstanceID, untrue)
		}
	}
	return ""
}

func sameReasons(got, want []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want)))
}

func str(p *string, def string) string {
	if p == nil {
		return def
	}
	return *p
}

// detailsDiffer compares the details of the checks included with truth,
// the emulator's defaults applied. It returns the first difference, or "".
func detailsDiffer(d Details, truth emulator.Readiness, checks Checks) string {
	if (checks.Operation || checks.Restriction) && !d.Described {
		return "not reported by DescribeInstances"
	}
	if why := describedUntrue(d, truth, checks); why != "" {
		return why
	}
	if checks.Maintenance {
		open := emutest.OpenTasks(truth)
		if len(d.MaintenanceTasks) != len(open) {
			return fmt.Sprintf("%d open maintenance tasks, want %d", len(d.MaintenanceTasks), len(open))
		}
		if why := tasksUntrue(d.MaintenanceTasks, open); why != "" {
			return why
		}
	}
	if checks.Agent {
		switch a, w := d.Agent, truth.Agent; {
		case a == nil && w == nil:
		case a == nil || w == nil:
			return fmt.Sprintf("agent %+v, want %+v", a, w)
		case a.Status != w.AgentStatus || a.Version != w.Version || a.LastHeartbeat != w.LastHeartbeatTime:
			return fmt.Sprintf("agent %+v, want %+v", *a, *w)
		}
	}
	return ""
}

// detailsUntrue checks that what was read is true of the instance, though
// some of it may be missing: DescribeInstances's fields if it reported the
// instance, and each task read one of its open tasks.
func detailsUntrue(d Details, truth emulator.Readiness, checks Checks) string {
	if why := describedUntrue(d, truth, checks); why != "" {
		return why
	}
	return tasksUntrue(d.MaintenanceTasks, emutest.OpenTasks(truth))
}

// describedUntrue compares DescribeInstances's fields with truth when it
// reported the instance.
func describedUntrue(d Details, truth emulator.Readiness, checks Checks) string {
	if !d.Described {
		return ""
	}
	if checks.Operation {
		got := []string{d.LatestOperation, d.LatestOperationState, d.LatestOperationError, d.LatestOperationRequestID}
		want := []string{str(truth.LatestOperation, ""), str(truth.LatestOperationState, ""), str(truth.LatestOperationErrorMsg, ""), str(truth.LatestOperationRequestId, "")}
		if !slices.Equal(got, want) {
			return fmt.Sprintf("operation %q, want %q", got, want)
		}
	}
	if checks.Restriction {
		got := []string{d.RestrictState, d.IsolatedSource, d.ExpiredTime}
		want := []string{str(truth.RestrictState, "NORMAL"), str(truth.IsolatedSource, "NOTISOLATED"), str(truth.ExpiredTime, "")}
		if !slices.Equal(got, want) {
			return fmt.Sprintf("restriction %q, want %q", got, want)
		}
	}
	return ""
}

// tasksUntrue checks that each task read is one of open, field by field,
// and read once.
func tasksUntrue(read []MaintenanceTask, open []emulator.MaintenanceTask) string {
	seen := map[string]bool{}
	for _, t := range read {
		if seen[t.TaskID] {
			return "maintenance task " + t.TaskID + " twice"
		}
		seen[t.TaskID] = true
		i := slices.IndexFunc(open, func(w emulator.MaintenanceTask) bool { return w.TaskId == t.TaskID })
		if i < 0 {
			return "maintenance task " + t.TaskID + ", which is not one of its open tasks"
		}
		w := open[i]
		if t.TypeID != int64(w.TaskTypeId) || t.Status != emutest.OpenTaskStatuses[w.TaskStatus] || t.CreatedTime != w.CreateTime ||
			t.AuthTime != w.AuthTime || strings.TrimSpace(t.TypeName) == "" {
			return fmt.Sprintf("maintenance task %+v, want %+v", t, w)
		}
	}
	return ""
}
