package cvm

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/credentials"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// testCredentials is the emulator's test key, as a source that never
// changes (the credentials package's sources are not cvm's to know).
var testCredentials tcapi.CredentialSource = staticKey{tcapi.Credential{SecretID: testSecretID, SecretKey: testSecretKey}}

type staticKey struct{ cred tcapi.Credential }

func (s staticKey) Credential(context.Context) (tcapi.Credential, error) { return s.cred, nil }
func (s staticKey) Name() string                                         { return "test" }

// startEmulator serves cfg on loopback for the duration of the test, with the
// test credential added.
func startEmulator(t testing.TB, cfg emulator.Config) *emulator.Server {
	t.Helper()
	cfg.Credentials = append(cfg.Credentials, emulator.Credential{SecretID: testSecretID, SecretKey: testSecretKey})
	s, err := emulator.Start(cfg)
	if err != nil {
		t.Fatalf("starting the emulator: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// testConfig talks to endpoint with short retry delays and polls, so that
// retried faults and waits do not slow the suite down.
func testConfig(endpoint string) Config {
	return Config{
		Endpoint:       endpoint,
		Credentials:    testCredentials,
		RateLimit:      1000,
		RetryBaseDelay: time.Millisecond,
		RetryMaxDelay:  5 * time.Millisecond,
		PollInterval:   10 * time.Millisecond,
		MaxPoll:        50 * time.Millisecond,
	}
}

// newClient is the package's one client builder: testConfig's client of
// endpoint, after each tune has adjusted its configuration.
func newClient(t testing.TB, endpoint string, tune ...func(*Config)) *Client {
	t.Helper()
	cfg := testConfig(endpoint)
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

func regionOf(instances []emulator.Instance) map[string][]emulator.Instance {
	return map[string][]emulator.Instance{testRegion: instances}
}

// truth is the sorted (ID, state) list the emulator was seeded with.
func truth(instances []emulator.Instance) []InstanceStatus {
	out := make([]InstanceStatus, len(instances))
	for i, in := range instances {
		out[i] = InstanceStatus{InstanceID: in.InstanceId, State: in.InstanceState}
	}
	slices.SortFunc(out, func(a, b InstanceStatus) int {
		switch {
		case a.InstanceID < b.InstanceID:
			return -1
		case a.InstanceID > b.InstanceID:
			return 1
		}
		return 0
	})
	return out
}

// chainConfig is a client's Config with a credential chain on top of its
// Credentials, for the fault suite's rows of temporary credentials: a
// test-only use of the credentials package, which makes them.
type chainConfig struct {
	Config
	STSEndpoint string
	credentials.Layers
}

// newChained builds the client cc describes, its STS calls made with the
// same transport settings.
func newChained(cc chainConfig) (*Client, error) {
	retries := DefaultMaxRetries
	if cc.MaxRetries != nil {
		retries = *cc.MaxRetries
	}
	api := tcapi.New(tcapi.Config{HTTPClient: cc.HTTPClient, RequestTimeout: cc.RequestTimeout, MaxRetries: retries,
		RetryBaseDelay: cc.RetryBaseDelay, RetryMaxDelay: cc.RetryMaxDelay, Now: cc.Now})
	sts, err := credentials.NewSTS(api, cc.STSEndpoint, "")
	if err != nil {
		return nil, err
	}
	if cc.Credentials, err = sts.Chain(cc.Credentials, cc.Layers); err != nil {
		return nil, err
	}
	return New(cc.Config)
}

// startTapped serves instances in testRegion, calling onRequest (if any)
// with every API request before the emulator answers it.
func startTapped(t *testing.T, instances []emulator.Instance, onRequest func(e *emutest.Emulator, n int64, r *http.Request)) *emutest.Emulator {
	t.Helper()
	cfg := emulator.Config{Regions: regionOf(instances), Credentials: []emulator.Credential{{SecretID: testSecretID, SecretKey: testSecretKey}}}
	return emutest.StartTapped(t, cfg, onRequest)
}

// replaceOn replaces testRegion's instances with next when the nth API
// request arrives, before it is answered.
func replaceOn(t *testing.T, nth int64, next []emulator.Instance) func(*emutest.Emulator, int64, *http.Request) {
	return func(e *emutest.Emulator, n int64, _ *http.Request) {
		if n == nth {
			if err := e.SetInstances(map[string][]emulator.Instance{testRegion: next}); err != nil {
				t.Error(err)
			}
		}
	}
}
