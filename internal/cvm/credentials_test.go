package cvm

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
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestResolveCredentialsOrder(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "default.credential"), `{"secretId": "AKIDprofile", "secretKey": "profile-key"}`)
	writeFile(t, filepath.Join(dir, "default.configure"), `{"_sys_param": {"region": "ap-shanghai", "output": "json"}}`)
	writeFile(t, filepath.Join(dir, "ops.credential"), `{"secretId": "AKIDops", "secretKey": "ops-key", "token": "ops-token"}`)

	cases := []struct {
		name       string
		s          CredentialSettings
		wantID     string
		wantToken  string
		wantRegion string
	}{
		{"explicit keys beat the profile", CredentialSettings{SecretID: "AKIDexplicit", SecretKey: "k", SecurityToken: "tok", SharedCredentialsDir: dir}, "AKIDexplicit", "tok", ""},
		{"default profile", CredentialSettings{SharedCredentialsDir: dir}, "AKIDprofile", "", "ap-shanghai"},
		{"named profile with token", CredentialSettings{SharedCredentialsDir: dir, Profile: "ops", ProfileExplicit: true}, "AKIDops", "ops-token", ""},
		{"profile beats CAM role", CredentialSettings{SharedCredentialsDir: dir, CAMRoleName: "role"}, "AKIDprofile", "", "ap-shanghai"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src, profile, err := ResolveCredentials(tc.s)
			if err != nil {
				t.Fatal(err)
			}
			c, _ := src.Credential(context.Background())
			if c.SecretID != tc.wantID || c.Token != tc.wantToken {
				t.Fatalf("got %s with token %q, want %s with %q", c.SecretID, c.Token, tc.wantID, tc.wantToken)
			}
			region := ""
			if profile != nil {
				region = profile.Region
			}
			if region != tc.wantRegion {
				t.Fatalf("profile region = %q, want %q", region, tc.wantRegion)
			}
		})
	}

	t.Run("CAM role when nothing else", func(t *testing.T) {
		src, _, err := ResolveCredentials(CredentialSettings{SharedCredentialsDir: t.TempDir(), CAMRoleName: "deployer"})
		if err != nil || !strings.Contains(src.Name(), `CAM role "deployer"`) {
			t.Fatalf("source = %v, err = %v; want the CAM role", src, err)
		}
	})
}

func TestResolveCredentialsErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "broken.credential"), `{"secretId": "AKID`)
	writeFile(t, filepath.Join(dir, "half.credential"), `{"secretId": "AKIDhalf"}`)
	if err := os.Mkdir(filepath.Join(dir, "dir.credential"), 0o700); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		s    CredentialSettings
		want []string
	}{
		{"id without key", CredentialSettings{SecretID: "AKIDx"}, []string{"secret_key is not"}},
		{"key without id", CredentialSettings{SecretKey: "x"}, []string{"secret_id is not"}},
		{"malformed profile", CredentialSettings{SharedCredentialsDir: dir, Profile: "broken", ProfileExplicit: true}, []string{"broken.credential", "not valid JSON"}},
		{"incomplete profile", CredentialSettings{SharedCredentialsDir: dir, Profile: "half", ProfileExplicit: true}, []string{"half.credential", "secretKey"}},
		{"unreadable profile", CredentialSettings{SharedCredentialsDir: dir, Profile: "dir", ProfileExplicit: true}, []string{"cannot read", "dir.credential"}},
		{"missing named profile", CredentialSettings{SharedCredentialsDir: dir, Profile: "nope", ProfileExplicit: true}, []string{`profile "nope"`, "does not exist"}},
		{"nothing anywhere", CredentialSettings{SharedCredentialsDir: t.TempDir()}, []string{
			"TENCENTCLOUD_SECRET_ID", "secret_id", "profile", "TENCENTCLOUD_SHARED_CREDENTIALS_DIR", "cam_role_name", "TENCENTCLOUD_CAM_ROLE_NAME"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ResolveCredentials(tc.s)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestCredentialNeverPrintsSecrets(t *testing.T) {
	c := Credential{SecretID: "AKIDvisible", SecretKey: "super-secret-key", Token: "super-secret-token"}
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
	src.fetch = func(context.Context) (Credential, error) {
		fetches++
		return Credential{SecretID: "AKIDtmp", SecretKey: "k", Token: "t", Expiration: now.Add(time.Hour)}, nil
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
	c := newTestClient(t, s, func(c *Config) { c.Credentials = src })

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
	c := newTestClient(t, s, func(c *Config) {
		c.Credentials = CAMRoleCredentials("no-such-role", s.URL(), http.DefaultClient, nil)
	})
	_, err := c.DescribeInstancesStatus(context.Background(), testRegion, nil)
	var credErr *CredentialError
	if !errors.As(err, &credErr) || !strings.Contains(err.Error(), "no-such-role") || s.Stats().Requests != 0 {
		t.Fatalf("err = %v; want a CredentialError naming the role, before any CVM request", err)
	}
}

func TestAssumeRoleOnTopOfBaseCredential(t *testing.T) {
	instances := emulator.GenerateInstances(120, 4)
	s := startEmulator(t, emulator.Config{Regions: regionOf(instances)})
	c := newTestClient(t, s, func(c *Config) {
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
	c := newTestClient(t, s, func(c *Config) {
		c.STSEndpoint = s.URL()
		c.AssumeRole = &AssumeRole{RoleARN: "not-an-arn", SessionName: "test"}
	})
	_, err := c.DescribeInstancesStatus(context.Background(), testRegion, nil)
	var credErr *CredentialError
	if !errors.As(err, &credErr) || !strings.Contains(err.Error(), "InvalidParameter") {
		t.Fatalf("err = %v; want a credential error carrying STS's InvalidParameter", err)
	}
}
