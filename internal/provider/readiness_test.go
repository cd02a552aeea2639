package provider

import (
	"context"
	"maps"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

func str(s string) *string { return &s }

// unreadyFleet has an instance for each reason a check gives, and one that
// is ready.
func unreadyFleet() []emulator.Instance {
	return []emulator.Instance{
		{InstanceId: "ins-ready001", InstanceState: "RUNNING", Readiness: emulator.Readiness{Agent: &emulator.Agent{AgentStatus: "Online", Version: "1.1.9", LastHeartbeatTime: "2026-12-04T08:00:00Z"}}},
		{InstanceId: "ins-failed01", InstanceState: "RUNNING", Readiness: emulator.Readiness{LatestOperation: str("ResetInstance"), LatestOperationState: str("FAILED"),
			LatestOperationErrorMsg: str("image not found"), LatestOperationRequestId: str("c0ffee00-0000-4000-8000-000000000001"), Agent: &emulator.Agent{AgentStatus: "Online"}}},
		{InstanceId: "ins-expired1", InstanceState: "RUNNING", Readiness: emulator.Readiness{RestrictState: str("EXPIRED"), IsolatedSource: str("EXPIRE"),
			ExpiredTime: str("2026-11-30T16:00:00Z"), Agent: &emulator.Agent{AgentStatus: "Online"}}},
		{InstanceId: "ins-maint001", InstanceState: "RUNNING", Readiness: emulator.Readiness{Agent: &emulator.Agent{AgentStatus: "Online"},
			MaintenanceTasks: []emulator.MaintenanceTask{{TaskId: "rep-12345678", TaskTypeId: 107, TaskStatus: 4, CreateTime: "2025-06-01 09:30:00"}}}},
		{InstanceId: "ins-offline1", InstanceState: "RUNNING", Readiness: emulator.Readiness{Agent: &emulator.Agent{AgentStatus: "Offline", LastHeartbeatTime: "2026-12-01T00:00:00Z"}}},
		{InstanceId: "ins-noagent1", InstanceState: "RUNNING"},
		{InstanceId: "ins-stopped1", InstanceState: "STOPPED", Readiness: emulator.Readiness{Agent: &emulator.Agent{AgentStatus: "Online"}}},
	}
}

// plain turns a state value into Go values, for comparisons: objects and
// maps into map[string]any, lists into []any, numbers into float64.
func plain(t *testing.T, v tftypes.Value) any {
	t.Helper()
	if v.IsNull() {
		return nil
	}
	switch typ := v.Type().(type) {
	case tftypes.Object, tftypes.Map:
		var m map[string]tftypes.Value
		if err := v.As(&m); err != nil {
			t.Fatal(err)
		}
		out := map[string]any{}
		for k, e := range m {
			out[k] = plain(t, e)
		}
		return out
	case tftypes.List, tftypes.Set:
		var l []tftypes.Value
		if err := v.As(&l); err != nil {
			t.Fatal(err)
		}
		out := []any{}
		for _, e := range l {
			out = append(out, plain(t, e))
		}
		return out
	default:
		switch {
		case typ.Is(tftypes.String):
			var s string
			_ = v.As(&s)
			return s
		case typ.Is(tftypes.Bool):
			var b bool
			_ = v.As(&b)
			return b
		case typ.Is(tftypes.Number):
			var n big.Float
			_ = v.As(&n)
			f, _ := n.Float64()
			return f
		}
	}
	t.Fatalf("unexpected type %s", v.Type())
	return nil
}

// elements maps each element of instances by its instance_id.
func elements(t *testing.T, state map[string]any) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	list, _ := state["instances"].([]any)
	for _, e := range list {
		m, _ := e.(map[string]any)
		id, _ := m["instance_id"].(string)
		out[id] = m
	}
	return out
}

func readinessEmulator(t *testing.T, instances []emulator.Instance) *emutest.Emulator {
	t.Helper()
	return emutest.Start(t, emulator.Config{
		Credentials: []emulator.Credential{{SecretID: accSecretID, SecretKey: accSecretKey}},
		Regions:     seeded(instances...),
	}, emutest.Options{})
}

func emulatorProvider(e *emutest.Emulator) map[string]any {
	return map[string]any{"endpoint": e.URL, "region": DefaultRegion, "secret_id": accSecretID, "secret_key": accSecretKey}
}

func TestReadinessAttributesThroughTheProtocol(t *testing.T) {
	t.Parallel()
	e := readinessEmulator(t, unreadyFleet())
	ids := []string{"ins-ready001", "ins-failed01", "ins-expired1", "ins-maint001", "ins-stopped1", "ins-gone0001"}
	out := runProtocol(t, emulatorProvider(e), map[string]any{"instance_ids": ids, "include": []string{"operation", "restriction", "maintenance"}}, fastClient)
	if out.stage != "" {
		t.Fatalf("stopped at %q:%s", out.stage, out)
	}
	state, _ := plain(t, out.state).(map[string]any)
	wantNotReady := map[string]any{
		"ins-failed01": []any{"latest operation ResetInstance FAILED: image not found"},
		"ins-expired1": []any{"restricted: EXPIRED (isolated: EXPIRE)"},
		"ins-maint001": []any{"maintenance task rep-12345678 (107 maintenance upgrade) SCHEDULED"},
		"ins-stopped1": []any{"state STOPPED"},
		"ins-gone0001": []any{"not found in ap-guangzhou"},
	}
	if got := state["not_ready"]; !reflect.DeepEqual(got, wantNotReady) {
		t.Errorf("not_ready = %v\nwant %v", got, wantNotReady)
	}
	el := elements(t, state)
	ready := el["ins-ready001"]
	wantReady := map[string]any{
		"instance_id": "ins-ready001", "state": "RUNNING", "ready": true, "reasons": []any{},
		"latest_operation": nil, "latest_operation_state": nil, "latest_operation_error": nil, "latest_operation_request_id": nil,
		"restrict_state": "NORMAL", "isolated_source": "NOTISOLATED", "expired_time": nil, "maintenance_tasks": []any{},
		// The agent check was not included: its attributes stay null,
		// though the instance has an agent.
		"agent_status": nil, "agent_version": nil, "agent_last_heartbeat": nil,
	}
	if !reflect.DeepEqual(ready, wantReady) {
		t.Errorf("the ready instance: %v\nwant %v", ready, wantReady)
	}
	if f := el["ins-failed01"]; f["ready"] != false || f["latest_operation"] != "ResetInstance" || f["latest_operation_state"] != "FAILED" ||
		f["latest_operation_error"] != "image not found" || f["latest_operation_request_id"] != "c0ffee00-0000-4000-8000-000000000001" {
		t.Errorf("the failed operation: %v", f)
	}
	if x := el["ins-expired1"]; x["restrict_state"] != "EXPIRED" || x["isolated_source"] != "EXPIRE" || x["expired_time"] != "2026-11-30T16:00:00Z" {
		t.Errorf("the expired instance: %v", x)
	}
	tasks, _ := el["ins-maint001"]["maintenance_tasks"].([]any)
	if len(tasks) != 1 {
		t.Fatalf("maintenance_tasks = %v", el["ins-maint001"]["maintenance_tasks"])
	}
	task, _ := tasks[0].(map[string]any)
	if task["task_id"] != "rep-12345678" || task["type_id"] != 107.0 || task["status"] != "SCHEDULED" || task["created_time"] != "2025-06-01 09:30:00" ||
		task["auth_time"] != nil || task["type_name"] == "" {
		t.Errorf("the maintenance task: %v", task)
	}
	actions := slices.Sorted(maps.Keys(e.Stats().ByAction))
	if want := []string{"DescribeInstances", "DescribeInstancesStatus", "DescribeTaskInfo"}; !slices.Equal(actions, want) {
		t.Errorf("actions sent: %v, want %v", actions, want)
	}
}

// Without include, or with include = [], a read sends DescribeInstancesStatus
// alone, and judges readiness by the state.
func TestNoChecksSendNoExtraRequest(t *testing.T) {
	t.Parallel()
	for name, data := range map[string]map[string]any{
		"include omitted": {"instance_ids": []string{"ins-ready001", "ins-stopped1"}},
		"include = []":    {"instance_ids": []string{"ins-ready001", "ins-stopped1"}, "include": []string{}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := readinessEmulator(t, unreadyFleet())
			out := runProtocol(t, emulatorProvider(e), data, fastClient)
			if out.stage != "" {
				t.Fatalf("stopped at %q:%s", out.stage, out)
			}
			if st := e.Stats(); st.Requests != 1 || st.ByAction["DescribeInstancesStatus"] != 1 {
				t.Errorf("requests by action %v; want one DescribeInstancesStatus", st.ByAction)
			}
			state, _ := plain(t, out.state).(map[string]any)
			if got, want := state["not_ready"], map[string]any{"ins-stopped1": []any{"state STOPPED"}}; !reflect.DeepEqual(got, want) {
				t.Errorf("not_ready = %v, want %v", got, want)
			}
		})
	}
}

func TestADeniedCheckNamesItsPermission(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		action, check, permission string
	}{
		{"DescribeTaskInfo", "maintenance", "cvm:DescribeTaskInfo"},
		{"DescribeInstances", "operation", "cvm:DescribeInstances"},
		{"DescribeAutomationAgentStatus", "agent", "tat:DescribeAutomationAgentStatus"},
	} {
		t.Run(tc.action, func(t *testing.T) {
			t.Parallel()
			e := readinessEmulator(t, unreadyFleet())
			if err := e.SetFaults(emulator.Faults{Errors: map[string]float64{"UnauthorizedOperation": 1}, Actions: []string{tc.action}}); err != nil {
				t.Fatal(err)
			}
			out := runProtocol(t, emulatorProvider(e), map[string]any{"instance_ids": []string{"ins-ready001"}, "include": []string{tc.check}}, fastClient)
			errs := out.errors()
			if out.stage != "read" || len(errs) != 1 {
				t.Fatalf("want one read error:%s", out)
			}
			text := errs[0].Summary + "\n" + errs[0].Detail
			for _, want := range []string{tc.action + " in ap-guangzhou failed", "Code: UnauthorizedOperation", tc.action + ` is read for the "` + tc.check + `"`,
				"Grant the CAM policy action " + tc.permission, `or take "` + tc.check + `"`} {
				if !strings.Contains(text, want) {
					t.Errorf("the error does not say %q:\n%s", want, text)
				}
			}
		})
	}
}

func TestWaitForReadyThroughTheProtocol(t *testing.T) {
	t.Parallel()
	t.Run("rides out a maintenance task ending", func(t *testing.T) {
		t.Parallel()
		e := readinessEmulator(t, []emulator.Instance{{InstanceId: "ins-maint001", InstanceState: "RUNNING",
			Readiness: emulator.Readiness{MaintenanceTasks: []emulator.MaintenanceTask{{TaskId: "rep-12345678", TaskTypeId: 107, TaskStatus: 2, CreateTime: "2026-01-01 00:00:00"}}},
			Transitions: []emulator.Transition{{After: emulator.Duration(time.Second), Readiness: emulator.Readiness{MaintenanceTasks: []emulator.MaintenanceTask{
				{TaskId: "rep-12345678", TaskTypeId: 107, TaskStatus: 3, CreateTime: "2026-01-01 00:00:00", EndTime: "2026-01-01 01:00:00"}}}}}}})
		out := runProtocol(t, emulatorProvider(e), map[string]any{"instance_ids": []string{"ins-maint001"}, "include": []string{"maintenance"}, "wait_for_ready": true}, fastClient)
		if out.stage != "" {
			t.Fatalf("stopped at %q:%s", out.stage, out)
		}
		state, _ := plain(t, out.state).(map[string]any)
		notReady, _ := state["not_ready"].(map[string]any)
		if el := elements(t, state)["ins-maint001"]; el["ready"] != true || notReady == nil || len(notReady) != 0 {
			t.Errorf("the wait ended on %v", el)
		}
		if polls := e.Stats().ByAction["DescribeTaskInfo"]; polls < 2 {
			t.Errorf("%d polls of DescribeTaskInfo: the wait did not wait", polls)
		}
	})
	t.Run("times out naming the reasons", func(t *testing.T) {
		t.Parallel()
		e := readinessEmulator(t, unreadyFleet())
		out := runProtocol(t, emulatorProvider(e), map[string]any{"instance_ids": []string{"ins-ready001", "ins-expired1"}, "include": []string{"restriction"},
			"wait_for_ready": true, "timeouts": map[string]any{"read": "2s"}}, fastClient)
		errs := out.errors()
		if len(errs) != 1 {
			t.Fatalf("want one error:%s", out)
		}
		want := "timed out waiting for instances to be ready: ins-expired1 (restricted: EXPIRED (isolated: EXPIRE))"
		if !strings.Contains(errs[0].Detail, want) || errs[0].Summary != "Timed Out Waiting For Instance States" {
			t.Errorf("the error does not say %q:\n%s", want, out)
		}
	})
}

// The agent check reads TAT, which the emulator serves at the same
// endpoint: a provider pointed at a local endpoint sends TAT there too.
func TestAgentCheckReadsTATAtTheLocalEndpoint(t *testing.T) {
	t.Parallel()
	e := readinessEmulator(t, unreadyFleet())
	ids := []string{"ins-ready001", "ins-offline1", "ins-noagent1", "ins-stopped1"}
	out := runProtocol(t, emulatorProvider(e), map[string]any{"instance_ids": ids, "include": []string{"agent"}}, fastClient)
	if out.stage != "" {
		t.Fatalf("stopped at %q:%s", out.stage, out)
	}
	state, _ := plain(t, out.state).(map[string]any)
	wantNotReady := map[string]any{
		"ins-offline1": []any{"TAT agent Offline since 2026-12-01T00:00:00Z"},
		"ins-noagent1": []any{"no TAT agent reported"},
		"ins-stopped1": []any{"state STOPPED"},
	}
	if got := state["not_ready"]; !reflect.DeepEqual(got, wantNotReady) {
		t.Errorf("not_ready = %v\nwant %v", got, wantNotReady)
	}
	el := elements(t, state)
	if r := el["ins-ready001"]; r["agent_status"] != "Online" || r["agent_version"] != "1.1.9" || r["agent_last_heartbeat"] != "2026-12-04T08:00:00Z" ||
		r["ready"] != true || r["restrict_state"] != nil || r["maintenance_tasks"] != nil {
		t.Errorf("the ready instance: %v", r)
	}
	if n := el["ins-noagent1"]; n["agent_status"] != nil || n["agent_version"] != nil || n["ready"] != false {
		t.Errorf("the instance without an agent: %v", n)
	}
	if st := e.Stats(); st.ByAction["DescribeAutomationAgentStatus"] != 1 || st.ByAction["DescribeInstances"] != 0 {
		t.Errorf("requests by action %v; want one DescribeAutomationAgentStatus and no DescribeInstances", st.ByAction)
	}
}

// A wait for readiness that ends early names what each instance still
// lacks, not its state: "RUNNING" says nothing when RUNNING is not enough.
func TestAnInterruptedReadinessWaitNamesTheReasons(t *testing.T) {
	t.Parallel()
	werr := &cvm.WaitError{Wanted: []string{"RUNNING"}, Ready: true, Err: context.Canceled, NotReady: []cvm.InstanceStatus{
		{InstanceID: "ins-web00002", State: "RUNNING", Reasons: []string{"latest operation ResetInstance FAILED: disk", "TAT agent Offline"}},
		{InstanceID: "ins-web00003", State: "STARTING", Reasons: []string{"state STARTING"}},
	}}
	var diags diag.Diagnostics
	addReadError(&diags, readSettings{region: DefaultRegion}, werr)
	if len(diags) != 1 {
		t.Fatalf("diagnostics %v", diags)
	}
	want := "It was waiting for the instances to be ready; not there yet: ins-web00002 (latest operation ResetInstance FAILED: disk; TAT agent Offline), ins-web00003 (state STARTING)."
	if d := diags[0]; d.Summary() != "Read Cancelled" || !strings.Contains(d.Detail(), want) {
		t.Errorf("%s: %s\nwant it to say %q", d.Summary(), d.Detail(), want)
	}
}

// A TAT endpoint that cannot be reached is named as TAT's: the hint points
// at tat_endpoint, not at the CVM endpoint that answered.
func TestAnUnreachableTATEndpointIsNamed(t *testing.T) {
	t.Parallel()
	e := readinessEmulator(t, unreadyFleet())
	pcfg := emulatorProvider(e)
	pcfg["tat_endpoint"] = "http://127.0.0.1:1" // nothing listens there
	pcfg["max_retries"] = 0
	out := runProtocol(t, pcfg, map[string]any{"instance_ids": []string{"ins-ready001"}, "include": []string{"agent"}}, fastClient)
	errs := out.errors()
	if out.stage != "read" || len(errs) != 1 {
		t.Fatalf("want one read error:%s", out)
	}
	text := errs[0].Detail
	for _, want := range []string{"DescribeAutomationAgentStatus in ap-guangzhou failed", `read for the "agent" check of include`, "Check tat_endpoint (TENCENTCLOUD_TAT_ENDPOINT)"} {
		if !strings.Contains(text, want) {
			t.Errorf("the error does not say %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "TENCENTCLOUD_CVM_ENDPOINT") {
		t.Errorf("the error points at the CVM endpoint:\n%s", text)
	}
}
