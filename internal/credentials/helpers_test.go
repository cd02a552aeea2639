package credentials

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// The tests read instance states with credentials made here, as the
// provider does: a test-only use of cvm, the consumer of this package's
// sources (cvm's own code never imports this package, nor this package cvm's).

const (
	testSecretID  = "AKIDclienttest0000000000000000000001"
	testSecretKey = "client-test-secret-key"
	testRegion    = "ap-guangzhou"
	suiteARN      = "qcs::cam::uin/100000000001:roleName/suite"
)

// readerConfig is what a test sets: the CVM client's settings, the base
// credential, the STS endpoint and region, and the layers on top.
type readerConfig struct {
	cvm.Config
	Credentials            tcapi.CredentialSource
	STSEndpoint, STSRegion string
	Layers
}

// testConfig talks to endpoint (CVM and STS) with the test key and short
// retry delays, so that retried faults do not slow the suite down.
func testConfig(endpoint string) readerConfig {
	return readerConfig{
		Config: cvm.Config{
			Endpoint:       endpoint,
			RateLimit:      1000,
			RetryBaseDelay: time.Millisecond,
			RetryMaxDelay:  5 * time.Millisecond,
		},
		Credentials: StaticCredentials("test", tcapi.Credential{SecretID: testSecretID, SecretKey: testSecretKey}),
		STSEndpoint: endpoint,
	}
}

// clientFor is the one client builder of this package: a CVM client at
// endpoint signed with the chain cfg describes, after each tune.
func clientFor(t testing.TB, endpoint string, tune ...func(*readerConfig)) *cvm.Client {
	t.Helper()
	cfg := testConfig(endpoint)
	for _, f := range tune {
		f(&cfg)
	}
	if cfg.MaxRetries == nil {
		cfg.MaxRetries = new(cvm.DefaultMaxRetries)
	}
	api := tcapi.New(tcapi.Config{HTTPClient: cfg.HTTPClient, RequestTimeout: cfg.RequestTimeout, MaxRetries: *cfg.MaxRetries,
		RetryBaseDelay: cfg.RetryBaseDelay, RetryMaxDelay: cfg.RetryMaxDelay, Now: cfg.Now})
	sts, err := NewSTS(api, cfg.STSEndpoint, cfg.STSRegion)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Config.Credentials, err = sts.Chain(cfg.Credentials, cfg.Layers)
	if err != nil {
		t.Fatal(err)
	}
	c, err := cvm.New(cfg.Config)
	if err != nil {
		t.Fatalf("cvm.New: %v", err)
	}
	return c
}

// startEmulator is the one emulator starter of this package: it serves cfg
// on loopback for the duration of the test, with the test key added.
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

func newTestClient(t testing.TB, s *emulator.Server, tune ...func(*readerConfig)) *cvm.Client {
	t.Helper()
	return clientFor(t, s.URL(), tune...)
}

func regionOf(instances []emulator.Instance) map[string][]emulator.Instance {
	return map[string][]emulator.Instance{testRegion: instances}
}

func isDescribe(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("X-TC-Action"), "DescribeInstancesStatus")
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
