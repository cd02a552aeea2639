package credentials

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// A profile is read as tccli writes it; what is wrong with a broken one is
// said with the file's name.
func TestLoadProfile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "default.credential"), `{"secretId": "AKIDprofile", "secretKey": "profile-key"}`)
	writeFile(t, filepath.Join(dir, "default.configure"), `{"_sys_param": {"region": "ap-shanghai", "output": "json"}}`)
	writeFile(t, filepath.Join(dir, "ops.credential"), `{"secretId": "AKIDops", "secretKey": "ops-key", "token": "ops-token"}`)
	writeFile(t, filepath.Join(dir, "broken.credential"), `{"secretId": "AKID`)
	writeFile(t, filepath.Join(dir, "half.credential"), `{"secretId": "AKIDhalf"}`)
	if err := os.Mkdir(filepath.Join(dir, "dir.credential"), 0o700); err != nil {
		t.Fatal(err)
	}
	p, found, err := LoadProfile(dir, "default")
	if err != nil || !found || p.SecretID != "AKIDprofile" || p.Region != "ap-shanghai" {
		t.Fatalf("default: %+v, found %v, err %v", p, found, err)
	}
	p, found, err = LoadProfile(dir, "ops")
	if err != nil || !found || p.Token != "ops-token" || p.Region != "" || p.Type != ProfileKeys {
		t.Fatalf("ops: %+v, found %v, err %v", p, found, err)
	}
	// As tccli writes them: indented, sorted keys, no trailing newline; the
	// official provider trims the values.
	writeFile(t, filepath.Join(dir, "role.credential"), "{\n    \"role-arn\": \" qcs::cam::uin/100000000001:roleName/deployer \",\n    \"role-session-name\": \"ci\",\n    \"secretId\": \"AKIDrole \",\n    \"secretKey\": \"role-key\",\n    \"type\": \"default\"\n}")
	writeFile(t, filepath.Join(dir, "vm.credential"), `{"type": "cvm-role"}`)
	writeFile(t, filepath.Join(dir, "login.credential"), `{"expiresAt": 1900000000, "oauth": {"accessToken": "x"}, "secretId": "AKIDtmp", "secretKey": "k", "token": "t", "type": "oauth"}`)
	p, _, err = LoadProfile(dir, "role")
	if err != nil || p.RoleARN != "qcs::cam::uin/100000000001:roleName/deployer" || p.RoleSessionName != "ci" || p.SecretID != "AKIDrole" {
		t.Fatalf("role: %+v, err %v", p, err)
	}
	if p, _, err = LoadProfile(dir, "vm"); err != nil || p.Type != ProfileCVMRole {
		t.Fatalf("cvm-role: %+v, err %v", p, err)
	}
	if p, _, err = LoadProfile(dir, "login"); err != nil || p.Type != ProfileOAuth || p.ExpiresAt.Unix() != 1900000000 || p.Token != "t" {
		t.Fatalf("oauth: %+v, err %v", p, err)
	}
	writeFile(t, filepath.Join(dir, "strange.credential"), `{"secretId": "AKIDx", "secretKey": "k", "type": "saml-cache"}`)
	writeFile(t, filepath.Join(dir, "extra.credential"), `{"secretId": "AKIDx", "secretKey": "k", "role-duration": "3600"}`)
	writeFile(t, filepath.Join(dir, "noexpiry.credential"), `{"secretId": "AKIDx", "secretKey": "k", "token": "t", "type": "sso"}`)
	if _, found, err := LoadProfile(dir, "nope"); found || err != nil {
		t.Fatalf("a missing profile: found %v, err %v; want neither", found, err)
	}
	for name, want := range map[string][]string{
		"broken":   {"broken.credential", "not valid JSON"},
		"half":     {"half.credential", "secretKey"},
		"dir":      {"cannot read", "dir.credential"},
		"strange":  {"strange.credential", `type "saml-cache"`, "refused"},
		"extra":    {"extra.credential", `"role-duration"`, "half-read"},
		"noexpiry": {"noexpiry.credential", "expiresAt", "log in again"},
	} {
		_, _, err := LoadProfile(dir, name)
		for _, w := range want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %v does not mention %q", name, err, w)
			}
		}
	}
}

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
