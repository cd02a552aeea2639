package provider

import (
	"context"
	"encoding/json"
	"fmt"
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
	New("test")().Schema(t.Context(), provider.SchemaRequest{}, &resp)
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
// identity token, a SAML assertion and an MFA code, each through a run of
// its own. None reaches a log line, the plan or the state, nor does any
// temporary key STS hands out. (One run with three provider aliases would
// not do: the in-process test harness serves every alias from one provider
// server, where the last one configured wins; real Terraform starts a
// process per alias.)
//
// Not parallel either: TF_LOG and TF_ACC_LOG_PATH are the process's.
func TestAccSecretsOfFederatedSignIns(t *testing.T) {
	needsEmulator(t)
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

	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_LOG_PROVIDER", "TRACE")
	// The secrets reach Terraform as sensitive variables from the process
	// environment: a literal in the configuration would be in the test
	// harness's own log of the files it writes.
	t.Setenv("TF_VAR_web_token", token)
	t.Setenv("TF_VAR_saml_assertion", assertion)
	t.Setenv("TF_VAR_secret_key", secretsBaseKey)
	endpoints := fmt.Sprintf("endpoint = %q\n  sts_endpoint = %q\n  region = %q", e.URL, e.URL, DefaultRegion)
	for _, run := range []struct{ name, action, variable, block string }{
		{"web identity", "AssumeRoleWithWebIdentity", "web_token", fmt.Sprintf(`assume_role_with_web_identity {
    provider_id        = "ci"
    web_identity_token = var.web_token
    role_arn           = %q
  }`, idRole)},
		{"SAML", "AssumeRoleWithSAML", "saml_assertion", fmt.Sprintf(`assume_role_with_saml {
    saml_assertion = var.saml_assertion
    principal_arn  = %q
    role_arn       = %q
  }`, idp.Provider.PrincipalArn, idRole)},
		{"MFA session", "GetSessionToken", "mfa_code", fmt.Sprintf(`secret_id  = %q
  secret_key = var.secret_key
  mfa_certification {
    serial_number = %q
    token_code    = var.mfa_code
  }`, secretsBaseID, serial)},
	} {
		// A code is good once and each terraform command signs in again:
		// each provider process gets the device's next code.
		device := &mfaDevice{emu: e.Server, secret: idTOTP}
		fs := factories(t)
		if run.variable == "mfa_code" {
			fs = device.perProcess(fs, func(code string) { t.Setenv("TF_VAR_mfa_code", code) })
		}
		logFile := filepath.Join(t.TempDir(), "acc.log")
		t.Setenv("TF_ACC_LOG_PATH", logFile)
		config := requiredProviders + fmt.Sprintf(`
variable %q {
  type      = string
  sensitive = true
}
variable "secret_key" {
  type      = string
  sensitive = true
}
provider "cvm" {
  %s
  %s
}
data "cvm_instances_status" "test" {
  instance_ids = ["ins-aaaaaaaa"]
}
`, run.variable, endpoints, run.block)
		// What the provider puts in a plan: its values and changes. A plan
		// file also holds the variables as given, which are the user's.
		var mu sync.Mutex
		var kept []string
		k := keep{mu: &mu, into: &kept}
		before := e.Stats().ByAction[run.action]
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: fs,
			Steps: []resource.TestStep{{
				Config:            config,
				ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{providerOutput{k}}},
				ConfigStateChecks: []statecheck.StateCheck{k},
			}},
		})
		if e.Stats().ByAction[run.action] == before {
			t.Fatalf("%s: %s was not called", run.name, run.action)
		}
		logs, err := os.ReadFile(logFile)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(logs), "CVM API request") {
			t.Fatalf("%s: the log (%d bytes) lacks the provider's TRACE lines", run.name, len(logs))
		}
		for i, text := range append([]string{string(logs)}, kept...) {
			where := run.name + ": the TF_ACC_LOG_PATH log"
			if i > 0 {
				where = fmt.Sprintf("%s: plan or state JSON #%d", run.name, i)
			}
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
}

// providerOutput keeps the parts of a plan the provider writes: planned and
// prior values and the changes, not the variables and configuration the
// user gave.
type providerOutput struct{ keep }

func (p providerOutput) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, _ *plancheck.CheckPlanResponse) {
	p.save(map[string]any{
		"planned_values": req.Plan.PlannedValues, "prior_state": req.Plan.PriorState,
		"resource_changes": req.Plan.ResourceChanges, "output_changes": req.Plan.OutputChanges,
	})
}
