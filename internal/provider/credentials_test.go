package provider

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/credentials"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// resolve is the credential chain of cs alone, as Configure finds it: the
// provider's labels and texts, the credentials package's precedence.
func resolve(cs credentialSettings) (credentials.Chain, error) {
	return (&CVMProvider{}).credentialConfig(settings{creds: cs}).Resolve()
}

func TestBaseCredentialOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "default.credential"), `{"secretId": "AKIDprofile", "secretKey": "profile-key"}`)
	writeFile(t, filepath.Join(dir, "default.configure"), `{"_sys_param": {"region": "ap-shanghai", "output": "json"}}`)
	writeFile(t, filepath.Join(dir, "ops.credential"), `{"secretId": "AKIDops", "secretKey": "ops-key", "token": "ops-token"}`)

	defaults := credentialSettings{profile: DefaultProfile, sharedDir: dir}
	with := func(f func(*credentialSettings)) credentialSettings {
		cs := defaults
		f(&cs)
		return cs
	}
	cases := []struct {
		name       string
		cs         credentialSettings
		wantID     string
		wantToken  string
		wantRegion string
	}{
		{"explicit keys beat the profile", with(func(cs *credentialSettings) {
			cs.secretID, cs.secretKey, cs.securityToken = "AKIDexplicit", "k", "tok"
		}), "AKIDexplicit", "tok", ""},
		{"default profile", defaults, "AKIDprofile", "", "ap-shanghai"},
		{"named profile with token", with(func(cs *credentialSettings) { cs.profile, cs.profileExplicit = "ops", true }), "AKIDops", "ops-token", ""},
		{"profile beats CAM role", with(func(cs *credentialSettings) { cs.camRoleName = "role" }), "AKIDprofile", "", "ap-shanghai"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ch, err := resolve(tc.cs)
			if err != nil {
				t.Fatal(err)
			}
			src, profile := ch.Base, ch.Profile
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
		ch, err := resolve(credentialSettings{profile: DefaultProfile, sharedDir: t.TempDir(), camRoleName: "deployer"})
		if err != nil || !strings.Contains(ch.Base.Name(), `CAM role "deployer"`) {
			t.Fatalf("source = %v, err = %v; want the CAM role", ch.Base, err)
		}
	})
}

func TestBaseCredentialErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "broken.credential"), `{"secretId": "AKID`)
	cases := []struct {
		name string
		cs   credentialSettings
		want []string
	}{
		{"id without key", credentialSettings{secretID: "AKIDx"}, []string{"secret_key is not", EnvSecretKey}},
		{"key without id", credentialSettings{secretKey: "x"}, []string{"secret_id is not", EnvSecretID}},
		{"malformed profile", credentialSettings{sharedDir: dir, profile: "broken", profileExplicit: true}, []string{`profile "broken"`, "broken.credential", "not valid JSON"}},
		{"missing named profile", credentialSettings{sharedDir: dir, profile: "nope", profileExplicit: true}, []string{`profile "nope"`, "does not exist"}},
		{"nothing anywhere", credentialSettings{sharedDir: t.TempDir(), profile: DefaultProfile}, []string{
			EnvSecretID, "secret_id", "profile", EnvSharedCredentials, "cam_role_name", EnvCAMRoleName}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := resolve(tc.cs)
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

// STS documents Region as required on every action, as the official
// provider sends it: the provider's region goes with every STS call, the
// region TKE names for a pod's identity, DefaultRegion when none is set.
func TestSTSCallsCarryTheRegion(t *testing.T) {
	t.Parallel()
	const role = "qcs::cam::uin/100000000001:roleName/reader"
	issuer := emutest.NewOIDCIssuer(t, "ci")
	token := filepath.Join(t.TempDir(), "token")
	writeFile(t, token, issuer.Token(emutest.STSAudience, "system:serviceaccount:default:terraform", time.Hour))
	var mu sync.Mutex
	var sent []string // action=X-TC-Region of each STS call
	e := emutest.Start(t, emulator.Config{
		Credentials: []emulator.Credential{{SecretID: accSecretID, SecretKey: accSecretKey}},
		Regions: map[string][]emulator.Instance{
			DefaultRegion: {inst("ins-aaaaaaaa", "RUNNING")}, "ap-shanghai": {inst("ins-bbbbbbbb", "RUNNING")},
		},
		Identity: emulator.Identity{OIDCProviders: []emulator.OIDCProvider{issuer.Provider}},
	}, emutest.Options{OnRequest: func(_ int64, r *http.Request) {
		if action := r.Header.Get("X-TC-Action"); action != "DescribeInstancesStatus" {
			mu.Lock()
			defer mu.Unlock()
			sent = append(sent, action+"="+r.Header.Get("X-TC-Region"))
		}
	}})
	keys := map[string]any{"endpoint": e.URL, "sts_endpoint": e.URL, "secret_id": accSecretID, "secret_key": accSecretKey}
	with := func(extra map[string]any) map[string]any {
		out := map[string]any{}
		for _, m := range []map[string]any{keys, extra} {
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		provider map[string]any
		env      map[string]string
		want     []string
	}{
		{"the provider's region", with(map[string]any{"region": "ap-shanghai", "assume_role": map[string]any{"role_arn": role},
			"allowed_account_ids": []string{emulator.DefaultAccountID}}), nil,
			[]string{"AssumeRole=ap-shanghai", "GetCallerIdentity=ap-shanghai"}},
		{"the region from the environment", with(map[string]any{"assume_role": map[string]any{"role_arn": role}}),
			map[string]string{EnvRegion: "ap-shanghai"}, []string{"AssumeRole=ap-shanghai"}},
		{"no region set", with(map[string]any{"assume_role": map[string]any{"role_arn": role}}), nil,
			[]string{"AssumeRole=" + DefaultRegion}},
		{"a TKE pod's region", map[string]any{"endpoint": e.URL, "sts_endpoint": e.URL, "region": "ap-shanghai", "enable_pod_oidc": true},
			map[string]string{EnvTKERegion: "ap-singapore", EnvTKEWebIdentityTokenFile: token, EnvTKEProviderID: "ci", EnvTKERoleARN: role},
			[]string{"AssumeRoleWithWebIdentity=ap-singapore"}},
	} {
		mu.Lock()
		sent = nil
		mu.Unlock()
		out := runProtocol(t, tc.provider, map[string]any{}, testEnv(t, tc.env), WithClientConfig(fastRetries))
		mu.Lock()
		got := strings.Join(sent, " ")
		mu.Unlock()
		if out.stage != "" || got != strings.Join(tc.want, " ") {
			t.Errorf("%s: STS calls %q, want %q; diagnostics:%s", tc.name, got, strings.Join(tc.want, " "), out)
		}
	}
}
