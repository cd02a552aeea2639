package emulator_test

import (
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/clock"
)

func strp(s string) *string { return &s }

// TestReadinessDefaultsAndTransitions: unset fields take the documented
// defaults, and a transition changes only the fields it names, on time.
func TestReadinessDefaultsAndTransitions(t *testing.T) {
	p := writeFile(t, `{"regions": {"ap-guangzhou": [
  {"InstanceId": "ins-r8hr2upy", "InstanceState": "RUNNING"},
  {"InstanceId": "ins-5d8a23rs", "InstanceState": "RUNNING",
   "LatestOperation": "ResetInstance", "LatestOperationState": "OPERATING",
   "Agent": {"AgentStatus": "Offline", "Version": "1.1.4", "Environment": "Linux"},
   "MaintenanceTasks": [{"TaskId": "rep-xr36mn2a", "TaskTypeId": 107, "TaskStatus": 1, "CreateTime": "2026-12-04 10:00:00"}],
   "Transitions": [
     {"After": "3s", "Agent": {"AgentStatus": "Online"}},
     {"After": "5s", "LatestOperationState": "FAILED", "LatestOperationErrorMsg": "disk busy", "MaintenanceTasks": []},
     {"After": "7s", "InstanceState": "STOPPED", "RestrictState": "EXPIRED"}]}]}}`)
	cfg, err := emulator.LoadDataFile(p)
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewSettable()
	cfg.Now = clk.Now
	s, err := emulator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}

	_, plain, _ := s.InstanceAtForTest("ap-guangzhou", "ins-r8hr2upy")
	if *plain.RestrictState != "NORMAL" || *plain.IsolatedSource != "NOTISOLATED" ||
		plain.LatestOperation != nil || plain.LatestOperationState != nil || plain.ExpiredTime != nil || plain.Agent != nil || plain.MaintenanceTasks != nil {
		t.Fatalf("defaults: %+v", plain)
	}

	check := func(when string, wantState, wantAgent, wantOp string, wantTasks int, wantRestrict string) {
		t.Helper()
		state, rd, ok := s.InstanceAtForTest("ap-guangzhou", "ins-5d8a23rs")
		if !ok {
			t.Fatalf("%s: instance missing", when)
		}
		if state != wantState || rd.Agent == nil || rd.Agent.AgentStatus != wantAgent || *rd.LatestOperationState != wantOp ||
			len(rd.MaintenanceTasks) != wantTasks || *rd.RestrictState != wantRestrict {
			t.Errorf("%s: state %s, %+v, agent %+v", when, state, rd, rd.Agent)
		}
		if rd.Agent.Version != "1.1.4" || rd.Agent.Environment != "Linux" || *rd.LatestOperation != "ResetInstance" {
			t.Errorf("%s: a transition changed a field it does not name: %+v, agent %+v", when, rd, rd.Agent)
		}
	}
	check("at load", "RUNNING", "Offline", "OPERATING", 1, "NORMAL")
	clk.Advance(3 * time.Second)
	check("after 3s", "RUNNING", "Online", "OPERATING", 1, "NORMAL")
	clk.Advance(2 * time.Second)
	check("after 5s", "RUNNING", "Online", "FAILED", 0, "NORMAL")
	clk.Advance(2 * time.Second)
	check("after 7s", "STOPPED", "Online", "FAILED", 0, "EXPIRED")
}

// TestReadinessInConfig: a Config is checked like a data file.
func TestReadinessInConfig(t *testing.T) {
	_, err := emulator.New(emulator.Config{Regions: map[string][]emulator.Instance{"ap-guangzhou": {{
		InstanceId: "ins-r8hr2upy", InstanceState: "RUNNING",
		Readiness: emulator.Readiness{IsolatedSource: strp("FORGOT")},
	}}}})
	if err == nil || err.Error() != `Regions["ap-guangzhou"][0].IsolatedSource: invalid IsolatedSource "FORGOT"; valid values are ARREAR, EXPIRE, MANMADE, NOTISOLATED` {
		t.Fatalf("got %v", err)
	}
}
