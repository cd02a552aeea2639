package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// fastRetries keeps retried failures from slowing the protocol tests down.
func fastRetries(c *cvm.Config) {
	c.RetryBaseDelay = time.Millisecond
	c.RetryMaxDelay = 5 * time.Millisecond
	c.MaxRetries = new(2)
}

// secrets gathers every secret value of a run: the configured keys, and
// everything the emulator saw or issued (Authorization headers and their
// signatures, tokens, temporary keys).
type secrets struct {
	mu     sync.Mutex
	values map[string]string // value → what it is
}

var signatureValue = regexp.MustCompile(`Signature=([0-9a-f]{64})`)

func (s *secrets) add(what, v string) {
	if len(v) < 8 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.values == nil {
		s.values = map[string]string{}
	}
	if _, known := s.values[v]; !known {
		s.values[v] = what
	}
}

func (s *secrets) request(r *http.Request) {
	if a := r.Header.Get("Authorization"); a != "" {
		s.add("an Authorization header", a)
		if m := signatureValue.FindStringSubmatch(a); m != nil {
			s.add("a signature", m[1])
		}
	}
	s.add("an X-TC-Token", r.Header.Get("X-TC-Token"))
}

// answer records the temporary credentials STS and the metadata service hand out.
func (s *secrets) answer(r *http.Request, body []byte) {
	var a struct {
		Response struct {
			Credentials struct{ Token, TmpSecretKey string }
		}
		Token, TmpSecretKey string
	}
	if json.Unmarshal(body, &a) != nil {
		return
	}
	s.add("a temporary secret key", a.Response.Credentials.TmpSecretKey)
	s.add("a temporary token", a.Response.Credentials.Token)
	s.add("a temporary secret key", a.TmpSecretKey)
	s.add("a temporary token", a.Token)
}

func (s *secrets) count(prefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, what := range s.values {
		if strings.HasPrefix(what, prefix) {
			n++
		}
	}
	return n
}

func (s *secrets) findIn(t *testing.T, where, text string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for v, what := range s.values {
		if strings.Contains(text, v) {
			t.Errorf("%s contains %s", where, what)
		}
	}
}

// keep is a plan and state check that keeps the JSON it was given.
type keep struct {
	mu   *sync.Mutex
	into *[]string
}

func (k keep) save(v any) {
	b, _ := json.Marshal(v)
	k.mu.Lock()
	*k.into = append(*k.into, string(b))
	k.mu.Unlock()
}

func (k keep) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, _ *plancheck.CheckPlanResponse) {
	k.save(req.Plan)
}

func (k keep) CheckState(_ context.Context, req statecheck.CheckStateRequest, _ *statecheck.CheckStateResponse) {
	k.save(req.State)
}

const (
	secretsBaseID    = "AKIDsecretsbase00000000000000000001"
	secretsBaseKey   = "SECRETKEY-base-must-never-be-seen-0003"
	secretsBaseToken = "SECURITYTOKEN-base-must-never-be-seen-0004-abcdefghijklmnopqrstuvwxyz"
)

// An acceptance run with TF_LOG=TRACE and TF_LOG_PROVIDER=TRACE on
// assumed-role credentials (assumed with a static key and a security
// token), revoked in the middle of a read: no log line, plan or state
// holds a key, a token, a temporary secret, a signature or an
// Authorization header. (The built binary under terraform, with its plan
// and state files, is internal/e2e's TestAccSecretsStayOutOfLogsPlansAndState.)
//
// It cannot run in parallel: terraform-plugin-testing reads TF_LOG and
// TF_ACC_LOG_PATH from the process environment.
func TestAccSecretsWithAssumedRole(t *testing.T) {
	needsEmulator(t)
	var found secrets
	found.add("the secret key", secretsBaseKey)
	found.add("the security token", secretsBaseToken)
	var cvmRequests atomic.Int64
	revoke := func() {}
	e := emutest.Start(t, emulator.Config{
		Credentials: []emulator.Credential{{SecretID: secretsBaseID, SecretKey: secretsBaseKey, Token: secretsBaseToken}},
		Regions:     seeded(append(emulator.GenerateInstances(150, 31), inst("ins-aaaaaaaa", "RUNNING"))...),
	}, emutest.Options{OnRequest: func(_ int64, r *http.Request) {
		found.request(r)
		// Revoke the assumed role's credentials in the middle of the first
		// read: the provider must fetch new ones and go on.
		if r.Header.Get("X-TC-Action") == "DescribeInstancesStatus" && cvmRequests.Add(1) == 2 {
			revoke()
		}
	}, OnAnswer: found.answer})
	revoke = e.RevokeTemporaryCredentials

	logFile := filepath.Join(t.TempDir(), "acc.log")
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_LOG_PROVIDER", "TRACE")
	t.Setenv("TF_ACC_LOG_PATH", logFile)
	env := testEnv(t, map[string]string{EnvSecretID: secretsBaseID, EnvSecretKey: secretsBaseKey, EnvSecurityToken: secretsBaseToken, EnvEndpoint: e.URL, EnvSTSEndpoint: e.URL})

	var mu sync.Mutex
	var kept []string
	k := keep{mu: &mu, into: &kept}
	config := requiredProviders + `
provider "cvm" {
  assume_role {
    role_arn         = "qcs::cam::uin/100000000001:roleName/reader"
    session_duration = 900
  }
}
data "cvm_instances_status" "test" {}
data "cvm_instances_status" "one" {
  instance_ids = ["ins-aaaaaaaa"]
}
`
	step := func() resource.TestStep {
		return resource.TestStep{
			Config:            config,
			ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{k}, PostApplyPostRefresh: []plancheck.PlanCheck{k}},
			ConfigStateChecks: []statecheck.StateCheck{k},
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(t, env),
		Steps:                    []resource.TestStep{step(), step()},
	})

	if got := e.Stats().ByAction["AssumeRole"]; got < 2 {
		t.Fatalf("AssumeRole called %d times; the revocation must have forced another one", got)
	}
	if found.count("a temporary") < 4 || found.count("a signature") < 6 {
		t.Fatalf("captured %d temporary secrets and %d signatures: too few to show anything", found.count("a temporary"), found.count("a signature"))
	}
	logs, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(logs), "CVM API request") || !strings.Contains(string(logs), "AuthFailure.TokenFailure") {
		t.Fatalf("the log (%d bytes) lacks the provider's TRACE lines", len(logs))
	}
	found.findIn(t, "the TF_ACC_LOG_PATH log", string(logs))
	for i, j := range kept {
		found.findIn(t, "plan or state JSON #"+string(rune('1'+i)), j)
	}
}

// Diagnostics of failed reads carry the service's codes and RequestIds but
// no credential, whichever credential signed the request.
func TestDiagnosticsCarryNoSecrets(t *testing.T) {
	t.Parallel()
	var found secrets
	found.add("the secret key", secretsBaseKey)
	found.add("the security token", secretsBaseToken)
	e := emutest.Start(t, emulator.Config{
		Credentials: []emulator.Credential{{SecretID: secretsBaseID, SecretKey: secretsBaseKey, Token: secretsBaseToken}},
		Regions:     seeded(inst("ins-aaaaaaaa", "RUNNING")),
	}, emutest.Options{OnRequest: func(_ int64, r *http.Request) { found.request(r) }, OnAnswer: found.answer})
	base := map[string]any{"endpoint": e.URL, "secret_id": secretsBaseID, "secret_key": secretsBaseKey, "security_token": secretsBaseToken}
	withRole := map[string]any{"assume_role": map[string]any{"role_arn": "qcs::cam::uin/100000000001:roleName/reader"}}
	merge := func(ms ...map[string]any) map[string]any {
		out := map[string]any{}
		for _, m := range ms {
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	}
	data := map[string]any{"instance_ids": []string{"ins-aaaaaaaa"}}
	type diagCase struct {
		name     string
		provider map[string]any
		before   func()
		want     string
	}
	cases := []diagCase{
		{"wrong secret key", merge(base, map[string]any{"secret_key": secretsBaseKey + "-wrong"}), nil, "AuthFailure.SignatureFailure"},
		{"wrong security token", merge(base, map[string]any{"security_token": secretsBaseToken + "-wrong"}), nil, "AuthFailure.TokenFailure"},
		{"assumed role, clock skew", merge(base, withRole), func() { e.SetClockOffset(10 * time.Minute) }, "AuthFailure.SignatureExpire"},
		{"assumed role, STS failing", merge(base, withRole), func() {
			e.SetClockOffset(0)
			_ = e.SetFaults(emulator.Faults{Errors: map[string]float64{"InternalError": 1}, Actions: []string{"AssumeRole"}})
		}, "InternalError"},
		{"assumed role, throttled", merge(base, withRole), func() {
			_ = e.SetFaults(emulator.Faults{Errors: map[string]float64{"RequestLimitExceeded": 1}, Actions: []string{"DescribeInstancesStatus"}})
		}, "RequestLimitExceeded"},
	}
	// Federated sign-ins that STS refuses: a token of an issuer it does not
	// trust, an assertion of another identity provider.
	stranger := emutest.NewOIDCIssuer(t, "ci")
	badToken := stranger.Token(emutest.STSAudience, "ci", time.Hour)
	badAssertion := emutest.SAMLResponse{Issuer: "https://evil.example", Roles: []string{accRole + ",qcs::cam::uin/100000000001:saml-provider/corp"},
		NotBefore: time.Now().Add(-time.Minute), NotOnOrAfter: time.Now().Add(time.Hour)}.Base64()
	found.add("the web identity token", badToken)
	found.add("the SAML assertion", badAssertion)
	endpoints := map[string]any{"endpoint": e.URL, "sts_endpoint": e.URL}
	cases = append(cases,
		diagCase{"web identity refused", merge(endpoints, map[string]any{"assume_role_with_web_identity": map[string]any{"provider_id": "ci", "role_arn": accRole, "web_identity_token": badToken}}),
			func() { _ = e.SetFaults(emulator.Faults{}) }, "InvalidParameter.WebIdentityTokenError"},
		diagCase{"SAML refused", merge(endpoints, map[string]any{"assume_role_with_saml": map[string]any{"saml_assertion": badAssertion,
			"principal_arn": "qcs::cam::uin/100000000001:saml-provider/corp", "role_arn": accRole}}), nil, "InvalidParameter"},
	)
	for _, tc := range cases {
		if tc.before != nil {
			tc.before()
		}
		out := runProtocol(t, tc.provider, data, testEnv(t, map[string]string{EnvSTSEndpoint: e.URL}), WithClientConfig(fastRetries))
		if out.stage != "read" || !strings.Contains(out.String(), tc.want) {
			t.Fatalf("%s: want a read error with %s:%s", tc.name, tc.want, out)
		}
		found.findIn(t, tc.name+": the diagnostics", out.String())
	}
	if found.count("a temporary") < 2 || found.count("a signature") < 4 {
		t.Fatalf("captured %d temporary secrets and %d signatures", found.count("a temporary"), found.count("a signature"))
	}
}

// The provider's secrets are Sensitive, so that Terraform redacts them in
// plans and output, and nothing else is; the data source has none.
func TestSecretAttributesAreSensitive(t *testing.T) {
	t.Parallel()
	var resp provider.SchemaResponse
	newProvider("test").Schema(t.Context(), provider.SchemaRequest{}, &resp)
	secret := map[string]bool{
		"secret_key": true, "security_token": true, "assume_role.token_code": true,
		"assume_role_with_web_identity.web_identity_token": true, "assume_role_with_saml.saml_assertion": true,
		"mfa_certification.token_code": true,
	}
	seen := 0
	check := func(name string, a schema.Attribute) {
		if got := a.IsSensitive(); got != secret[name] {
			t.Errorf("%s: Sensitive = %v, want %v", name, got, secret[name])
		}
		if secret[name] {
			seen++
		}
	}
	for name, a := range resp.Schema.Attributes {
		check(name, a)
	}
	for blockName, b := range resp.Schema.Blocks {
		block, ok := b.(schema.SingleNestedBlock)
		if !ok {
			t.Fatalf("%s is a %T", blockName, b)
		}
		for name, a := range block.Attributes {
			check(blockName+"."+name, a)
		}
	}
	if seen != len(secret) {
		t.Errorf("%d of the %d secret attributes exist", seen, len(secret))
	}
}

// The same at TRACE for the sign-ins that carry secrets of their own: a web
// identity token, a SAML assertion and an MFA code, each configuring a
// provider of its own through the protocol server in-process, its log kept
// at TRACE (tflogtest). None reaches a log line or the data source's state
// (what a plan and the state hold of the provider's output), nor does any
// temporary key STS hands out. That terraform itself writes no secret of
// the provider's to its TRACE log is TestAccSecretsWithAssumedRole's.
func TestSecretsOfFederatedSignIns(t *testing.T) {
	t.Parallel()
	issuer := emutest.NewOIDCIssuer(t, "ci")
	idp := emutest.NewSAMLIdP(idAccount, "corp")
	serial := emutest.MFASerial(emulator.DefaultAccountID)
	token := issuer.Token(emutest.STSAudience, "ci", time.Hour)
	assertion := idp.Assertion(idRole, time.Now().Add(-time.Minute), time.Now().Add(10*time.Minute))

	var found secrets
	found.add("the secret key", secretsBaseKey)
	found.add("the web identity token", token)
	found.add("the SAML assertion", assertion)
	e := emutest.Start(t, emulator.Config{
		Credentials: []emulator.Credential{{SecretID: secretsBaseID, SecretKey: secretsBaseKey}},
		Regions:     seeded(inst("ins-aaaaaaaa", "RUNNING")),
		Identity: emulator.Identity{
			OIDCProviders: []emulator.OIDCProvider{issuer.Provider},
			SAMLProviders: []emulator.SAMLProvider{idp.Provider},
			MFADevices:    []emulator.MFADevice{{SerialNumber: serial, TOTPSecret: idTOTP}},
		},
	}, emutest.Options{OnRequest: func(_ int64, r *http.Request) { found.request(r) }, OnAnswer: found.answer})

	device := &mfaDevice{emu: e.Server, secret: idTOTP}
	for _, run := range []struct {
		name, action string
		attrs        func() map[string]any
	}{
		{"web identity", "AssumeRoleWithWebIdentity", func() map[string]any {
			return map[string]any{"assume_role_with_web_identity": map[string]any{"provider_id": "ci", "web_identity_token": token, "role_arn": idRole}}
		}},
		{"SAML", "AssumeRoleWithSAML", func() map[string]any {
			return map[string]any{"assume_role_with_saml": map[string]any{"saml_assertion": assertion, "principal_arn": idp.Provider.PrincipalArn, "role_arn": idRole}}
		}},
		{"MFA session", "GetSessionToken", func() map[string]any {
			return map[string]any{"secret_id": secretsBaseID, "secret_key": secretsBaseKey,
				"mfa_certification": map[string]any{"serial_number": serial, "token_code": device.next()}}
		}},
	} {
		providerCfg := map[string]any{"endpoint": e.URL, "sts_endpoint": e.URL, "region": DefaultRegion}
		for k, v := range run.attrs() {
			providerCfg[k] = v
		}
		var logs bytes.Buffer
		ctx := tflogtest.RootLogger(t.Context(), &logs)
		before := e.Stats().ByAction[run.action]
		out := runProtocolWith(ctx, t, NewServer("test", testEnv(t, nil), fastClient), providerCfg, readOneData)
		if out.stage != "" {
			t.Fatalf("%s: %s failed:%s", run.name, out.stage, out)
		}
		if e.Stats().ByAction[run.action] == before {
			t.Fatalf("%s: %s was not called", run.name, run.action)
		}
		if !strings.Contains(logs.String(), "CVM API request") {
			t.Fatalf("%s: the log (%d bytes) lacks the provider's TRACE lines", run.name, logs.Len())
		}
		for i, text := range []string{logs.String(), out.state.String()} {
			where := run.name + []string{": the TRACE log", ": the state"}[i]
			found.findIn(t, where, text)
			// Six digits turn up in any log (timestamps); the codes are
			// looked for where a value would stand.
			for _, code := range device.handedOut() {
				for _, quoted := range []string{`"` + code + `"`, `=` + code, `: ` + code} {
					if strings.Contains(text, quoted) {
						t.Errorf("%s contains the MFA code", where)
					}
				}
			}
		}
	}
	if found.count("a temporary") < 3 {
		t.Fatalf("captured %d temporary secrets: too few to show anything", found.count("a temporary"))
	}
}
