package credentials

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

func TestCredentialNeverPrintsSecrets(t *testing.T) {
	c := tcapi.Credential{SecretID: "AKIDvisible", SecretKey: "super-secret-key", Token: "super-secret-token"}
	for _, s := range []string{c.String(), c.GoString()} {
		if strings.Contains(s, "super-secret") || !strings.Contains(s, "AKIDvisible") {
			t.Fatalf("%q must show the ID and hide the key and token", s)
		}
	}
}

func TestRefreshingSourceRefreshesBeforeExpiry(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	var fetches int
	src := &refreshingSource{name: "test", now: func() time.Time { return now }}
	src.fetch = func(context.Context) (tcapi.Credential, error) {
		fetches++
		return tcapi.Credential{SecretID: "AKIDtmp", SecretKey: "k", Token: "t", Expiration: now.Add(time.Hour)}, nil
	}
	get := func() {
		if _, err := src.Credential(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	get()
	now = now.Add(50 * time.Minute)
	get()
	if fetches != 1 {
		t.Fatalf("fetched %d times within the credential's life, want 1", fetches)
	}
	now = now.Add(6 * time.Minute) // 4 minutes before expiry: inside the 5-minute margin
	get()
	if fetches != 2 {
		t.Fatalf("fetched %d times; the credential must be replaced 5 minutes before it expires", fetches)
	}
	cur, err := src.Credential(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	src.InvalidateIf(cur)
	get()
	if fetches != 3 {
		t.Fatalf("fetched %d times; InvalidateIf of the current credential must force a fetch", fetches)
	}
}

// countingTransport counts requests by path prefix.
type countingTransport struct {
	prefix string
	n      atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasPrefix(r.URL.Path, c.prefix) {
		c.n.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestCAMRoleCredentialsAreUsedAndRefreshedWhenRevoked(t *testing.T) {
	instances := emulator.GenerateInstances(150, 2)
	s := startEmulator(t, emulator.Config{Regions: regionOf(instances)})
	meta := &countingTransport{prefix: "/latest/meta-data/"}
	hc := &http.Client{Transport: meta}
	src := CAMRoleCredentials("emulator-cvm-role", s.URL(), hc, nil)
	c := newTestClient(t, s, func(c *readerConfig) { c.Credentials = src })

	if _, err := c.DescribeInstancesStatus(context.Background(), testRegion, nil); err != nil {
		t.Fatal(err)
	}
	s.RevokeTemporaryCredentials()
	res, err := c.DescribeInstancesStatus(context.Background(), testRegion, nil)
	if err != nil {
		t.Fatalf("a revoked role credential must be replaced, not fail the read: %v", err)
	}
	if len(res.Instances) != len(instances) {
		t.Fatalf("got %d instances, want %d", len(res.Instances), len(instances))
	}
	if meta.n.Load() != 2 {
		t.Fatalf("metadata was asked %d times, want 2 (once at start, once after the revocation)", meta.n.Load())
	}
}

func TestCAMRoleUnknownRole(t *testing.T) {
	s := startEmulator(t, emulator.Config{})
	c := newTestClient(t, s, func(c *readerConfig) {
		c.Credentials = CAMRoleCredentials("no-such-role", s.URL(), http.DefaultClient, nil)
	})
	_, err := c.DescribeInstancesStatus(context.Background(), testRegion, nil)
	var credErr *tcapi.CredentialError
	if !errors.As(err, &credErr) || !strings.Contains(err.Error(), "no-such-role") || s.Stats().Requests != 0 {
		t.Fatalf("err = %v; want a CredentialError naming the role, before any CVM request", err)
	}
}

func TestAssumeRoleOnTopOfBaseCredential(t *testing.T) {
	instances := emulator.GenerateInstances(120, 4)
	s := startEmulator(t, emulator.Config{Regions: regionOf(instances)})
	c := newTestClient(t, s, func(c *readerConfig) {
		c.STSEndpoint = s.URL()
		c.AssumeRole = &AssumeRole{RoleARN: "qcs::cam::uin/100000000001:roleName/reader", SessionName: "test", DurationSeconds: 3600}
	})
	for range 2 {
		res, err := c.DescribeInstancesStatus(context.Background(), testRegion, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Instances) != len(instances) {
			t.Fatalf("got %d instances, want %d", len(res.Instances), len(instances))
		}
	}
	st := s.Stats()
	if st.ByAction["AssumeRole"] != 1 || st.ByAction["DescribeInstancesStatus"] != 4 {
		t.Fatalf("by action = %v; want one AssumeRole reused by 4 reads", st.ByAction)
	}

	s.RevokeTemporaryCredentials()
	if _, err := c.DescribeInstancesStatus(context.Background(), testRegion, nil); err != nil {
		t.Fatalf("a revoked assumed-role credential must be replaced: %v", err)
	}
	if got := s.Stats().ByAction["AssumeRole"]; got != 2 {
		t.Fatalf("AssumeRole called %d times, want 2", got)
	}
}

func TestAssumeRoleRejected(t *testing.T) {
	s := startEmulator(t, emulator.Config{})
	c := newTestClient(t, s, func(c *readerConfig) {
		c.STSEndpoint = s.URL()
		c.AssumeRole = &AssumeRole{RoleARN: "not-an-arn", SessionName: "test"}
	})
	_, err := c.DescribeInstancesStatus(context.Background(), testRegion, nil)
	var credErr *tcapi.CredentialError
	if !errors.As(err, &credErr) || !strings.Contains(err.Error(), "InvalidParameter") {
		t.Fatalf("err = %v; want a credential error carrying STS's InvalidParameter", err)
	}
}
