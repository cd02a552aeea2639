package tat

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// 250 IDs are read in three requests of at most 100 IDs by InstanceIds,
// each with Limit its chunk's size and no Filters; an instance without an
// agent is absent from the answer, never reported online.
func TestAutomationAgentsChunksBy100(t *testing.T) {
	t.Parallel()
	instances := withAgents(emulator.GenerateInstances(250, 21))
	e := startEmulator(t, instances)
	ids := idsOf(instances)
	got, err := newClient(t, e.URL).AutomationAgents(context.Background(), testRegion, append(ids, ids[:10]...))
	if err != nil {
		t.Fatal(err)
	}
	want := expected(instances)
	if !maps.Equal(got, want) {
		t.Errorf("got %d agents, want %d: %v", len(got), len(want), got)
	}
	for _, in := range instances {
		if _, ok := got[in.InstanceId]; ok != (in.Agent != nil) {
			t.Errorf("%s: in the map %v, has an agent %v", in.InstanceId, ok, in.Agent != nil)
		}
	}
	reqs := e.seen()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	sizes := map[int]int{}
	for _, r := range reqs {
		sizes[len(r.InstanceIds)]++
		if r.Limit != len(r.InstanceIds) || r.Offset != 0 || r.hasFilters {
			t.Errorf("request with %d IDs, Limit %d, Offset %d, Filters sent %v", len(r.InstanceIds), r.Limit, r.Offset, r.hasFilters)
		}
	}
	if sizes[100] != 2 || sizes[50] != 1 {
		t.Errorf("chunk sizes %v, want two of 100 and one of 50", sizes)
	}
	if n := e.Stats().ByAction[ActionDescribeAgents]; n != 3 {
		t.Errorf("the emulator counted %d %s requests, want 3", n, ActionDescribeAgents)
	}
}

// No ID sends no request; no region is refused before any.
func TestAutomationAgentsWithoutIDsOrRegion(t *testing.T) {
	t.Parallel()
	e := startEmulator(t, nil)
	c := newClient(t, e.URL)
	got, err := c.AutomationAgents(context.Background(), testRegion, []string{})
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("empty ids: %v, %v; want an empty map", got, err)
	}
	if _, err := c.AutomationAgents(context.Background(), "", []string{"ins-aaaaaaaa"}); err == nil || !strings.Contains(err.Error(), "region") {
		t.Errorf("no region: %v", err)
	}
	if _, err := c.AutomationAgents(context.Background(), testRegion, []string{"ins-AAAA"}); err == nil || !strings.Contains(err.Error(), "not a valid instance ID") {
		t.Errorf("malformed ID: %v", err)
	}
	if n := e.Requests(); n != 0 {
		t.Errorf("%d requests reached the emulator, want none", n)
	}
}

// A throttled service is ridden out through retries, each request paced by
// its limiter.
func TestAutomationAgentsThrottled(t *testing.T) {
	t.Parallel()
	instances := withAgents(emulator.GenerateInstances(250, 22))
	e := startEmulator(t, instances)
	if err := e.SetFaults(emulator.Faults{Errors: map[string]float64{"RequestLimitExceeded": 0.5}, Actions: []string{ActionDescribeAgents}}); err != nil {
		t.Fatal(err)
	}
	got, err := newClient(t, e.URL).AutomationAgents(context.Background(), testRegion, idsOf(instances))
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, expected(instances)) {
		t.Errorf("got %v", got)
	}
	if e.Stats().ByCode["RequestLimitExceeded"] == 0 {
		t.Error("the emulator throttled nothing: the test proves nothing")
	}
}

// A refusal is the service's error, naming the action, and no partial
// answer.
func TestAutomationAgentsUnauthorized(t *testing.T) {
	t.Parallel()
	instances := withAgents(emulator.GenerateInstances(150, 23))
	e := startEmulator(t, instances)
	if err := e.SetFaults(emulator.Faults{Errors: map[string]float64{"UnauthorizedOperation": 1}}); err != nil {
		t.Fatal(err)
	}
	got, err := newClient(t, e.URL).AutomationAgents(context.Background(), testRegion, idsOf(instances))
	var apiErr *tcapi.APIError
	if !errors.As(err, &apiErr) || apiErr.Action != ActionDescribeAgents || apiErr.Code != "UnauthorizedOperation" || apiErr.Region != testRegion {
		t.Fatalf("got %#v, want an UnauthorizedOperation *tcapi.APIError of %s", err, ActionDescribeAgents)
	}
	if got != nil {
		t.Errorf("a partial answer: %v", got)
	}
}

// An answer that is valid JSON but not a valid page is retried like a
// truncated one, and reported as a bad answer when retries run out.
func TestAutomationAgentsMalformedAnswer(t *testing.T) {
	t.Parallel()
	const otherID = "ins-zzzzzzzz"
	bad := map[string]string{
		"no TotalCount":          `{"Response":{"AutomationAgentSet":[],"RequestId":"r"}}`,
		"negative TotalCount":    `{"Response":{"TotalCount":-1,"AutomationAgentSet":[],"RequestId":"r"}}`,
		"TotalCount above asked": `{"Response":{"TotalCount":1000,"AutomationAgentSet":[],"RequestId":"r"}}`,
		"an agent not asked for": `{"Response":{"TotalCount":1,"AutomationAgentSet":[{"InstanceId":"` + otherID + `","AgentStatus":"Online"}],"RequestId":"r"}}`,
		"a malformed ID":         `{"Response":{"TotalCount":1,"AutomationAgentSet":[{"InstanceId":"INS-1","AgentStatus":"Online"}],"RequestId":"r"}}`,
		"no AgentStatus":         `{"Response":{"TotalCount":1,"AutomationAgentSet":[{"InstanceId":"%s","AgentStatus":""}],"RequestId":"r"}}`,
		"the same agent twice":   `{"Response":{"TotalCount":2,"AutomationAgentSet":[{"InstanceId":"%[1]s","AgentStatus":"Online"},{"InstanceId":"%[1]s","AgentStatus":"Online"}],"RequestId":"r"}}`,
	}
	for name, body := range bad {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			instances := withAgents(emulator.GenerateInstances(20, 24))
			e := startEmulator(t, instances)
			if strings.Contains(body, "%") {
				body = fmt.Sprintf(body, instances[1].InstanceId)
			}
			url := front(t, e.Emulator, func(n int64) []byte {
				if n == 1 {
					return []byte(body)
				}
				return nil
			})
			got, err := newClient(t, url).AutomationAgents(context.Background(), testRegion, idsOf(instances))
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, expected(instances)) {
				t.Errorf("got %v", got)
			}

			url = front(t, e.Emulator, func(int64) []byte { return []byte(body) })
			_, err = newClient(t, url, withRetries(0)).AutomationAgents(context.Background(), testRegion, idsOf(instances))
			var apiErr *tcapi.APIError
			if !errors.As(err, &apiErr) || apiErr.Cause != tcapi.CauseBadAnswer || apiErr.Action != ActionDescribeAgents {
				t.Errorf("without retries: %v, want a bad answer", err)
			}
		})
	}
}

// A chunk whose answer counts more agents than it holds is paged with
// Offset.
func TestAutomationAgentsPagesWithOffset(t *testing.T) {
	t.Parallel()
	instances := withAgents(emulator.GenerateInstances(3, 25)) // agents on [1] and [2]
	e := startEmulator(t, instances)
	first := fmt.Sprintf(`{"Response":{"TotalCount":2,"AutomationAgentSet":[{"InstanceId":"%s","AgentStatus":"Online","Version":"1.1.0","LastHeartbeatTime":"2026-12-04T12:00:00Z","Environment":"Linux"}],"RequestId":"r"}}`,
		instances[1].InstanceId)
	url := front(t, e.Emulator, func(n int64) []byte {
		if n == 1 {
			return []byte(first)
		}
		return nil
	})
	got, err := newClient(t, url).AutomationAgents(context.Background(), testRegion, idsOf(instances))
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, expected(instances)) {
		t.Errorf("got %v, want %v", got, expected(instances))
	}
	reqs := e.seen()
	if len(reqs) != 1 || reqs[0].Offset != 1 || reqs[0].Limit != 3 {
		t.Errorf("the emulator saw %+v, want the second page (Offset 1, Limit 3)", reqs)
	}
}

// One failed chunk fails the whole read: a gate must not pass on the
// agents that happened to be read.
func TestAutomationAgentsNeverPartial(t *testing.T) {
	t.Parallel()
	instances := withAgents(emulator.GenerateInstances(300, 26))
	e := startEmulator(t, instances)
	url := front(t, e.Emulator, func(n int64) []byte {
		if n == 2 {
			return []byte(`{"Response":{"Error":{"Code":"InternalError","Message":"boom"},"RequestId":"r"}}`)
		}
		return nil
	})
	got, err := newClient(t, url, withRetries(0)).AutomationAgents(context.Background(), testRegion, idsOf(instances))
	var apiErr *tcapi.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "InternalError" {
		t.Errorf("got %v, want the InternalError", err)
	}
	if got != nil {
		t.Errorf("a partial answer of %d agents", len(got))
	}
}

// New refuses what cannot work, before any request.
func TestNewRefuses(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]Config{
		"no credentials":   {},
		"remote http":      {Credentials: testCredentials, Endpoint: "http://tat.tencentcloudapi.com"},
		"negative retries": {Credentials: testCredentials, MaxRetries: new(-1)},
		"negative rate":    {Credentials: testCredentials, RateLimit: -1},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c, err := New(Config{Credentials: testCredentials})
	if err != nil || c.Endpoint() != DefaultEndpoint+"/" {
		t.Errorf("default endpoint %q, %v", c.Endpoint(), err)
	}
}
