package emutest

import (
	"fmt"
	"strconv"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
)

// Readiness, for the fault suites' rows that read it: a fleet in which each
// check objects to some instances (WithReadiness), and the reasons a read
// that includes some checks must give for an instance, from what the
// emulator holds (WantReasons). Both suites judge a read's readiness by it,
// independently of the client's own wording code, so that a reason lost or
// invented under faults is seen.

// TaskTypes are DescribeTaskInfo's TaskTypeId values in the English the
// reasons use.
var TaskTypes = map[int]string{
	101: "run risk", 102: "run error", 103: "disk error", 104: "network error",
	105: "run warning", 106: "disk warning", 107: "maintenance upgrade",
}

// OpenTaskStatuses are the TaskStatus values of a task not ended, and the
// words reads give them.
var OpenTaskStatuses = map[int]string{1: "PENDING_AUTHORIZATION", 2: "PROCESSING", 4: "SCHEDULED"}

func strptr(s string) *string { return &s }

// WithReadiness returns instances (sorted, as emulator.GenerateInstances
// makes them) with readiness fields that make every check object to some
// of them, each way it can: a failed and a running latest operation, an
// expired, a protectively isolated and an arrears-isolated instance, open
// maintenance tasks of each open status (created long before today, beside
// closed ones), agents offline and absent. About a third of the instances
// have nothing against them. The same instances always get the same fields.
func WithReadiness(instances []emulator.Instance) []emulator.Instance {
	out := make([]emulator.Instance, len(instances))
	for i, in := range instances {
		r := &in.Readiness
		switch i % 12 {
		case 1:
			r.LatestOperation, r.LatestOperationState = strptr("ResetInstance"), strptr("FAILED")
			r.LatestOperationErrorMsg = strptr("image img-" + strconv.Itoa(i) + " not found")
			r.LatestOperationRequestId = strptr(fmt.Sprintf("req-%08d", i))
		case 2:
			r.LatestOperation, r.LatestOperationState = strptr("StartInstances"), strptr("OPERATING")
		case 3:
			r.LatestOperation, r.LatestOperationState = strptr("RebootInstances"), strptr("SUCCESS")
			r.LatestOperationRequestId = strptr(fmt.Sprintf("req-%08d", i))
		case 4:
			r.RestrictState, r.IsolatedSource = strptr("EXPIRED"), strptr("EXPIRE")
			r.ExpiredTime = strptr("2026-11-30T16:00:00Z")
		case 5:
			r.RestrictState = strptr("PROTECTIVELY_ISOLATED")
		case 6:
			r.IsolatedSource = strptr("ARREAR")
			r.ExpiredTime = strptr("2027-01-31T16:00:00Z")
		case 7, 8:
			open := []int{1, 2, 4}[i%3]
			r.MaintenanceTasks = []emulator.MaintenanceTask{
				{TaskId: fmt.Sprintf("rep-%08da", i), TaskTypeId: 101 + i%7, TaskStatus: open, CreateTime: "2025-03-01 10:00:00"},
				{TaskId: fmt.Sprintf("rep-%08db", i), TaskTypeId: 103, TaskStatus: 3, CreateTime: "2025-02-01 10:00:00", EndTime: "2025-02-02 10:00:00"},
			}
			if i%12 == 8 {
				r.MaintenanceTasks = append(r.MaintenanceTasks, emulator.MaintenanceTask{
					TaskId: fmt.Sprintf("rep-%08dc", i), TaskTypeId: 107, TaskStatus: 4, CreateTime: "2026-11-20 08:00:00", AuthTime: "2026-11-21 08:00:00"})
			}
		}
		switch i % 5 {
		case 0:
			// no agent
		case 1:
			r.Agent = &emulator.Agent{AgentStatus: "Offline", Version: "1.1.7", LastHeartbeatTime: "2026-12-01T08:00:00+08:00", Environment: "Linux"}
		default:
			r.Agent = &emulator.Agent{AgentStatus: "Online", Version: "1.1.9", LastHeartbeatTime: "2026-12-04T08:00:00+08:00", Environment: "Linux"}
		}
		out[i] = in
	}
	return out
}

// WithManyTasks gives in n open maintenance tasks more, so that a read of
// its tasks must page through them.
func WithManyTasks(in *emulator.Instance, n int) {
	for k := range n {
		in.MaintenanceTasks = append(in.MaintenanceTasks, emulator.MaintenanceTask{
			TaskId: fmt.Sprintf("rep-many%05d", k), TaskTypeId: 105, TaskStatus: []int{1, 2, 4}[k%3],
			CreateTime: fmt.Sprintf("2026-%02d-%02d 10:%02d:00", 1+k%11, 1+k%28, k%60),
		})
	}
}

// OpenTasks are r's tasks that have not ended, in the order the emulator
// holds them.
func OpenTasks(r emulator.Readiness) []emulator.MaintenanceTask {
	var out []emulator.MaintenanceTask
	for _, t := range r.MaintenanceTasks {
		if OpenTaskStatuses[t.TaskStatus] != "" {
			out = append(out, t)
		}
	}
	return out
}

// Check names, as the data source's include has them.
const (
	CheckOperation   = "operation"
	CheckRestriction = "restriction"
	CheckMaintenance = "maintenance"
	CheckAgent       = "agent"
)

// WantReasons are the reasons a read that includes checks must give for an
// instance read in state whose readiness the emulator holds as r (absent
// fields take the emulator's defaults), in the order the data source gives
// them: none when the instance is ready.
func WantReasons(state string, r emulator.Readiness, checks map[string]bool) []string {
	var out []string
	if state != "RUNNING" {
		out = append(out, "state "+state)
	}
	str := func(p *string, def string) string {
		if p == nil {
			return def
		}
		return *p
	}
	if checks[CheckOperation] {
		op := str(r.LatestOperation, "")
		switch str(r.LatestOperationState, "") {
		case "FAILED":
			w := "latest operation " + op + " FAILED"
			if msg := str(r.LatestOperationErrorMsg, ""); msg != "" {
				w += ": " + msg
			}
			out = append(out, w)
		case "OPERATING":
			out = append(out, "latest operation "+op+" still OPERATING")
		}
	}
	if checks[CheckRestriction] {
		restrict, isolated := str(r.RestrictState, "NORMAL"), str(r.IsolatedSource, "NOTISOLATED")
		switch {
		case restrict != "NORMAL" && isolated != "NOTISOLATED":
			out = append(out, fmt.Sprintf("restricted: %s (isolated: %s)", restrict, isolated))
		case restrict != "NORMAL":
			out = append(out, "restricted: "+restrict)
		case isolated != "NOTISOLATED":
			out = append(out, "isolated: "+isolated)
		}
	}
	if checks[CheckMaintenance] {
		for _, t := range OpenTasks(r) {
			out = append(out, fmt.Sprintf("maintenance task %s (%d %s) %s", t.TaskId, t.TaskTypeId, TaskTypes[t.TaskTypeId], OpenTaskStatuses[t.TaskStatus]))
		}
	}
	if checks[CheckAgent] {
		switch a := r.Agent; {
		case a == nil:
			out = append(out, "no TAT agent reported")
		case a.AgentStatus == "Online":
		case a.LastHeartbeatTime != "":
			out = append(out, fmt.Sprintf("TAT agent %s since %s", a.AgentStatus, a.LastHeartbeatTime))
		default:
			out = append(out, "TAT agent "+a.AgentStatus)
		}
	}
	return out
}
