package provider

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/credentials"
	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
	"github.com/cvmkit/terraform-provider-cvm/internal/tat"
	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// The TAT client reads through the CVM client's settings and hands cvm its
// agents in cvm's terms: an instance without an agent stays absent.
func TestTATAgentsAsCVMAgentSource(t *testing.T) {
	t.Parallel()
	online := inst("ins-aaaaaaaa", "RUNNING")
	online.Agent = &emulator.Agent{AgentStatus: "Online", Version: "1.1.0", LastHeartbeatTime: "2026-12-04T12:00:00Z", Environment: "Linux"}
	offline := inst("ins-bbbbbbbb", "RUNNING")
	offline.Agent = &emulator.Agent{AgentStatus: "Offline", Version: "1.0.9", LastHeartbeatTime: "2026-12-01T08:00:00Z"}
	e := emutest.Start(t, emulator.Config{
		Credentials: []emulator.Credential{{SecretID: accSecretID, SecretKey: accSecretKey}},
		Regions:     seeded(online, offline, inst("ins-cccccccc", "RUNNING")),
	}, emutest.Options{})
	cfg := cvm.Config{
		Credentials:    credentials.StaticCredentials("test", tcapi.Credential{SecretID: accSecretID, SecretKey: accSecretKey}),
		MaxRetries:     new(0),
		RetryBaseDelay: time.Millisecond,
		UserAgent:      "terraform-provider-cvm/test",
	}
	agents, err := newTATAgents(cfg, e.URL)
	if err != nil {
		t.Fatal(err)
	}
	got, err := agents.Agents(context.Background(), DefaultRegion, []string{"ins-aaaaaaaa", "ins-bbbbbbbb", "ins-cccccccc"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]cvm.Agent{
		"ins-aaaaaaaa": {Status: "Online", Version: "1.1.0", LastHeartbeat: "2026-12-04T12:00:00Z"},
		"ins-bbbbbbbb": {Status: "Offline", Version: "1.0.9", LastHeartbeat: "2026-12-01T08:00:00Z"},
	}
	if !maps.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}

	// Its retries are the CVM client's: none here, so a refusal is
	// reported after one request, as the service's error.
	if err := e.SetFaults(emulator.Faults{Errors: map[string]float64{"InternalError": 1}}); err != nil {
		t.Fatal(err)
	}
	before := e.Requests()
	_, err = agents.Agents(context.Background(), DefaultRegion, []string{"ins-aaaaaaaa"})
	var apiErr *tcapi.APIError
	if !errors.As(err, &apiErr) || apiErr.Action != tat.ActionDescribeAgents || apiErr.Attempts != 1 || e.Requests()-before != 1 {
		t.Errorf("got %v after %d requests, want one InternalError of %s", err, e.Requests()-before, tat.ActionDescribeAgents)
	}
}
