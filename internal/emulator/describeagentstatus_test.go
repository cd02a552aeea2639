package emulator_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

type agentAnswer struct {
	Response struct {
		Error              *struct{ Code, Message string }
		TotalCount         int
		AutomationAgentSet []map[string]any
	}
}

func (a agentAnswer) code() string {
	if a.Response.Error != nil {
		return a.Response.Error.Code
	}
	return "Success"
}

func (a agentAnswer) ids() []string {
	var out []string
	for _, ag := range a.Response.AutomationAgentSet {
		id, _ := ag["InstanceId"].(string)
		out = append(out, id)
	}
	return out
}

func agentCall(body string) tc3Call {
	return tc3Call{action: "DescribeAutomationAgentStatus", version: "2020-10-28", service: "tat", region: testRegion, body: body}
}

func describeAgents(t *testing.T, s *emulator.Server, c tc3Call) agentAnswer {
	t.Helper()
	resp, err := http.DefaultClient.Do(c.request(t, s))
	if err != nil {
		t.Fatal(err)
	}
	defer closeQuietly(resp.Body)
	raw, _ := io.ReadAll(resp.Body)
	var a agentAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	return a
}

func agentWorld(t *testing.T, clk *emutest.Clock) *emulator.Server {
	t.Helper()
	return emutest.Listen(t, emulator.Config{Now: clk.Now, Regions: map[string][]emulator.Instance{testRegion: {
		{InstanceId: "ins-r8hr2upy", InstanceState: "RUNNING", Readiness: emulator.Readiness{Agent: &emulator.Agent{
			AgentStatus: "Online", Version: "1.1.4", LastHeartbeatTime: "2026-12-04T10:00:00+08:00", Environment: "Linux"}}},
		{InstanceId: "ins-5d8a23rs", InstanceState: "RUNNING", Readiness: emulator.Readiness{Agent: &emulator.Agent{AgentStatus: "Offline", Environment: "Windows"}},
			Transitions: []emulator.Transition{{After: emulator.Duration(3 * time.Second), Readiness: emulator.Readiness{Agent: &emulator.Agent{AgentStatus: "Online"}}}}},
		{InstanceId: "ins-7ab2c4de", InstanceState: "RUNNING"}, // no agent
	}}})
}

func TestDescribeAutomationAgentStatus(t *testing.T) {
	clk := emutest.NewClock()
	s := agentWorld(t, clk)
	a := describeAgents(t, s, agentCall(`{}`))
	if a.code() != "Success" || a.Response.TotalCount != 2 || !slices.Equal(a.ids(), []string{"ins-5d8a23rs", "ins-r8hr2upy"}) {
		t.Fatalf("listing: %s %d %v", a.code(), a.Response.TotalCount, a.ids())
	}
	got := a.Response.AutomationAgentSet[1]
	for k, want := range map[string]any{"Version": "1.1.4", "LastHeartbeatTime": "2026-12-04T10:00:00+08:00", "AgentStatus": "Online", "Environment": "Linux"} {
		if got[k] != want {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}
	if f, ok := got["SupportFeatures"].([]any); !ok || len(f) != 0 {
		t.Errorf("SupportFeatures %v, want []", got["SupportFeatures"])
	}
	for name, tc := range map[string]struct {
		body string
		ids  []string
	}{
		"no agent is absent": {`{"InstanceIds": ["ins-7ab2c4de", "ins-r8hr2upy"]}`, []string{"ins-r8hr2upy"}},
		"offline":            {`{"Filters": [{"Name": "agent-status", "Values": ["Offline"]}]}`, []string{"ins-5d8a23rs"}},
		"environment":        {`{"Filters": [{"Name": "environment", "Values": ["Linux"]}]}`, []string{"ins-r8hr2upy"}},
		"instance-id":        {`{"Filters": [{"Name": "instance-id", "Values": ["ins-5d8a23rs", "ins-7ab2c4de"]}]}`, []string{"ins-5d8a23rs"}},
		"page":               {`{"Offset": 1, "Limit": 1}`, []string{"ins-r8hr2upy"}},
	} {
		a := describeAgents(t, s, agentCall(tc.body))
		if a.code() != "Success" || !slices.Equal(a.ids(), tc.ids) {
			t.Errorf("%s: %s %v, want %v", name, a.code(), a.ids(), tc.ids)
		}
	}
	clk.Advance(3 * time.Second)
	a = describeAgents(t, s, agentCall(`{"Filters": [{"Name": "agent-status", "Values": ["Offline"]}]}`))
	if a.code() != "Success" || a.Response.TotalCount != 0 {
		t.Errorf("after the transition, offline: %s %v", a.code(), a.ids())
	}
}

func TestDescribeAutomationAgentStatusErrors(t *testing.T) {
	s := agentWorld(t, emutest.NewClock())
	for name, tc := range map[string]struct{ body, code string }{
		"ids and filters": {`{"InstanceIds": ["ins-r8hr2upy"], "Filters": [{"Name": "agent-status", "Values": ["Online"]}]}`, "InvalidParameter.ConflictParameter"},
		"unknown filter":  {`{"Filters": [{"Name": "zone", "Values": ["x"]}]}`, "InvalidParameterValue.InvalidFilter"},
		"bad id":          {`{"InstanceIds": ["ins-1"]}`, "InvalidParameterValue.InvalidInstanceId"},
		"limit 101":       {`{"Limit": 101}`, "InvalidParameterValue.LimitExceeded"},
		"101 ids":         {`{"InstanceIds": ["ins-r8hr2upy"` + strings.Repeat(`, "ins-r8hr2upy"`, 100) + `]}`, "InvalidParameterValue.LimitExceeded"},
	} {
		if got := describeAgents(t, s, agentCall(tc.body)).code(); got != tc.code {
			t.Errorf("%s: %s, want %s", name, got, tc.code)
		}
	}
	noRegion := agentCall(`{}`)
	noRegion.region = ""
	if got := describeAgents(t, s, noRegion).code(); got != "MissingParameter" {
		t.Errorf("no region: %s", got)
	}
	cvmScope := agentCall(`{}`)
	cvmScope.service = "cvm"
	if got := describeAgents(t, s, cvmScope).code(); got != "AuthFailure.InvalidAuthorization" {
		t.Errorf("signed for cvm: %s", got)
	}
	otherVersion := agentCall(`{}`)
	otherVersion.version = "2017-03-12"
	if got := describeAgents(t, s, otherVersion).code(); got != "NoSuchVersion" {
		t.Errorf("cvm's version: %s", got)
	}
}

// TestDescribeAutomationAgentStatusRateLimit: its own 60/s.
func TestDescribeAutomationAgentStatusRateLimit(t *testing.T) {
	clk := emutest.NewClock()
	s := emutest.Listen(t, emulator.Config{RateLimit: 1, Now: clk.Now})
	for i := range 60 {
		if got := describeAgents(t, s, agentCall(`{}`)).code(); got != "Success" {
			t.Fatalf("request %d: %s", i+1, got)
		}
	}
	a := describeAgents(t, s, agentCall(`{}`))
	if a.code() != "RequestLimitExceeded" || !strings.Contains(a.Response.Error.Message, "frequency limit `60`") {
		t.Errorf("61st: %s %+v", a.code(), a.Response.Error)
	}
}
