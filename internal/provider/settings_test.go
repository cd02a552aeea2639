package provider

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
)

// The configuration beats the environment, the environment beats the
// default, and "~" is the HOME the environment gives.
func TestSettingsPrecedence(t *testing.T) {
	t.Parallel()
	env := mapEnv(map[string]string{
		"HOME": "/home/ci", EnvRegion: "ap-beijing", EnvRateLimit: "7.5", EnvMaxRetries: "0",
		EnvRequestTimeout: "90s", EnvSecretID: "AKIDenv", EnvSecretKey: "env-key",
	})
	cfg := providerModel{} // every attribute null
	cfg.Region = types.StringValue("ap-shanghai")
	var diags diag.Diagnostics
	s := settingsFrom(cfg, env, &diags)
	if diags.HasError() {
		t.Fatal(diags)
	}
	if s.region != "ap-shanghai" || s.rateLimit != 7.5 || s.maxRetries != 0 || s.requestTimeout != 90*time.Second {
		t.Errorf("region %q, rate %v, retries %d, timeout %s", s.region, s.rateLimit, s.maxRetries, s.requestTimeout)
	}
	if s.creds.secretID != "AKIDenv" || s.creds.sharedDir != filepath.Join("/home/ci", ".tccli") || s.creds.profileExplicit {
		t.Errorf("credentials %+v", s.creds)
	}

	s = settingsFrom(providerModel{}, mapEnv(map[string]string{"HOME": "/h"}), &diags)
	if s.region != "" || s.rateLimit != cvm.DefaultRateLimit || s.maxRetries != cvm.DefaultMaxRetries || s.requestTimeout != cvm.DefaultRequestTimeout ||
		s.endpoint != cvm.DefaultEndpoint || s.creds.profile != DefaultProfile || s.identity.assumeRole != nil || s.identity.webIdentity != nil {
		t.Errorf("defaults: %+v", s)
	}
}

// A bad value from the environment is reported at the attribute it stands
// for, naming the variable.
func TestSettingsFromABadEnvironment(t *testing.T) {
	t.Parallel()
	var diags diag.Diagnostics
	settingsFrom(providerModel{}, mapEnv(map[string]string{EnvRateLimit: "fast", EnvRequestTimeout: "30"}), &diags)
	if diags.ErrorsCount() != 2 {
		t.Fatalf("%d errors, want 2: %v", diags.ErrorsCount(), diags)
	}
	text := diags[0].Detail() + diags[1].Detail()
	for _, want := range []string{EnvRateLimit + `: "fast" is not a number`, EnvRequestTimeout + `: "30" has no unit`} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in %s", want, text)
		}
	}
}

// TAT's endpoint: tat_endpoint beats its variable, which beats the CVM
// endpoint when that is a local emulator's, which beats tat.<domain>. A
// remote CVM endpoint never takes TAT with it, and a local one always does,
// so that no request leaves for the real service when the user pointed the
// provider at a local one.
func TestSettingsTATEndpoint(t *testing.T) {
	t.Parallel()
	const (
		local   = "http://127.0.0.1:9100"
		remote  = "https://cvm.ap-guangzhou.tencentcloudapi.com"
		mine    = "https://tat.example.com"
		envTAT  = "https://tat-env.example.com"
		woaTAT  = "https://tat.tencentcloudapi.woa.com"
		realTAT = "https://tat.tencentcloudapi.com"
	)
	for _, tc := range []struct {
		name          string
		endpoint, tat string // configured; "" for null
		env           map[string]string
		want          string
	}{
		{name: "default", want: realTAT},
		{name: "domain from the environment", env: map[string]string{EnvDomain: "tencentcloudapi.woa.com"}, want: woaTAT},
		{name: "HTTP protocol with a local endpoint", endpoint: local, env: map[string]string{EnvProtocol: "http"}, want: local},
		{name: "local endpoint", endpoint: local, want: local},
		{name: "local endpoint from the environment", env: map[string]string{EnvEndpoint: "http://localhost:9100"}, want: "http://localhost:9100"},
		{name: "local IPv6 endpoint over https", endpoint: "https://[::1]:9443", want: "https://[::1]:9443"},
		{name: "local endpoint elsewhere in 127/8", endpoint: "http://127.3.2.1:9100/api", want: "http://127.3.2.1:9100/api"},
		{name: "local endpoint beats domain", endpoint: local, env: map[string]string{EnvDomain: "tencentcloudapi.woa.com"}, want: local},
		{name: "remote endpoint", endpoint: remote, want: realTAT},
		{name: "remote endpoint and a domain", endpoint: remote, env: map[string]string{EnvDomain: "tencentcloudapi.woa.com"}, want: woaTAT},
		{name: "a name that starts like loopback is remote", endpoint: "https://127.0.0.1.nip.io:9100", want: realTAT},
		{name: "a name that starts like localhost is remote", endpoint: "https://localhost.example.com", want: realTAT},
		{name: "tat_endpoint beats a local endpoint", endpoint: local, tat: mine, want: mine},
		{name: "the variable beats a local endpoint", endpoint: local, env: map[string]string{EnvTATEndpoint: envTAT}, want: envTAT},
		{name: "tat_endpoint beats the variable", tat: mine, env: map[string]string{EnvTATEndpoint: envTAT}, want: mine},
		{name: "tat_endpoint beats domain", tat: mine, env: map[string]string{EnvDomain: "tencentcloudapi.woa.com"}, want: mine},
		{name: "a local tat_endpoint with a remote endpoint", endpoint: remote, tat: local, want: local},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := providerModel{Endpoint: types.StringNull(), TATEndpoint: types.StringNull()}
			if tc.endpoint != "" {
				cfg.Endpoint = types.StringValue(tc.endpoint)
			}
			if tc.tat != "" {
				cfg.TATEndpoint = types.StringValue(tc.tat)
			}
			var diags diag.Diagnostics
			s := settingsFrom(cfg, mapEnv(tc.env), &diags)
			if diags.HasError() {
				t.Fatal(diags)
			}
			if s.tatEndpoint != tc.want {
				t.Errorf("TAT endpoint %q, want %q", s.tatEndpoint, tc.want)
			}
		})
	}
}

// A TAT endpoint the client would refuse is reported at tat_endpoint,
// naming where it came from; one built from domain and protocol is
// reported once, at endpoint, when the CVM endpoint was built from them too.
func TestSettingsBadTATEndpoint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		endpoint string
		tat      string
		env      map[string]string
		attr     string
		want     []string
	}{
		{name: "from the environment", env: map[string]string{EnvTATEndpoint: "http://10.0.0.8:9100"},
			attr: "tat_endpoint", want: []string{"The TAT endpoint (from " + EnvTATEndpoint + ")", "not a loopback address"}},
		{name: "configured", tat: "ftp://127.0.0.1:9100",
			attr: "tat_endpoint", want: []string{"from the provider configuration", `unsupported scheme "ftp"`}},
		{name: "credentials in it", env: map[string]string{EnvTATEndpoint: "https://AKIDx:hunter2@tat.tencentcloudapi.com"},
			attr: "tat_endpoint", want: []string{"user information", "secret_id/secret_key"}},
		{name: "HTTP to a remote domain beside a remote endpoint", endpoint: "https://cvm.tencentcloudapi.com", env: map[string]string{EnvProtocol: "HTTP"},
			attr: "tat_endpoint", want: []string{"neither tat_endpoint nor " + EnvTATEndpoint + " is set", `"http://tat.tencentcloudapi.com"`, "not a loopback address"}},
		{name: "HTTP to a remote domain for both", env: map[string]string{EnvProtocol: "HTTP"},
			attr: "endpoint", want: []string{"The CVM endpoint (from domain and protocol)", "not a loopback address"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := providerModel{Endpoint: types.StringNull(), TATEndpoint: types.StringNull()}
			if tc.endpoint != "" {
				cfg.Endpoint = types.StringValue(tc.endpoint)
			}
			if tc.tat != "" {
				cfg.TATEndpoint = types.StringValue(tc.tat)
			}
			var diags diag.Diagnostics
			settingsFrom(cfg, mapEnv(tc.env), &diags)
			if diags.ErrorsCount() != 1 {
				t.Fatalf("%d errors, want 1: %v", diags.ErrorsCount(), diags)
			}
			d, ok := diags[0].(diag.DiagnosticWithPath)
			if !ok || d.Path().String() != tc.attr {
				t.Errorf("the error is not attached to %s: %v", tc.attr, diags[0])
			}
			for _, w := range tc.want {
				if !strings.Contains(diags[0].Detail(), w) {
					t.Errorf("the error does not say %q: %s", w, diags[0].Detail())
				}
			}
			if strings.Contains(diags[0].Detail(), "hunter2") {
				t.Errorf("the error repeats the secret: %s", diags[0].Detail())
			}
		})
	}
}
