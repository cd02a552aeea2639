package cvm

import (
	"context"
	"fmt"
	"strings"
)

// Check is one readiness check beyond the instance's state, named as the
// data source's include names it.
type Check string

// The readiness checks, each with the action that answers it.
const (
	CheckOperation   Check = "operation"   // DescribeInstances: the latest operation did not fail
	CheckRestriction Check = "restriction" // DescribeInstances: not isolated or restricted
	CheckMaintenance Check = "maintenance" // DescribeTaskInfo: no open maintenance task
	CheckAgent       Check = "agent"       // TAT DescribeAutomationAgentStatus: the agent is online
)

// AllChecks lists every check, in the order their reasons are given.
var AllChecks = []Check{CheckOperation, CheckRestriction, CheckMaintenance, CheckAgent}

// Permission is the CAM policy action a check needs.
func (c Check) Permission() string {
	switch c {
	case CheckOperation, CheckRestriction:
		return "cvm:DescribeInstances"
	case CheckMaintenance:
		return "cvm:DescribeTaskInfo"
	case CheckAgent:
		return "tat:DescribeAutomationAgentStatus"
	}
	return ""
}

// Checks is a set of checks. The zero value includes none, and a read with
// none sends no request beyond DescribeInstancesStatus.
type Checks struct {
	Operation, Restriction, Maintenance, Agent bool
}

// ParseChecks turns include's words into Checks; it reports the first word
// that names no check.
func ParseChecks(words []string) (Checks, error) {
	var c Checks
	for _, w := range words {
		switch Check(w) {
		case CheckOperation:
			c.Operation = true
		case CheckRestriction:
			c.Restriction = true
		case CheckMaintenance:
			c.Maintenance = true
		case CheckAgent:
			c.Agent = true
		default:
			return Checks{}, fmt.Errorf("%q is not a readiness check: use %s", w, checkList())
		}
	}
	return c, nil
}

func checkList() string {
	words := make([]string, len(AllChecks))
	for i, c := range AllChecks {
		words[i] = fmt.Sprintf("%q", c)
	}
	return strings.Join(words, ", ")
}

// Any reports whether c includes at least one check.
func (c Checks) Any() bool { return c != Checks{} }

// Details is what the included checks read about one instance. A field of
// a check that was not included stays at its zero value; Result.Checks
// says which were.
type Details struct {
	// Described is false when DescribeInstances did not report the
	// instance (operation and restriction checks only).
	Described bool

	// The latest operation, "" when the service reports none (null).
	LatestOperation, LatestOperationState, LatestOperationError, LatestOperationRequestID string

	// RestrictState (NORMAL, EXPIRED, PROTECTIVELY_ISOLATED), IsolatedSource
	// (ARREAR, EXPIRE, MANMADE, NOTISOLATED) and ExpiredTime (ISO 8601, ""
	// for pay-as-you-go instances).
	RestrictState, IsolatedSource, ExpiredTime string

	// MaintenanceTasks holds the instance's open tasks: pending
	// authorization, processing or scheduled.
	MaintenanceTasks []MaintenanceTask

	// Agent is the instance's TAT agent, nil when none has reported.
	Agent *Agent

	// tasksRead: DescribeTaskInfo has answered for the instance;
	// seenAfterTasks: an action reported the instance after that, so that
	// MaintenanceTasks, empty, means it has none (readMaintenanceTasks).
	tasksRead, seenAfterTasks bool
}

// MaintenanceTask is one open maintenance (repair) task of DescribeTaskInfo.
type MaintenanceTask struct {
	TaskID      string // rep-xxxxxxxx
	TypeID      int64  // 101 to 107
	TypeName    string // such as "maintenance upgrade"
	Status      string // PENDING_AUTHORIZATION, PROCESSING or SCHEDULED
	CreatedTime string
	AuthTime    string // "" when not authorized yet
}

// Agent is an instance's TAT agent, as DescribeAutomationAgentStatus
// reports it.
type Agent struct {
	Status        string // Online or Offline
	Version       string
	LastHeartbeat string
}

// AgentSource reads the TAT agents of instances. TAT is a service of its
// own (the tat package); the caller hands the Client one through
// Config.Agents, so that cvm does not depend on it.
type AgentSource interface {
	// Agents returns the agent of each instance in ids that has one: an
	// instance without an agent is absent from the map. It reads all of
	// them or fails.
	Agents(ctx context.Context, region string, ids []string) (map[string]Agent, error)
}

// Read reads the states of the given instances (every instance of the
// region when ids is nil, none when it is empty), with what checks include,
// and judges each instance's readiness (InstanceStatus.Reasons). The
// checks' actions run at once with DescribeInstancesStatus, each paced by
// its own limiter; a listing reads its instances' details once it has
// them. A read with no check sends DescribeInstancesStatus alone. It
// returns everything or fails: a check that cannot be read fails the read.
func (c *Client) Read(ctx context.Context, region string, ids []string, checks Checks) (*Result, error) {
	var res *Result
	switch {
	case !checks.Any():
		var err error
		if res, err = c.DescribeInstancesStatus(ctx, region, ids); err != nil {
			return nil, err
		}
	case ids == nil:
		instances, err := c.listAll(ctx, region)
		if err != nil {
			return nil, err
		}
		listed := make([]string, len(instances))
		for i, s := range instances {
			listed[i] = s.InstanceID
		}
		table := newDetailsTable(listed)
		if err := c.readDetails(ctx, region, listed, checks, table); err != nil {
			return nil, err
		}
		res = &Result{Instances: instances}
		res.attach(table)
	default:
		unique, err := uniqueIDs(ids)
		if err != nil {
			return nil, err
		}
		table := newDetailsTable(unique)
		err = runAll(ctx, []func(context.Context) error{
			func(ctx context.Context) (err error) { res, err = c.byIDs(ctx, region, unique); return err },
			func(ctx context.Context) error { return c.readDetails(ctx, region, unique, checks, table) },
		})
		if err != nil {
			return nil, err
		}
		res.attach(table)
	}
	res.Checks = checks
	for i := range res.Instances {
		res.Instances[i].Reasons = checks.reasons(res.Instances[i])
	}
	return res, nil
}

func (r *Result) attach(table *detailsTable) {
	for i := range r.Instances {
		r.Instances[i].Details = table.m[r.Instances[i].InstanceID]
	}
}

// NotReady maps every instance of the read that is not ready to its
// reasons, missing IDs included ("not found in <region>").
func (r *Result) NotReady(region string) map[string][]string {
	out := map[string][]string{}
	for _, s := range r.Instances {
		if !s.Ready() {
			out[s.InstanceID] = s.Reasons
		}
	}
	for _, id := range r.Missing {
		out[id] = []string{"not found in " + region}
	}
	return out
}

// reasons says, as a person would, why s is not ready: not RUNNING, or
// something an included check found. None means it is ready.
func (c Checks) reasons(s InstanceStatus) []string {
	var out []string
	if s.State != "RUNNING" {
		out = append(out, "state "+s.State)
	}
	d := s.Details
	if d == nil {
		return out
	}
	if (c.Operation || c.Restriction) && !d.Described {
		out = append(out, "not reported by DescribeInstances")
	}
	if c.Operation && d.Described {
		switch d.LatestOperationState {
		case "FAILED":
			r := "latest operation " + d.LatestOperation + " FAILED"
			if d.LatestOperationError != "" {
				r += ": " + d.LatestOperationError
			}
			out = append(out, r)
		case "OPERATING":
			out = append(out, "latest operation "+d.LatestOperation+" still OPERATING")
		}
	}
	if c.Restriction && d.Described {
		isolated := d.IsolatedSource != "" && d.IsolatedSource != "NOTISOLATED"
		switch {
		case d.RestrictState != "" && d.RestrictState != "NORMAL" && isolated:
			out = append(out, fmt.Sprintf("restricted: %s (isolated: %s)", d.RestrictState, d.IsolatedSource))
		case d.RestrictState != "" && d.RestrictState != "NORMAL":
			out = append(out, "restricted: "+d.RestrictState)
		case isolated:
			out = append(out, "isolated: "+d.IsolatedSource)
		}
	}
	// No task read means none only for an instance seen after they were
	// read (readMaintenanceTasks); one DescribeInstances did not report
	// already says so.
	unreported := (c.Operation || c.Restriction) && !d.Described
	if c.Maintenance && !d.seenAfterTasks && !unreported {
		out = append(out, "not found after its maintenance tasks were read")
	}
	if c.Maintenance {
		for _, t := range d.MaintenanceTasks {
			kind := fmt.Sprint(t.TypeID)
			if name := taskTypes[t.TypeID]; name != "" {
				kind += " " + name
			}
			out = append(out, fmt.Sprintf("maintenance task %s (%s) %s", t.TaskID, kind, t.Status))
		}
	}
	if c.Agent {
		switch a := d.Agent; {
		case a == nil:
			out = append(out, "no TAT agent reported")
		case a.Status == "Online":
		case a.LastHeartbeat != "":
			out = append(out, fmt.Sprintf("TAT agent %s since %s", a.Status, a.LastHeartbeat))
		default:
			out = append(out, "TAT agent "+a.Status)
		}
	}
	return out
}
