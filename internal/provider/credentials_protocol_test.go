package provider

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// Every way of signing in, through the provider's protocol server as
// `terraform plan` drives it (no Terraform run: what is tested here is the
// provider's, not Terraform's), each showing at the emulator which
// credential signed the reads.

const (
	idAccount = "100000000042"
	idRole    = "qcs::cam::uin/100000000042:roleName/fleet-reader"
	idTOTP    = "JBSWY3DPEHPK3PXP"
)

// identityTarget is an emulator serving instances and STS that records which
// STS action (or the metadata service) issued each temporary SecretId, and
// which SecretId signed each DescribeInstancesStatus.
type identityTarget struct {
	emu *emutest.Emulator
	mfa *mfaDevice // when set, each provider process gets its next code

	mu       sync.Mutex
	issuedBy map[string]string
	signers  []string
}

func newIdentityTarget(t *testing.T, cfg emulator.Config) *identityTarget {
	t.Helper()
	it := &identityTarget{issuedBy: map[string]string{}}
	cfg.Credentials = append(cfg.Credentials, emulator.Credential{SecretID: accSecretID, SecretKey: accSecretKey})
	cfg.Regions = seeded(inst("ins-aaaaaaaa", "RUNNING"))
	it.emu = emutest.Start(t, cfg, emutest.Options{
		OnRequest: func(_ int64, r *http.Request) {
			if r.Header.Get("X-TC-Action") != "DescribeInstancesStatus" {
				return
			}
			id, _, _ := strings.Cut(strings.TrimPrefix(r.Header.Get("Authorization"), "TC3-HMAC-SHA256 Credential="), "/")
			it.mu.Lock()
			it.signers = append(it.signers, id)
			it.mu.Unlock()
		},
		OnAnswer: func(r *http.Request, body []byte) {
			var a struct {
				Response struct {
					Credentials struct {
						TmpSecretID string `json:"TmpSecretId"`
					}
				}
				TmpSecretID string `json:"TmpSecretId"`
			}
			if json.Unmarshal(body, &a) != nil {
				return
			}
			it.mu.Lock()
			defer it.mu.Unlock()
			if id := a.Response.Credentials.TmpSecretID; id != "" {
				it.issuedBy[id] = r.Header.Get("X-TC-Action")
			}
			if a.TmpSecretID != "" {
				it.issuedBy[a.TmpSecretID] = "metadata"
			}
		},
	})
	return it
}

// provider is a provider configuration for the target with the given
// attributes and blocks, and no credential of its own.
func (it *identityTarget) provider(attrs map[string]any) map[string]any {
	cfg := map[string]any{"endpoint": it.emu.URL, "sts_endpoint": it.emu.URL, "region": DefaultRegion}
	for k, v := range attrs {
		cfg[k] = v
	}
	return cfg
}

// expectSignedBy checks that reads happened and every one was signed by a
// credential that issuer handed out ("static:<id>" for a permanent one).
func (it *identityTarget) expectSignedBy(t *testing.T, issuer string) {
	t.Helper()
	it.mu.Lock()
	defer it.mu.Unlock()
	if len(it.signers) == 0 {
		t.Fatal("nothing was read")
	}
	for _, id := range it.signers {
		got := it.issuedBy[id]
		if got == "" {
			got = "static:" + id
		}
		if got != issuer {
			t.Fatalf("a read was signed by %s, issued by %s; want every read signed by a credential from %s", id, got, issuer)
		}
	}
}

// plan configures the provider with providerCfg and reads one instance, as
// `terraform plan` would, through the provider's protocol server in-process
// (runProtocol), and checks who signed the reads. With an MFA device, the
// provider gets the device's next code, as each terraform command would.
func (it *identityTarget) plan(t *testing.T, providerCfg map[string]any, issuer string, opts ...Option) {
	t.Helper()
	if it.mfa != nil {
		it.mfa.next()
	}
	out := runProtocol(t, providerCfg, readOneData, append([]Option{fastClient}, opts...)...)
	if errs := out.errors(); len(errs) > 0 {
		t.Fatalf("%s failed:%s", out.stage, out)
	}
	it.expectSignedBy(t, issuer)
}

// readOneData is readOne's data source configuration.
var readOneData = map[string]any{"instance_ids": []string{"ins-aaaaaaaa"}}

// tccliFile writes a .credential file as tccli does: indented JSON with
// sorted keys and no trailing newline.
func tccliFile(t *testing.T, dir, name string, fields map[string]any) {
	t.Helper()
	b, err := json.MarshalIndent(fields, "", "    ")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, name), string(b))
}

func TestCredentials_profileWithRoleARN(t *testing.T) {
	t.Parallel()
	it := newIdentityTarget(t, emulator.Config{})
	dir := t.TempDir()
	tccliFile(t, dir, "ops.credential", map[string]any{
		"role-arn": " " + idRole + " ", "role-session-name": "ci", "secretId": accSecretID, "secretKey": accSecretKey, "type": "default",
	})
	it.plan(t, it.provider(map[string]any{"profile": "ops", "shared_credentials_dir": dir}), "AssumeRole")
}

func TestCredentials_profileOfTypeCVMRole(t *testing.T) {
	t.Parallel()
	it := newIdentityTarget(t, emulator.Config{})
	dir := t.TempDir()
	tccliFile(t, dir, "vm.credential", map[string]any{"type": "cvm-role"})
	it.plan(t, it.provider(map[string]any{"profile": "vm", "shared_credentials_dir": dir, "metadata_endpoint": it.emu.URL}), "metadata")
}

func TestCredentials_profileOfAnOAuthLogin(t *testing.T) {
	t.Parallel()
	it := newIdentityTarget(t, emulator.Config{Credentials: []emulator.Credential{{SecretID: "AKIDoauthlogin00000000000000000001", SecretKey: "oauth-key", Token: "oauth-token"}}})
	dir := t.TempDir()
	tccliFile(t, dir, "me.credential", map[string]any{
		"type": "oauth", "secretId": "AKIDoauthlogin00000000000000000001", "secretKey": "oauth-key", "token": "oauth-token",
		"expiresAt": time.Now().Add(time.Hour).Unix(), "oauth": map[string]any{"openId": "x", "accessToken": "y", "refreshToken": "z", "expiresAt": 0, "site": "cn"},
	})
	it.plan(t, it.provider(map[string]any{"profile": "me", "shared_credentials_dir": dir}), "static:AKIDoauthlogin00000000000000000001")
}

// mfaCode puts the code of the target's MFA device in the environment
// variable name: the code it shows when the provider process starts, a new
// one for each (a code taken when the test starts could be stale by the
// time a parallel test's plan runs, and a code is good once).
func (it *identityTarget) mfaCode(t *testing.T, name string) Option {
	t.Helper()
	it.mfa = &mfaDevice{emu: it.emu.Server, secret: idTOTP}
	env := isolatedEnv(t, nil)
	return WithEnvironment(func(k string) (string, bool) {
		if k == name {
			return it.mfa.current(), true
		}
		return env(k)
	})
}

func TestCredentials_assumeRoleWithMFA(t *testing.T) {
	t.Parallel()
	serial := emutest.MFASerial(emulator.DefaultAccountID)
	it := newIdentityTarget(t, emulator.Config{Identity: emulator.Identity{MFADevices: []emulator.MFADevice{{SerialNumber: serial, TOTPSecret: idTOTP}}}})
	// token_code comes from TENCENTCLOUD_ASSUME_ROLE_TOKEN_CODE.
	it.plan(t, it.provider(map[string]any{"secret_id": accSecretID, "secret_key": accSecretKey,
		"assume_role": map[string]any{"role_arn": idRole, "source_identity": emulator.DefaultAccountID, "serial_number": serial}}), "AssumeRole", it.mfaCode(t, EnvAssumeRoleTokenCode))
}

func TestCredentials_mfaCertification(t *testing.T) {
	t.Parallel()
	serial := emutest.MFASerial(emulator.DefaultAccountID)
	it := newIdentityTarget(t, emulator.Config{Identity: emulator.Identity{MFADevices: []emulator.MFADevice{{SerialNumber: serial, TOTPSecret: idTOTP}}}})
	// token_code comes from TENCENTCLOUD_MFA_CERTIFICATION_TOKEN_CODE.
	it.plan(t, it.provider(map[string]any{"secret_id": accSecretID, "secret_key": accSecretKey,
		"mfa_certification": map[string]any{"serial_number": serial}}), "GetSessionToken", it.mfaCode(t, EnvMFATokenCode))
}

// webIdentityTarget trusts an OIDC issuer; no key is configured anywhere.
func webIdentityTarget(t *testing.T) (*identityTarget, *emutest.OIDCIssuer) {
	t.Helper()
	issuer := emutest.NewOIDCIssuer(t, "ci")
	issuer.Provider.Audiences = append(issuer.Provider.Audiences, "cvm-ci")
	return newIdentityTarget(t, emulator.Config{Identity: emulator.Identity{OIDCProviders: []emulator.OIDCProvider{issuer.Provider}}}), issuer
}

func TestCredentials_webIdentityToken(t *testing.T) {
	t.Parallel()
	it, issuer := webIdentityTarget(t)
	it.plan(t, it.provider(map[string]any{"assume_role_with_web_identity": map[string]any{
		"provider_id": "ci", "web_identity_token": issuer.Token(emutest.STSAudience, "ci", time.Hour), "role_arn": idRole}}), "AssumeRoleWithWebIdentity")
}

// A token file in the official provider's JSON form, and the role in a file.
func TestCredentials_webIdentityFiles(t *testing.T) {
	t.Parallel()
	it, issuer := webIdentityTarget(t)
	dir := t.TempDir()
	tokenFile, roleFile := filepath.Join(dir, "token.json"), filepath.Join(dir, "role")
	writeFile(t, tokenFile, fmt.Sprintf(`{"web_identity_token": %q}`, issuer.Token(emutest.STSAudience, "ci", time.Hour)))
	writeFile(t, roleFile, idRole+"\n")
	it.plan(t, it.provider(map[string]any{"assume_role_with_web_identity": map[string]any{
		"provider_id": "ci", "web_identity_token_file": tokenFile, "role_arn_file": roleFile}}), "AssumeRoleWithWebIdentity")
}

// The environment alone, as the official provider reads it, with a raw JWT
// file as Kubernetes projects it and the role file under the official
// provider's spelling.
func TestCredentials_webIdentityFromTheEnvironment(t *testing.T) {
	t.Parallel()
	it, issuer := webIdentityTarget(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "token"), issuer.Token(emutest.STSAudience, "ci", time.Hour))
	writeFile(t, filepath.Join(dir, "role"), idRole)
	it.plan(t, it.provider(nil), "AssumeRoleWithWebIdentity", testEnv(t, map[string]string{
		EnvAssumeRoleWebIdentityTokenFile: filepath.Join(dir, "token"), EnvAssumeRoleARNFileOfficial: filepath.Join(dir, "role"),
		EnvAssumeRoleProviderID: "ci",
	}))
}

func TestCredentials_webIdentityFromHCPTerraform(t *testing.T) {
	t.Parallel()
	it, issuer := webIdentityTarget(t)
	it.plan(t, it.provider(map[string]any{"assume_role_with_web_identity": map[string]any{"provider_id": "ci", "role_arn": idRole}}), "AssumeRoleWithWebIdentity", testEnv(t, map[string]string{
		EnvTFCWorkloadIdentityToken: issuer.Token(emutest.STSAudience, "organization:cvmkit:workspace:prod", time.Hour),
	}))
}

func TestCredentials_webIdentityFromGitHubActions(t *testing.T) {
	t.Parallel()
	it, issuer := webIdentityTarget(t)
	var asked []string
	var mu sync.Mutex
	runner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.URL.Query().Get("audience"))
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer job-request-token" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		_, _ = fmt.Fprintf(w, `{"value": %q}`, issuer.Token(r.URL.Query().Get("audience"), "repo:cvmkit/infra:ref:refs/heads/main", 5*time.Minute))
	}))
	t.Cleanup(runner.Close)
	it.plan(t, it.provider(map[string]any{"assume_role_with_web_identity": map[string]any{"provider_id": "ci", "role_arn": idRole, "audience": "cvm-ci"}}), "AssumeRoleWithWebIdentity", testEnv(t, map[string]string{
		EnvGitHubTokenRequestURL: runner.URL + "/token?api-version=2.0", EnvGitHubTokenRequestToken: "job-request-token",
	}))
	mu.Lock()
	defer mu.Unlock()
	if len(asked) == 0 || asked[0] != "cvm-ci" {
		t.Fatalf("GitHub was asked for audiences %v, want cvm-ci", asked)
	}
}

func TestCredentials_podOIDC(t *testing.T) {
	t.Parallel()
	it, issuer := webIdentityTarget(t)
	token := filepath.Join(t.TempDir(), "token")
	writeFile(t, token, issuer.Token(emutest.STSAudience, "system:serviceaccount:default:terraform", time.Hour))
	it.plan(t, it.provider(map[string]any{"enable_pod_oidc": true}), "AssumeRoleWithWebIdentity", testEnv(t, map[string]string{
		EnvTKERegion: "ap-guangzhou", EnvTKEWebIdentityTokenFile: token, EnvTKEProviderID: "ci", EnvTKERoleARN: idRole,
	}))
}

func samlTarget(t *testing.T) (*identityTarget, *emutest.SAMLIdP) {
	t.Helper()
	idp := emutest.NewSAMLIdP(idAccount, "corp")
	return newIdentityTarget(t, emulator.Config{Identity: emulator.Identity{SAMLProviders: []emulator.SAMLProvider{idp.Provider}}}), idp
}

func TestCredentials_saml(t *testing.T) {
	t.Parallel()
	it, idp := samlTarget(t)
	it.plan(t, it.provider(map[string]any{"assume_role_with_saml": map[string]any{
		"saml_assertion": idp.Assertion(idRole, time.Now().Add(-time.Minute), time.Now().Add(10*time.Minute)), "principal_arn": idp.Provider.PrincipalArn, "role_arn": idRole}}), "AssumeRoleWithSAML")
}

func TestCredentials_samlFromTheEnvironment(t *testing.T) {
	t.Parallel()
	it, idp := samlTarget(t)
	it.plan(t, it.provider(nil), "AssumeRoleWithSAML", testEnv(t, map[string]string{
		EnvAssumeRoleARN: idRole, EnvAssumeRolePrincipalARN: idp.Provider.PrincipalArn,
		EnvAssumeRoleSAMLAssertion: idp.Assertion(idRole, time.Now().Add(-time.Minute), time.Now().Add(10*time.Minute)),
	}))
}

func TestCredentials_allowedAccount(t *testing.T) {
	t.Parallel()
	it := newIdentityTarget(t, emulator.Config{})
	it.plan(t, it.provider(map[string]any{"secret_id": accSecretID, "secret_key": accSecretKey, "allowed_account_ids": []string{emulator.DefaultAccountID}}),
		"static:"+accSecretID)
	if got := it.emu.Stats().ByAction["GetCallerIdentity"]; got == 0 {
		t.Fatal("the account was not checked")
	}
}

// A credential of another account reads nothing.
func TestCredentials_accountGuardMismatch(t *testing.T) {
	t.Parallel()
	it := newIdentityTarget(t, emulator.Config{})
	out := runProtocol(t, it.provider(map[string]any{"secret_id": accSecretID, "secret_key": accSecretKey, "forbidden_account_ids": []string{emulator.DefaultAccountID}}),
		readOneData, fastClient)
	want := regexp.MustCompile(`Wrong Tencent Cloud Account[\s\S]*` + emulator.DefaultAccountID + `[\s\S]*forbidden`)
	if errs := out.errors(); len(errs) == 0 || !want.MatchString(errs[0].Summary+"\n"+errs[0].Detail) {
		t.Fatalf("want %s; got:%s", want, out)
	}
	if st := it.emu.Stats().ByAction; st["DescribeInstancesStatus"] != 0 || st["GetCallerIdentity"] == 0 {
		t.Fatalf("by action %v: the account must be asked, and nothing read", st)
	}
}

// findsOne configures the provider with providerCfg and reads
// ins-aaaaaaaa, which must be found RUNNING (foundOne, without Terraform).
func findsOne(t *testing.T, providerCfg map[string]any, opts ...Option) {
	t.Helper()
	out := runProtocol(t, providerCfg, readOneData, append([]Option{fastClient}, opts...)...)
	if out.stage != "" {
		t.Fatalf("%s failed:%s", out.stage, out)
	}
	var state map[string]tftypes.Value
	var states map[string]tftypes.Value
	var running string
	if err := out.state.As(&state); err != nil {
		t.Fatal(err)
	}
	if err := state["states"].As(&states); err != nil {
		t.Fatal(err)
	}
	if err := states["ins-aaaaaaaa"].As(&running); err != nil || len(states) != 1 || running != "RUNNING" {
		t.Fatalf("states = %v; want exactly ins-aaaaaaaa RUNNING", states)
	}
}

// keysOf is a provider configuration with the test key for s.
func keysOf(s *emulator.Server) map[string]any {
	return map[string]any{"endpoint": s.URL(), "region": DefaultRegion, "secret_id": accSecretID, "secret_key": accSecretKey}
}

func TestProvider_credentialsFromEnvironment(t *testing.T) {
	t.Parallel()
	s := emulatorWith(t, seeded(inst("ins-aaaaaaaa", "RUNNING")))
	findsOne(t, map[string]any{}, testEnv(t, map[string]string{
		EnvSecretID: accSecretID, EnvSecretKey: accSecretKey, EnvEndpoint: s.URL(),
	}))
}

func TestProvider_explicitBeatsEnvironment(t *testing.T) {
	t.Parallel()
	s := emulatorWith(t, seeded(inst("ins-aaaaaaaa", "RUNNING")))
	findsOne(t, keysOf(s), testEnv(t, map[string]string{
		EnvSecretID: "AKIDfromtheenvironment", EnvSecretKey: "wrong-key-from-the-environment",
	}))
}

func TestProvider_credentialsAndRegionFromProfile(t *testing.T) {
	t.Parallel()
	s := emulatorWith(t, map[string][]emulator.Instance{"ap-shanghai": {inst("ins-aaaaaaaa", "RUNNING")}})
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "ops.credential"), fmt.Sprintf(`{"secretId": %q, "secretKey": %q}`, accSecretID, accSecretKey))
	writeFile(t, filepath.Join(dir, "ops.configure"), `{"_sys_param": {"region": "ap-shanghai"}}`)
	findsOne(t, map[string]any{"endpoint": s.URL()}, testEnv(t, map[string]string{EnvProfile: "ops", EnvSharedCredentials: dir}))
}

func TestProvider_camRole(t *testing.T) {
	t.Parallel()
	s := emulatorWith(t, seeded(inst("ins-aaaaaaaa", "RUNNING")))
	findsOne(t, map[string]any{"endpoint": s.URL(), "cam_role_name": "emulator-cvm-role"}, testEnv(t, map[string]string{EnvMetadataEndpoint: s.URL()}))
}

func TestProvider_assumeRole(t *testing.T) {
	t.Parallel()
	s := emulatorWith(t, seeded(inst("ins-aaaaaaaa", "RUNNING")))
	cfg := keysOf(s)
	cfg["sts_endpoint"] = s.URL()
	cfg["assume_role"] = map[string]any{"role_arn": "qcs::cam::uin/100000000001:roleName/reader", "session_duration": 3600}
	findsOne(t, cfg)
	if got := s.Stats().ByAction["AssumeRole"]; got == 0 {
		t.Fatal("the read did not go through STS AssumeRole")
	}
}

func TestProvider_assumeRoleFromEnvironment(t *testing.T) {
	t.Parallel()
	s := emulatorWith(t, seeded(inst("ins-aaaaaaaa", "RUNNING")))
	findsOne(t, keysOf(s), testEnv(t, map[string]string{
		EnvAssumeRoleARN: "qcs::cam::uin/100000000001:roleName/reader", EnvAssumeRoleSession: "ci-session", EnvSTSEndpoint: s.URL(),
	}))
	if got := s.Stats().ByAction["AssumeRole"]; got == 0 {
		t.Fatal("TENCENTCLOUD_ASSUME_ROLE_ARN did not make the provider assume the role")
	}
}
