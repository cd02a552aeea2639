package cvm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// fakeAgents answers the agent check from a map, as the tat package would
// from the service; cvm does not know TAT.
type fakeAgents struct {
	mu     sync.Mutex
	agents map[string]Agent
	err    error
	asked  int
}

func (f *fakeAgents) Agents(_ context.Context, _ string, ids []string) (map[string]Agent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked += len(ids)
	if f.err != nil {
		return nil, f.err
	}
	out := map[string]Agent{}
	for _, id := range ids {
		if a, ok := f.agents[id]; ok {
			out[id] = a
		}
	}
	return out, nil
}

func withAgents(a AgentSource) func(*Config) { return func(c *Config) { c.Agents = a } }

func ptr(s string) *string { return &s }

// notReadyFleet has one instance for each kind of reason, and one ready.
func notReadyFleet() []emulator.Instance {
	return []emulator.Instance{
		{InstanceId: "ins-ready001", InstanceState: "RUNNING"},
		{InstanceId: "ins-failed01", InstanceState: "RUNNING", Readiness: emulator.Readiness{
			LatestOperation: ptr("ResetInstance"), LatestOperationState: ptr("FAILED"),
			LatestOperationErrorMsg: ptr("image not found"), LatestOperationRequestId: ptr("req-1")}},
		{InstanceId: "ins-expired1", InstanceState: "RUNNING", Readiness: emulator.Readiness{
			RestrictState: ptr("EXPIRED"), IsolatedSource: ptr("EXPIRE"), ExpiredTime: ptr("2026-11-30T16:00:00Z")}},
		{InstanceId: "ins-maint001", InstanceState: "RUNNING", Readiness: emulator.Readiness{MaintenanceTasks: []emulator.MaintenanceTask{
			// Created long before today: DescribeTaskInfo's StartDate
			// would hide it if the client left it to its default.
			{TaskId: "rep-12345678", TaskTypeId: 107, TaskStatus: 4, CreateTime: "2025-03-01 10:00:00"},
			{TaskId: "rep-closed01", TaskTypeId: 101, TaskStatus: 3, CreateTime: "2025-03-01 10:00:00", EndTime: "2025-03-02 10:00:00"},
		}}},
		{InstanceId: "ins-agent001", InstanceState: "RUNNING"},
		{InstanceId: "ins-stopped1", InstanceState: "STOPPED"},
	}
}

func allChecks() Checks {
	return Checks{Operation: true, Restriction: true, Maintenance: true, Agent: true}
}

func TestReadGivesEachReasonAsAPersonWouldWriteIt(t *testing.T) {
	s := startEmulator(t, emulator.Config{Regions: regionOf(notReadyFleet())})
	agents := &fakeAgents{agents: map[string]Agent{
		"ins-ready001": {Status: "Online", Version: "1.1.0", LastHeartbeat: "2026-12-04T10:00:00Z"},
		"ins-failed01": {Status: "Online"}, "ins-expired1": {Status: "Online"}, "ins-maint001": {Status: "Online"},
		"ins-stopped1": {Status: "Offline", LastHeartbeat: "2026-12-04T09:00:00Z"},
	}}
	c := newClient(t, s.URL(), withAgents(agents))
	ids := []string{"ins-ready001", "ins-failed01", "ins-expired1", "ins-maint001", "ins-agent001", "ins-stopped1", "ins-nothere1"}
	res, err := c.Read(context.Background(), testRegion, ids, allChecks())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"ins-failed01": {"latest operation ResetInstance FAILED: image not found"},
		"ins-expired1": {"restricted: EXPIRED (isolated: EXPIRE)"},
		"ins-maint001": {"maintenance task rep-12345678 (107 maintenance upgrade) SCHEDULED"},
		"ins-agent001": {"no TAT agent reported"},
		"ins-stopped1": {"state STOPPED", "TAT agent Offline since 2026-12-04T09:00:00Z"},
		"ins-nothere1": {"not found in " + testRegion},
	}
	if got := res.NotReady(testRegion); !reflect.DeepEqual(got, want) {
		t.Errorf("NotReady:\n got %q\nwant %q", got, want)
	}
	byID := map[string]InstanceStatus{}
	for _, in := range res.Instances {
		byID[in.InstanceID] = in
	}
	if r := byID["ins-ready001"]; !r.Ready() || r.Details.Agent == nil || r.Details.Agent.Version != "1.1.0" || r.Details.RestrictState != "NORMAL" {
		t.Errorf("the ready instance: %+v, details %+v", r, r.Details)
	}
	if d := byID["ins-failed01"].Details; d.LatestOperationRequestID != "req-1" || d.LatestOperation != "ResetInstance" {
		t.Errorf("operation details %+v", d)
	}
	if d := byID["ins-expired1"].Details; d.ExpiredTime != "2026-11-30T16:00:00Z" || d.IsolatedSource != "EXPIRE" {
		t.Errorf("restriction details %+v", d)
	}
	tasks := byID["ins-maint001"].Details.MaintenanceTasks
	if len(tasks) != 1 || tasks[0].TaskID != "rep-12345678" || tasks[0].TypeID != 107 || tasks[0].TypeName == "" || tasks[0].CreatedTime != "2025-03-01 10:00:00" {
		t.Errorf("maintenance tasks: only the open one, with its fields: %+v", tasks)
	}
	if !reflect.DeepEqual(res.Missing, []string{"ins-nothere1"}) || res.Checks != allChecks() {
		t.Errorf("missing %v, checks %+v", res.Missing, res.Checks)
	}
}

func TestReadSendsOnlyTheActionsItsChecksNeed(t *testing.T) {
	for _, tc := range []struct {
		checks Checks
		want   []string
	}{
		{Checks{}, []string{"DescribeInstancesStatus"}},
		{Checks{Operation: true, Restriction: true}, []string{"DescribeInstances", "DescribeInstancesStatus"}},
		{Checks{Maintenance: true}, []string{"DescribeInstancesStatus", "DescribeTaskInfo"}},
	} {
		t.Run(fmt.Sprintf("%+v", tc.checks), func(t *testing.T) {
			s := startEmulator(t, emulator.Config{Regions: regionOf(notReadyFleet())})
			agents := &fakeAgents{}
			c := newClient(t, s.URL(), withAgents(agents))
			res, err := c.Read(context.Background(), testRegion, []string{"ins-failed01", "ins-stopped1"}, tc.checks)
			if err != nil {
				t.Fatal(err)
			}
			var sent []string
			for action := range s.Stats().ByAction {
				sent = append(sent, action)
			}
			slices.Sort(sent)
			if !slices.Equal(sent, tc.want) || agents.asked != 0 {
				t.Errorf("sent %v (and %d IDs to TAT), want %v", sent, agents.asked, tc.want)
			}
			if !tc.checks.Any() && res.Instances[0].Details != nil {
				t.Errorf("details without checks: %+v", res.Instances[0].Details)
			}
		})
	}
}

func TestReadFindsEveryTaskOfAnInstanceWithMany(t *testing.T) {
	var tasks []emulator.MaintenanceTask
	for i := range 250 {
		tasks = append(tasks, emulator.MaintenanceTask{TaskId: fmt.Sprintf("rep-%08d", i), TaskTypeId: 105, TaskStatus: 1 + 3*(i%2),
			CreateTime: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour).Format("2006-01-02 15:04:05")})
	}
	instances := []emulator.Instance{{InstanceId: "ins-busy0001", InstanceState: "RUNNING", Readiness: emulator.Readiness{MaintenanceTasks: tasks}}}
	var ids []string
	for i := range 150 {
		id := fmt.Sprintf("ins-q%07d", i)
		ids = append(ids, id)
		instances = append(instances, emulator.Instance{InstanceId: id, InstanceState: "RUNNING", Readiness: emulator.Readiness{MaintenanceTasks: []emulator.MaintenanceTask{
			{TaskId: fmt.Sprintf("rep-q%07d", i), TaskTypeId: 107, TaskStatus: 2, CreateTime: "2026-01-01 00:00:00"}}}})
	}
	s := startEmulator(t, emulator.Config{Regions: regionOf(instances)})
	c := newClient(t, s.URL())
	res, err := c.Read(context.Background(), testRegion, append(ids, "ins-busy0001"), Checks{Maintenance: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range res.Instances {
		want := 1
		if in.InstanceID == "ins-busy0001" {
			want = 250
		}
		if got := len(in.Details.MaintenanceTasks); got != want || len(in.Reasons) != want {
			t.Fatalf("%s: %d tasks and %d reasons, want %d", in.InstanceID, got, len(in.Reasons), want)
		}
	}
}

func TestReadIsNeverPartial(t *testing.T) {
	// A gate must not pass because a detail action was refused or throttled
	// away: the read fails, naming the action.
	for _, tc := range []struct {
		name   string
		checks Checks
		faults emulator.Faults
		agents error
		want   string
	}{
		{"tasks refused", Checks{Maintenance: true},
			emulator.Faults{Errors: map[string]float64{"UnauthorizedOperation": 1}, Actions: []string{"DescribeTaskInfo"}}, nil, "DescribeTaskInfo"},
		{"instances throttled", Checks{Operation: true},
			emulator.Faults{Errors: map[string]float64{"RequestLimitExceeded": 1}, Actions: []string{"DescribeInstances"}}, nil, "DescribeInstances"},
		{"agents failed", Checks{Agent: true}, emulator.Faults{}, errors.New("TAT is down"), "TAT is down"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startEmulator(t, emulator.Config{Regions: regionOf(notReadyFleet())})
			if err := s.SetFaults(tc.faults); err != nil {
				t.Fatal(err)
			}
			c := newClient(t, s.URL(), withRetries(1), withAgents(&fakeAgents{err: tc.agents}))
			res, err := c.Read(context.Background(), testRegion, []string{"ins-ready001", "ins-failed01"}, tc.checks)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Read = %v, %v; want an error naming %s", res, err, tc.want)
			}
			var apiErr *tcapi.APIError
			if tc.agents == nil && (!errors.As(err, &apiErr) || apiErr.Action != tc.want) {
				t.Errorf("error %v is not the %s's APIError", err, tc.want)
			}
		})
	}
}

func TestReadOfARegionReadsEveryInstancesDetails(t *testing.T) {
	s := startEmulator(t, emulator.Config{Regions: regionOf(notReadyFleet())})
	c := newClient(t, s.URL(), withAgents(&fakeAgents{}))
	res, err := c.Read(context.Background(), testRegion, nil, Checks{Operation: true, Restriction: true})
	if err != nil {
		t.Fatal(err)
	}
	got := res.NotReady(testRegion)
	want := map[string][]string{
		"ins-failed01": {"latest operation ResetInstance FAILED: image not found"},
		"ins-expired1": {"restricted: EXPIRED (isolated: EXPIRE)"},
		"ins-stopped1": {"state STOPPED"},
	}
	if len(res.Instances) != len(notReadyFleet()) || !reflect.DeepEqual(got, want) {
		t.Errorf("%d instances, not ready %q; want %d and %q", len(res.Instances), got, len(notReadyFleet()), want)
	}
}

func TestWaitForReadyRidesOutAMaintenanceTaskEnding(t *testing.T) {
	instances := []emulator.Instance{{InstanceId: "ins-maint001", InstanceState: "STARTING",
		Readiness: emulator.Readiness{MaintenanceTasks: []emulator.MaintenanceTask{{TaskId: "rep-12345678", TaskTypeId: 107, TaskStatus: 2, CreateTime: "2026-01-01 00:00:00"}}},
		Transitions: []emulator.Transition{
			{After: emulator.Duration(50 * time.Millisecond), InstanceState: "RUNNING"},
			{After: emulator.Duration(150 * time.Millisecond), Readiness: emulator.Readiness{MaintenanceTasks: []emulator.MaintenanceTask{
				{TaskId: "rep-12345678", TaskTypeId: 107, TaskStatus: 3, CreateTime: "2026-01-01 00:00:00", EndTime: "2026-01-01 01:00:00"}}}},
		}}}
	s := startEmulator(t, emulator.Config{Regions: regionOf(instances)})
	c := newClient(t, s.URL())
	var seen []string
	res, err := c.WaitForStates(context.Background(), testRegion, []string{"ins-maint001"}, Wait{Ready: true, Include: Checks{Maintenance: true},
		OnPoll: func(p WaitProgress) {
			if p.Changed && len(p.Waiting) > 0 {
				seen = append(seen, strings.Join(p.Waiting[0].Reasons, "; "))
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Instances[0].Ready() || len(res.Instances[0].Details.MaintenanceTasks) != 0 {
		t.Errorf("the wait ended on %+v", res.Instances[0])
	}
	task := "maintenance task rep-12345678 (107 maintenance upgrade) PROCESSING"
	if len(seen) < 2 || seen[0] != "state STARTING; "+task || seen[len(seen)-1] != task {
		t.Errorf("progress saw %q; want the state, then the task alone", seen)
	}
}

func TestWaitForReadyTimesOutNamingTheReasons(t *testing.T) {
	s := startEmulator(t, emulator.Config{Regions: regionOf(notReadyFleet())})
	c := newClient(t, s.URL(), withAgents(&fakeAgents{}))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.WaitForStates(ctx, testRegion, []string{"ins-ready001", "ins-failed01"}, Wait{Ready: true, Include: Checks{Operation: true}})
	var werr *WaitError
	if !errors.As(err, &werr) || !werr.Ready || werr.Stuck {
		t.Fatalf("err = %v, want a timed-out readiness WaitError", err)
	}
	want := "timed out waiting for instances to be ready: ins-failed01 (latest operation ResetInstance FAILED: image not found)"
	if err.Error() != want {
		t.Errorf("error %q\nwant  %q", err, want)
	}
}

// DescribeTaskInfo says nothing of an instance without open tasks, and
// nothing of one that no longer exists. An instance terminated after
// DescribeInstancesStatus found it RUNNING but before DescribeTaskInfo
// answered must not pass for ready without its tasks (the fault suite's
// churn row found it did).
func TestReadDoesNotTakeATerminatedInstancesSilenceForNoTasks(t *testing.T) {
	fleet := notReadyFleet()
	for _, checks := range []Checks{{Maintenance: true}, {Maintenance: true, Operation: true}} {
		t.Run(fmt.Sprintf("%+v", checks), func(t *testing.T) {
			var statusServed atomic.Bool
			e := startTapped(t, fleet, func(e *emutest.Emulator, _ int64, r *http.Request) {
				switch r.Header.Get("X-TC-Action") {
				case "DescribeInstancesStatus":
					statusServed.Store(true)
				case "DescribeTaskInfo":
					// Once the states are read, terminate the instance
					// with the open task, before its tasks are read.
					for !statusServed.Load() {
						time.Sleep(time.Millisecond)
					}
					time.Sleep(20 * time.Millisecond)
					rest := slices.DeleteFunc(slices.Clone(fleet), func(in emulator.Instance) bool { return in.InstanceId == "ins-maint001" })
					if err := e.SetInstances(map[string][]emulator.Instance{testRegion: rest}); err != nil {
						t.Error(err)
					}
				}
			})
			c := newClient(t, e.URL)
			res, err := c.Read(context.Background(), testRegion, []string{"ins-maint001", "ins-ready001"}, checks)
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range res.Instances {
				if in.InstanceID == "ins-maint001" && in.Ready() {
					t.Errorf("the terminated instance passed for ready: %+v, details %+v", in, in.Details)
				}
				if in.InstanceID == "ins-ready001" && !in.Ready() {
					t.Errorf("the ready instance: %q", in.Reasons)
				}
			}
		})
	}
}
