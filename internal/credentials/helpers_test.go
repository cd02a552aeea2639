package credentials

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// The tests read instance states with the credentials made here through
// tcapi, as any service package would: a minimal DescribeInstancesStatus
// reader, so that this package's tests need neither cvm nor Terraform.

const (
	testSecretID  = "AKIDclienttest0000000000000000000001"
	testSecretKey = "client-test-secret-key"
	testRegion    = "ap-guangzhou"
	suiteARN      = "qcs::cam::uin/100000000001:roleName/suite"
)

// readerConfig is what a test sets: the base credential, the STS endpoint
// and region, the layers on top, and the reader's transport settings.
type readerConfig struct {
	Endpoint               string
	Credentials            tcapi.CredentialSource
	STSEndpoint, STSRegion string
	Layers
	MaxRetries *int // nil: 8, as cvm's default
	Now        func() time.Time
}

// testConfig talks to endpoint (CVM and STS) with the test key.
func testConfig(endpoint string) readerConfig {
	return readerConfig{
		Endpoint:    endpoint,
		Credentials: StaticCredentials("test", tcapi.Credential{SecretID: testSecretID, SecretKey: testSecretKey}),
		STSEndpoint: endpoint,
	}
}

// reader reads instance states, signed with the chain its config describes.
type reader struct {
	api      *tcapi.Client
	endpoint *url.URL
	creds    tcapi.CredentialSource
	limiter  *tcapi.RateLimiter
}

// clientFor is the one client builder of this package: a reader at
// endpoint after each tune, with short retry delays so that retried faults
// do not slow the suite down.
func clientFor(t testing.TB, endpoint string, tune ...func(*readerConfig)) *reader {
	t.Helper()
	cfg := testConfig(endpoint)
	for _, f := range tune {
		f(&cfg)
	}
	retries := 8
	if cfg.MaxRetries != nil {
		retries = *cfg.MaxRetries
	}
	api := tcapi.New(tcapi.Config{MaxRetries: retries, RetryBaseDelay: time.Millisecond, RetryMaxDelay: 5 * time.Millisecond, Now: cfg.Now})
	sts, err := NewSTS(api, cfg.STSEndpoint, cfg.STSRegion)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := sts.Chain(cfg.Credentials, cfg.Layers)
	if err != nil {
		t.Fatal(err)
	}
	endpointURL, err := tcapi.ParseEndpoint(cfg.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return &reader{api: api, endpoint: endpointURL, creds: creds, limiter: tcapi.NewRateLimiter(1000)}
}

// result is what a read found.
type result struct{ Instances []string }

// describeAnswer is as much of DescribeInstancesStatus's answer as the
// tests need.
type describeAnswer struct {
	Response struct {
		tcapi.ResponseHeader
		TotalCount        *int `json:"TotalCount"`
		InstanceStatusSet []struct {
			InstanceID string `json:"InstanceId"`
		} `json:"InstanceStatusSet"`
	} `json:"Response"`
}

func (a *describeAnswer) Header() *tcapi.ResponseHeader { return &a.Response.ResponseHeader }
func (a *describeAnswer) Reset()                        { *a = describeAnswer{} }
func (a *describeAnswer) Check() error {
	if a.Response.TotalCount == nil {
		return errors.New("no TotalCount")
	}
	return nil
}

// DescribeInstancesStatus reads ids, or pages through the region when ids
// is nil.
func (r *reader) DescribeInstancesStatus(ctx context.Context, region string, ids []string) (*result, error) {
	var res result
	for offset := 0; ; offset += 100 {
		params := map[string]any{"Offset": offset, "Limit": 100}
		if ids != nil {
			params["InstanceIds"] = ids
		}
		payload, err := json.Marshal(params)
		if err != nil {
			return nil, err
		}
		var a describeAnswer
		req := tcapi.Request{Endpoint: r.endpoint, Service: "cvm", Version: "2017-03-12", Action: "DescribeInstancesStatus", Region: region, Payload: payload}
		if err := r.api.Send(ctx, req, r.creds, r.limiter, &a); err != nil {
			return nil, err
		}
		for _, s := range a.Response.InstanceStatusSet {
			res.Instances = append(res.Instances, s.InstanceID)
		}
		if ids != nil || offset+100 >= *a.Response.TotalCount {
			return &res, nil
		}
	}
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

func newTestClient(t testing.TB, s *emulator.Server, tune ...func(*readerConfig)) *reader {
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
