package tat

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

const (
	testSecretID  = "AKIDtattest0000000000000000000000001"
	testSecretKey = "tat-test-secret-key"
	testRegion    = "ap-guangzhou"
)

// testCredentials is the emulator's test key, as a source that never
// changes.
var testCredentials tcapi.CredentialSource = staticKey{tcapi.Credential{SecretID: testSecretID, SecretKey: testSecretKey}}

type staticKey struct{ cred tcapi.Credential }

func (s staticKey) Credential(context.Context) (tcapi.Credential, error) { return s.cred, nil }
func (s staticKey) Name() string                                         { return "test" }

// agentRequest is what the tap saw of one DescribeAutomationAgentStatus
// request.
type agentRequest struct {
	InstanceIds []string
	Offset      int
	Limit       int
	Filters     []any
	hasFilters  bool
}

// tapped is an emulator serving instances in testRegion, with the body of
// every request recorded.
type tapped struct {
	*emutest.Emulator
	mu       sync.Mutex
	requests []agentRequest
}

func (tp *tapped) seen() []agentRequest {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return append([]agentRequest(nil), tp.requests...)
}

// startEmulator serves instances in testRegion for the duration of the test.
func startEmulator(t *testing.T, instances []emulator.Instance) *tapped {
	t.Helper()
	tp := &tapped{}
	cfg := emulator.Config{
		Regions:     map[string][]emulator.Instance{testRegion: instances},
		Credentials: []emulator.Credential{{SecretID: testSecretID, SecretKey: testSecretKey}},
		Seed:        21,
	}
	tp.Emulator = emutest.Start(t, cfg, emutest.Options{OnRequest: func(_ int64, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		var raw map[string]json.RawMessage
		var req agentRequest
		if json.Unmarshal(body, &raw) == nil {
			_ = json.Unmarshal(body, &req)
			_, req.hasFilters = raw["Filters"]
		}
		tp.mu.Lock()
		tp.requests = append(tp.requests, req)
		tp.mu.Unlock()
	}})
	return tp
}

// front serves the emulator behind a server that answers request n with
// answer(n) when it returns a body, and passes it to the emulator
// otherwise: a service that misbehaves at will.
func front(t *testing.T, e *emutest.Emulator, answer func(n int64) []byte) string {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if body := answer(n.Add(1)); body != nil {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
			return
		}
		e.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// newClient is the package's one client builder: a client of endpoint with
// short retry delays, after each tune has adjusted its configuration.
func newClient(t *testing.T, endpoint string, tune ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		Endpoint:       endpoint,
		Credentials:    testCredentials,
		RateLimit:      1000,
		RetryBaseDelay: time.Millisecond,
		RetryMaxDelay:  5 * time.Millisecond,
	}
	for _, f := range tune {
		f(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// withRetries sets how often a request is retried.
func withRetries(n int) func(*Config) {
	return func(c *Config) { c.MaxRetries = new(n) }
}

// withAgents is instances where every third has no agent and the others
// alternate between Online and Offline.
func withAgents(instances []emulator.Instance) []emulator.Instance {
	for i := range instances {
		if i%3 == 0 {
			continue
		}
		status := "Online"
		if i%2 == 0 {
			status = "Offline"
		}
		instances[i].Agent = &emulator.Agent{AgentStatus: status, Version: "1.1.0", LastHeartbeatTime: "2026-12-04T12:00:00Z", Environment: "Linux"}
	}
	return instances
}

// expected is the agents instances carry, as AutomationAgents reports them.
func expected(instances []emulator.Instance) map[string]Agent {
	out := map[string]Agent{}
	for _, in := range instances {
		if a := in.Agent; a != nil {
			out[in.InstanceId] = Agent{Status: a.AgentStatus, Version: a.Version, LastHeartbeat: a.LastHeartbeatTime, Environment: a.Environment}
		}
	}
	return out
}

func idsOf(instances []emulator.Instance) []string {
	ids := make([]string, len(instances))
	for i, in := range instances {
		ids[i] = in.InstanceId
	}
	return ids
}
