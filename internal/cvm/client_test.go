package cvm

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

const (
	testSecretID  = "AKIDclienttest0000000000000000000001"
	testSecretKey = "client-test-secret-key"
	testRegion    = "ap-guangzhou"
)

// Ten reads at once through one client stay under the service's limit, in
// one region or in ten: the limiter is shared by every read of the client,
// as the service counts requests per account and action. 310 requests, more
// than the emulator's one-second burst allows.
func TestConcurrentReadsShareTheLimiter(t *testing.T) {
	const limit = 200
	regions := []string{"ap-bangkok", "ap-beijing", "ap-chengdu", "ap-chongqing", "ap-guangzhou",
		"ap-hongkong", "ap-jakarta", "ap-nanjing", "ap-seoul", "ap-shanghai"}
	for name, readRegions := range map[string][]string{
		"one region":  slices.Repeat([]string{testRegion}, 10),
		"ten regions": regions,
	} {
		t.Run(name, func(t *testing.T) {
			inventory := map[string][]emulator.Instance{}
			for i, region := range readRegions {
				inventory[region] = emulator.GenerateInstances(3000, int64(i)+3)
			}
			s := startEmulator(t, emulator.Config{Regions: inventory, RateLimit: limit})
			c := newClient(t, s.URL(), func(c *Config) { c.RateLimit = limit })
			var wg sync.WaitGroup
			errs := make(chan error, len(readRegions))
			for _, region := range readRegions {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res, err := c.DescribeInstancesStatus(context.Background(), region, nil)
					if err == nil && len(res.Instances) != len(inventory[region]) {
						err = fmt.Errorf("%s: got %d instances, want %d", region, len(res.Instances), len(inventory[region]))
					}
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			st := s.Stats()
			if want := int64(10 * ListingRequests(3000)); st.Throttled != 0 || st.Requests != want {
				t.Fatalf("requests = %d, throttled = %d; want %d requests and none throttled", st.Requests, st.Throttled, want)
			}
		})
	}
}

func TestRetryableFaultsAreSurvived(t *testing.T) {
	faults := map[string]emulator.Faults{
		"RequestLimitExceeded": {Errors: map[string]float64{"RequestLimitExceeded": 0.4}},
		"InternalError":        {Errors: map[string]float64{"InternalError": 0.4}},
		"InternalServerError":  {Errors: map[string]float64{"InternalServerError": 0.4}},
		"ServiceUnavailable":   {Errors: map[string]float64{"ServiceUnavailable": 0.4}},
		"HTTP502":              {HTTP502: 0.4},
		"HTTP504":              {HTTP504: 0.4},
		"ConnectionReset":      {Reset: 0.4},
		"TruncatedBody":        {Truncate: 0.4},
		"SlowerThanTimeout":    {Slow: 0.3, SlowDelay: emulator.Duration(2 * time.Second)},
	}
	instances := emulator.GenerateInstances(950, 11)
	for name, f := range faults {
		t.Run(name, func(t *testing.T) {
			s := startEmulator(t, emulator.Config{Regions: regionOf(instances), Seed: 42})
			if err := s.SetFaults(f); err != nil {
				t.Fatal(err)
			}
			c := newClient(t, s.URL(), func(c *Config) { c.RequestTimeout = 300 * time.Millisecond; c.MaxRetries = new(20) })
			for range 3 {
				res, err := c.DescribeInstancesStatus(context.Background(), testRegion, nil)
				if err != nil {
					t.Fatalf("read failed despite retries: %v", err)
				}
				if !reflect.DeepEqual(res.Instances, truth(instances)) {
					t.Fatalf("read returned %d instances, not the exact %d", len(res.Instances), len(instances))
				}
			}
			if st := s.Stats(); st.Requests <= 30 {
				t.Fatalf("only %d requests for 3 reads of 10 pages: the fault was never injected", st.Requests)
			}
		})
	}
}

func TestNonRetryableErrorsSurfaceAtOnce(t *testing.T) {
	cases := []struct {
		name  string
		setup func(*emulator.Server, *Config)
		code  string
	}{
		{"wrong secret key", func(_ *emulator.Server, c *Config) {
			c.Credentials = staticKey{tcapi.Credential{SecretID: testSecretID, SecretKey: "wrong"}}
		}, "AuthFailure.SignatureFailure"},
		{"unknown secret id", func(_ *emulator.Server, c *Config) {
			c.Credentials = staticKey{tcapi.Credential{SecretID: "AKIDunknown", SecretKey: testSecretKey}}
		}, "AuthFailure.SecretIdNotFound"},
		{"clock skew", func(s *emulator.Server, _ *Config) { s.SetClockOffset(10 * time.Minute) }, "AuthFailure.SignatureExpire"},
		{"token on a permanent key", func(_ *emulator.Server, c *Config) {
			c.Credentials = staticKey{tcapi.Credential{SecretID: testSecretID, SecretKey: testSecretKey, Token: "bogus"}}
		}, "AuthFailure.TokenFailure"},
		{"unsupported region", func(_ *emulator.Server, _ *Config) {}, "UnsupportedRegion"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startEmulator(t, emulator.Config{Regions: regionOf(emulator.GenerateInstances(5, 1))})
			c := newClient(t, s.URL(), func(c *Config) { tc.setup(s, c) })
			region := testRegion
			if tc.code == "UnsupportedRegion" {
				region = "xx-nowhere"
			}
			_, err := c.DescribeInstancesStatus(context.Background(), region, nil)
			var apiErr *tcapi.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want an *tcapi.APIError", err)
			}
			if apiErr.Code != tc.code || apiErr.Cause != tcapi.CauseService || apiErr.RequestID == "" || apiErr.Attempts != 1 {
				t.Fatalf("got code %q (cause %d), RequestId %q, %d attempts; want %s, a RequestId and 1 attempt",
					apiErr.Code, apiErr.Cause, apiErr.RequestID, apiErr.Attempts, tc.code)
			}
			if s.Stats().Requests != 1 {
				t.Fatalf("%d requests; a non-retryable error must not be retried", s.Stats().Requests)
			}
		})
	}
}

func TestThrottlingBeyondRetriesNamesTheFix(t *testing.T) {
	s := startEmulator(t, emulator.Config{Regions: regionOf(emulator.GenerateInstances(5, 1))})
	if err := s.SetFaults(emulator.Faults{Errors: map[string]float64{"RequestLimitExceeded": 1}}); err != nil {
		t.Fatal(err)
	}
	_, err := newClient(t, s.URL(), func(c *Config) { c.MaxRetries = new(3) }).DescribeInstancesStatus(context.Background(), testRegion, nil)
	var apiErr *tcapi.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "RequestLimitExceeded" || apiErr.Attempts != 4 {
		t.Fatalf("err = %v; want RequestLimitExceeded after 4 attempts", err)
	}
	if s.Stats().Requests != 4 {
		t.Fatalf("%d requests, want 1 + 3 retries", s.Stats().Requests)
	}
}

func TestCancellationStopsTheRead(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s := startEmulator(t, emulator.Config{Regions: regionOf(emulator.GenerateInstances(2000, 1)), Latency: 30 * time.Second})
	c := newClient(t, s.URL())
	defer c.cfg.HTTPClient.CloseIdleConnections()
	defer func() { _ = s.Close() }()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.DescribeInstancesStatus(ctx, testRegion, nil)
		done <- err
	}()
	for s.Stats().Requests == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the read went on after its context was cancelled")
	}
}

// A read whose context is already over sends nothing and fails: it must
// never pass as a read that found nothing, which a wait would take for
// instances that are gone.
func TestReadCancelledBeforeItStartsFails(t *testing.T) {
	t.Parallel()
	s := startEmulator(t, emulator.Config{Regions: regionOf([]emulator.Instance{{InstanceId: "ins-aaaaaaaa", InstanceState: "RUNNING"}})})
	c := newClient(t, s.URL())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for name, ids := range map[string][]string{"by ID": {"ins-aaaaaaaa"}, "listing": nil} {
		res, err := c.DescribeInstancesStatus(ctx, testRegion, ids)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: result %+v, err = %v; want context.Canceled", name, res, err)
		}
	}
	if n := s.Stats().Requests; n != 0 {
		t.Errorf("%d requests sent after the context ended", n)
	}
}

// A throttled request is sent again when the limiter allows, not after the
// exponential backoff meant for failures: against a service that allows
// fewer requests than the client is configured for, a read whose backoff
// would be an hour still completes, at the service's rate.
func TestThrottledRequestsAreNotBackedOff(t *testing.T) {
	instances := emulator.GenerateInstances(3000, 11)
	s := startEmulator(t, emulator.Config{Regions: regionOf(instances), RateLimit: 20})
	c := newClient(t, s.URL(), func(c *Config) {
		c.RateLimit = 200
		c.RetryBaseDelay, c.RetryMaxDelay = time.Hour, time.Hour
	})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	res, err := c.DescribeInstancesStatus(ctx, testRegion, nil)
	if err != nil {
		t.Fatalf("the read failed (%v); throttled requests must be retried at the limiter's pace", err)
	}
	if !reflect.DeepEqual(res.Instances, truth(instances)) {
		t.Fatalf("listed %d instances, want the %d seeded", len(res.Instances), len(instances))
	}
	if st := s.Stats(); st.Throttled == 0 {
		t.Fatalf("the service throttled nothing in %d requests: the test did not test throttling", st.Requests)
	}
}
