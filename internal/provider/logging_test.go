package provider

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
)

// configure runs Configure on p with the provider block cfg and fails the
// test on an error.
func configure(t *testing.T, p *CVMProvider, cfg map[string]any) {
	t.Helper()
	var sch provider.SchemaResponse
	p.Schema(t.Context(), provider.SchemaRequest{}, &sch)
	raw := toValue(t, sch.Schema.Type().TerraformType(t.Context()), cfg)
	var resp provider.ConfigureResponse
	p.Configure(t.Context(), provider.ConfigureRequest{Config: tfsdk.Config{Raw: raw, Schema: sch.Schema}}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatalf("configure: %v", resp.Diagnostics)
	}
}

// Whatever the client logs, through the logger Configure hands it, no
// secret of the configuration shows: not the keys, nor a token read from a
// file, nor the tokens of the CI system, nor an MFA code or an assertion.
func TestClientLogsMaskTheSecretsOfTheConfiguration(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fileToken := jwt(`{"iss":"https://oidc.example","exp":4102444800,"sub":"read-from-the-token-file"}`)
	writeFile(t, filepath.Join(dir, "token"), fileToken)
	configToken := jwt(`{"iss":"https://oidc.example","exp":4102444800,"sub":"given-in-the-configuration"}`)
	hcpToken := jwt(`{"iss":"https://app.terraform.io","exp":4102444800,"sub":"organization:cvmkit:workspace:prod"}`)
	const (
		secretKey     = "SECRETKEY-logged-by-the-client-0001"
		securityToken = "SECURITYTOKEN-logged-by-the-client-0002"
		githubBearer  = "GITHUB-ID-TOKEN-REQUEST-TOKEN-0004"
		assertion     = "PHNhbWw+logged-by-the-client-0005"
		mfaCode       = "654321"
	)
	keys := map[string]any{"secret_id": accSecretID, "secret_key": secretKey, "security_token": securityToken}
	ci := map[string]string{EnvTFCWorkloadIdentityToken: hcpToken, EnvGitHubTokenRequestURL: "https://runner.example/token", EnvGitHubTokenRequestToken: githubBearer}
	with := func(m map[string]any, k string, v any) map[string]any {
		out := map[string]any{k: v}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	cases := []struct {
		name     string
		provider map[string]any
		env      map[string]string
		secrets  []string
	}{
		{"keys and security token", keys, nil, []string{secretKey, securityToken}},
		{"keys from the environment", map[string]any{}, map[string]string{EnvSecretID: accSecretID, EnvSecretKey: secretKey}, []string{secretKey}},
		{"assume_role with an MFA code", with(keys, "assume_role", map[string]any{"role_arn": accRole, "serial_number": "s", "token_code": mfaCode}), nil,
			[]string{secretKey, securityToken, mfaCode}},
		{"MFA session", with(keys, "mfa_certification", map[string]any{"serial_number": "s", "token_code": mfaCode}), nil, []string{secretKey, mfaCode}},
		{"web identity token", webIdentity(map[string]any{"web_identity_token": configToken}), nil, []string{configToken}},
		{"web identity token file", webIdentity(map[string]any{"web_identity_token_file": filepath.Join(dir, "token")}), ci,
			[]string{fileToken, hcpToken, githubBearer}},
		{"HCP Terraform's token", webIdentity(nil), ci, []string{hcpToken, githubBearer}},
		{"GitHub Actions' request token", webIdentity(nil), map[string]string{EnvGitHubTokenRequestURL: "https://runner.example/token", EnvGitHubTokenRequestToken: githubBearer},
			[]string{githubBearer}},
		{"SAML assertion", map[string]any{"assume_role_with_saml": map[string]any{"saml_assertion": assertion, "principal_arn": "qcs::cam::uin/1:saml-provider/corp", "role_arn": accRole}},
			nil, []string{assertion}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logger *slog.Logger
			p := newProvider("test", testEnv(t, tc.env), WithClientConfig(func(c *cvm.Config) { logger = c.Logger }))
			configure(t, p, tc.provider)

			var out bytes.Buffer
			ctx := tflogtest.RootLogger(t.Context(), &out)
			// As the client logs, whatever level is enabled: a line with
			// fields of its own and fields given before.
			for _, s := range tc.secrets {
				h := logger.Handler().WithAttrs([]slog.Attr{slog.String("given_before", "x "+s+" y")})
				r := slog.NewRecord(time.Now(), slog.LevelDebug, "CVM API request "+s, 0)
				r.AddAttrs(slog.String("field", "Bearer "+s), slog.Int("attempt", 1))
				if err := h.Handle(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			text := out.String()
			lines, err := tflogtest.MultilineJSONDecode(strings.NewReader(text))
			if err != nil {
				t.Fatal(err)
			}
			if len(lines) != len(tc.secrets) {
				t.Fatalf("%d lines logged, want %d:\n%s", len(lines), len(tc.secrets), text)
			}
			for _, s := range tc.secrets {
				if strings.Contains(text, s) {
					t.Errorf("the log shows %q:\n%s", s, text)
				}
			}
			if !strings.Contains(text, "attempt=1") || !strings.Contains(text, "***") {
				t.Errorf("the lines are not the client's, masked:\n%s", text)
			}
		})
	}
}

// The client builds its Debug lines only when a log can show them: under
// Terraform, when TF_LOG_PROVIDER (else TF_LOG) allows DEBUG; served by the
// provider itself (-debug) or in-process by the test harness, unless
// TF_LOG_PROVIDER_CVM excludes DEBUG.
func TestDebugLinesAreBuiltOnlyWhenALogCanShowThem(t *testing.T) {
	t.Parallel()
	const cookie = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
	cases := []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{pluginCookie: cookie}, false},
		{map[string]string{pluginCookie: cookie, "TF_LOG": "TRACE"}, true},
		{map[string]string{pluginCookie: cookie, "TF_LOG": "debug"}, true},
		{map[string]string{pluginCookie: cookie, "TF_LOG": "JSON"}, true},
		{map[string]string{pluginCookie: cookie, "TF_LOG": "1"}, true}, // Terraform: an unknown level is TRACE
		{map[string]string{pluginCookie: cookie, "TF_LOG": "INFO"}, false},
		{map[string]string{pluginCookie: cookie, "TF_LOG_PROVIDER": "DEBUG"}, true},
		{map[string]string{pluginCookie: cookie, "TF_LOG_PROVIDER": "WARN", "TF_LOG": "TRACE"}, false},
		{map[string]string{pluginCookie: cookie, "TF_LOG_PROVIDER": "TRACE", "TF_LOG": "ERROR"}, true},
		{map[string]string{pluginCookie: cookie, "TF_LOG": "TRACE", "TF_LOG_PROVIDER_CVM": "INFO"}, false},
		{map[string]string{pluginCookie: cookie, "TF_LOG_PROVIDER_CVM": "DEBUG"}, false}, // Terraform itself keeps nothing
		{map[string]string{pluginCookie: cookie, "TF_LOG_CORE": "TRACE"}, false},
		{map[string]string{}, true}, // -debug: the provider's own stderr, at TRACE
		{map[string]string{"TF_LOG": "TRACE", "TF_ACC_LOG_PATH": "/tmp/acc.log"}, true},
		{map[string]string{"TF_LOG_PROVIDER_CVM": "off"}, false},
		{map[string]string{"TF_LOG_PROVIDER_CVM": "DEBUG"}, true},
	}
	for _, tc := range cases {
		got := debugLogged(func(k string) string { return tc.env[k] })
		if got != tc.want {
			t.Errorf("with %v: Debug lines built = %v, want %v", tc.env, got, tc.want)
		}
		h := tflogHandler{debug: got}
		if h.Enabled(t.Context(), slog.LevelDebug) != tc.want || !h.Enabled(t.Context(), slog.LevelWarn) {
			t.Errorf("with %v: the handler's Enabled does not follow", tc.env)
		}
	}
}
