package emulator

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Readiness holds what DescribeInstances, DescribeTaskInfo and TAT's
// DescribeAutomationAgentStatus say about an instance beside its state, under
// the API's own field names. In an Instance a nil field takes its default
// (RestrictState NORMAL, IsolatedSource NOTISOLATED, the rest null or
// absent); in a Transition a nil field is left as it is, so a step such as
// {"After": "3s", "Agent": {"AgentStatus": "Online"}} changes one field.
type Readiness struct {
	LatestOperation          *string `json:"LatestOperation,omitempty"`
	LatestOperationState     *string `json:"LatestOperationState,omitempty"`
	LatestOperationErrorMsg  *string `json:"LatestOperationErrorMsg,omitempty"`
	LatestOperationRequestId *string `json:"LatestOperationRequestId,omitempty"`
	RestrictState            *string `json:"RestrictState,omitempty"`
	IsolatedSource           *string `json:"IsolatedSource,omitempty"`
	// ExpiredTime is ISO 8601 in UTC, such as 2026-12-31T16:00:00Z; null
	// (pay-as-you-go) when unset.
	ExpiredTime *string `json:"ExpiredTime,omitempty"`
	// Agent is the TAT agent; nil: the instance has none. In a Transition,
	// its non-empty fields replace the agent's (and install one if absent).
	Agent *Agent `json:"Agent,omitempty"`
	// MaintenanceTasks are the instance's repair tasks (DescribeTaskInfo).
	// In a Transition a list, even an empty one, replaces the tasks.
	MaintenanceTasks []MaintenanceTask `json:"MaintenanceTasks,omitempty"`
}

// Agent is an instance's TAT automation agent.
type Agent struct {
	AgentStatus       string `json:"AgentStatus"` // Online or Offline
	Version           string `json:"Version,omitempty"`
	LastHeartbeatTime string `json:"LastHeartbeatTime,omitempty"` // RFC 3339
	Environment       string `json:"Environment,omitempty"`       // such as Linux
}

// MaintenanceTask is one repair task of DescribeTaskInfo; times are written
// as the service writes them, "YYYY-MM-DD hh:mm:ss".
type MaintenanceTask struct {
	TaskId     string `json:"TaskId"`
	TaskTypeId int    `json:"TaskTypeId"`
	TaskStatus int    `json:"TaskStatus"`
	CreateTime string `json:"CreateTime"`
	AuthTime   string `json:"AuthTime,omitempty"`
	EndTime    string `json:"EndTime,omitempty"`
}

// The documented values, in the documentation's order.
var (
	operationStates = []string{"SUCCESS", "OPERATING", "FAILED"}
	restrictStates  = []string{"NORMAL", "EXPIRED", "PROTECTIVELY_ISOLATED"}
	isolatedSources = []string{"ARREAR", "EXPIRE", "MANMADE", "NOTISOLATED"}
	agentStatuses   = []string{"Online", "Offline"}
)

// taskTypeNames are the TaskTypeName values (the SDK's RepairTaskInfo:
// "任务类型中文名", the Chinese name) by TaskTypeId.
var taskTypeNames = map[int]string{
	101: "实例运行隐患", 102: "实例运行异常", 103: "实例硬盘异常", 104: "实例网络连接异常",
	105: "实例运行预警", 106: "实例硬盘预警", 107: "实例维护升级",
}

// taskTimeLayout is DescribeTaskInfo's "YYYY-MM-DD hh:mm:ss".
const taskTimeLayout = "2006-01-02 15:04:05"

// readinessProblem checks the fields that are set; the field is relative to
// the instance or transition. inTransition allows an Agent without status.
func readinessProblem(r Readiness, inTransition bool) (field, problem string, ok bool) {
	oneOf := func(name string, v *string, valid []string) (string, string, bool) {
		if v == nil || slices.Contains(valid, *v) {
			return "", "", true
		}
		return name, fmt.Sprintf("invalid %s %q; valid values are %s", name, *v, strings.Join(valid, ", ")), false
	}
	for _, c := range []struct {
		name  string
		v     *string
		valid []string
	}{
		{"LatestOperationState", r.LatestOperationState, operationStates},
		{"RestrictState", r.RestrictState, restrictStates},
		{"IsolatedSource", r.IsolatedSource, isolatedSources},
	} {
		if f, p, ok := oneOf(c.name, c.v, c.valid); !ok {
			return f, p, false
		}
	}
	if r.ExpiredTime != nil {
		if _, err := time.Parse(time.RFC3339, *r.ExpiredTime); err != nil {
			return "ExpiredTime", fmt.Sprintf("invalid time %q: write ISO 8601 UTC such as 2026-12-31T16:00:00Z", *r.ExpiredTime), false
		}
	}
	if a := r.Agent; a != nil {
		if a.AgentStatus != "" || !inTransition {
			if f, p, ok := oneOf("AgentStatus", &a.AgentStatus, agentStatuses); !ok {
				return "Agent." + f, p, false
			}
		}
		if a.LastHeartbeatTime != "" {
			if _, err := time.Parse(time.RFC3339, a.LastHeartbeatTime); err != nil {
				return "Agent.LastHeartbeatTime", fmt.Sprintf("invalid time %q: write RFC 3339 such as 2026-12-04T10:00:00+08:00", a.LastHeartbeatTime), false
			}
		}
	}
	seen := map[string]bool{}
	for i, t := range r.MaintenanceTasks {
		at := fmt.Sprintf("MaintenanceTasks[%d].", i)
		switch {
		case !strings.HasPrefix(t.TaskId, "rep-") || len(t.TaskId) <= len("rep-"):
			return at + "TaskId", fmt.Sprintf("invalid TaskId %q: a task ID is \"rep-\" followed by letters or digits, such as rep-xr36mn2a", t.TaskId), false
		case seen[t.TaskId]:
			return at + "TaskId", fmt.Sprintf("duplicate TaskId %q", t.TaskId), false
		case taskTypeNames[t.TaskTypeId] == "":
			return at + "TaskTypeId", fmt.Sprintf("invalid TaskTypeId %d; valid values are 101 to 107", t.TaskTypeId), false
		case t.TaskStatus < 1 || t.TaskStatus > 6:
			return at + "TaskStatus", fmt.Sprintf("invalid TaskStatus %d; valid values are 1 to 6", t.TaskStatus), false
		}
		seen[t.TaskId] = true
		for _, tm := range []struct{ name, v string }{{"CreateTime", t.CreateTime}, {"AuthTime", t.AuthTime}, {"EndTime", t.EndTime}} {
			if tm.v == "" && tm.name != "CreateTime" {
				continue
			}
			if _, err := time.Parse(taskTimeLayout, tm.v); err != nil {
				return at + tm.name, fmt.Sprintf("invalid time %q: write \"YYYY-MM-DD hh:mm:ss\" such as 2026-12-04 10:00:00", tm.v), false
			}
		}
	}
	return "", "", true
}

// changesNothing reports whether a transition's readiness part is empty.
func (r Readiness) changesNothing() bool {
	return r.LatestOperation == nil && r.LatestOperationState == nil && r.LatestOperationErrorMsg == nil &&
		r.LatestOperationRequestId == nil && r.RestrictState == nil && r.IsolatedSource == nil &&
		r.ExpiredTime == nil && r.Agent == nil && r.MaintenanceTasks == nil
}

// defaultReadiness is an instance's Readiness when its data sets none.
var defaultReadiness = Readiness{}.withDefaults()

// withDefaults fills the fields whose absence has a documented value.
func (r Readiness) withDefaults() Readiness {
	if r.RestrictState == nil {
		r.RestrictState = ptr("NORMAL")
	}
	if r.IsolatedSource == nil {
		r.IsolatedSource = ptr("NOTISOLATED")
	}
	return r
}

// apply overlays the fields p sets; the receiver is not changed.
func (r Readiness) apply(p *Readiness) Readiness {
	set := func(dst **string, v *string) {
		if v != nil {
			*dst = v
		}
	}
	set(&r.LatestOperation, p.LatestOperation)
	set(&r.LatestOperationState, p.LatestOperationState)
	set(&r.LatestOperationErrorMsg, p.LatestOperationErrorMsg)
	set(&r.LatestOperationRequestId, p.LatestOperationRequestId)
	set(&r.RestrictState, p.RestrictState)
	set(&r.IsolatedSource, p.IsolatedSource)
	set(&r.ExpiredTime, p.ExpiredTime)
	if p.Agent != nil {
		a := Agent{}
		if r.Agent != nil {
			a = *r.Agent
		}
		if p.Agent.AgentStatus != "" {
			a.AgentStatus = p.Agent.AgentStatus
		}
		if p.Agent.Version != "" {
			a.Version = p.Agent.Version
		}
		if p.Agent.LastHeartbeatTime != "" {
			a.LastHeartbeatTime = p.Agent.LastHeartbeatTime
		}
		if p.Agent.Environment != "" {
			a.Environment = p.Agent.Environment
		}
		r.Agent = &a
	}
	if p.MaintenanceTasks != nil {
		r.MaintenanceTasks = p.MaintenanceTasks
	}
	return r
}

func ptr[T any](v T) *T { return &v }
