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

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// Every way of signing in, through `terraform plan`, each showing at the
// emulator which credential signed the reads.

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

// provider is a provider block for the target with the given attributes
// and blocks, and no credential of its own.
func (it *identityTarget) provider(body string) string {
	return requiredProviders + fmt.Sprintf(`provider "cvm" {
  endpoint     = %q
  sts_endpoint = %q
  region       = %q
%s
}
`, it.emu.URL, it.emu.URL, DefaultRegion, body) + readOne
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

// plan runs `terraform plan` on config and checks who signed the reads.
func (it *identityTarget) plan(t *testing.T, config, issuer string, opts ...Option) {
	t.Helper()
	fs := factories(t, opts...)
	if it.mfa != nil {
		fs = it.mfa.perProcess(fs, nil)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: fs,
		Steps:                    []resource.TestStep{{Config: config, PlanOnly: true}},
	})
	it.expectSignedBy(t, issuer)
}

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

func TestAccCredentials_profileWithRoleARN(t *testing.T) {
	needsEmulator(t)
	it := newIdentityTarget(t, emulator.Config{})
	dir := t.TempDir()
	tccliFile(t, dir, "ops.credential", map[string]any{
		"role-arn": " " + idRole + " ", "role-session-name": "ci", "secretId": accSecretID, "secretKey": accSecretKey, "type": "default",
	})
	it.plan(t, it.provider(fmt.Sprintf("  profile = \"ops\"\n  shared_credentials_dir = %q", dir)), "AssumeRole")
}

func TestAccCredentials_profileOfTypeCVMRole(t *testing.T) {
	needsEmulator(t)
	it := newIdentityTarget(t, emulator.Config{})
	dir := t.TempDir()
	tccliFile(t, dir, "vm.credential", map[string]any{"type": "cvm-role"})
	it.plan(t, it.provider(fmt.Sprintf("  profile = \"vm\"\n  shared_credentials_dir = %q\n  metadata_endpoint = %q", dir, it.emu.URL)), "metadata")
}

func TestAccCredentials_profileOfAnOAuthLogin(t *testing.T) {
	needsEmulator(t)
	it := newIdentityTarget(t, emulator.Config{Credentials: []emulator.Credential{{SecretID: "AKIDoauthlogin00000000000000000001", SecretKey: "oauth-key", Token: "oauth-token"}}})
	dir := t.TempDir()
	tccliFile(t, dir, "me.credential", map[string]any{
		"type": "oauth", "secretId": "AKIDoauthlogin00000000000000000001", "secretKey": "oauth-key", "token": "oauth-token",
		"expiresAt": time.Now().Add(time.Hour).Unix(), "oauth": map[string]any{"openId": "x", "accessToken": "y", "refreshToken": "z", "expiresAt": 0, "site": "cn"},
	})
	it.plan(t, it.provider(fmt.Sprintf("  profile = \"me\"\n  shared_credentials_dir = %q", dir)), "static:AKIDoauthlogin00000000000000000001")
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

func TestAccCredentials_assumeRoleWithMFA(t *testing.T) {
	needsEmulator(t)
	serial := emutest.MFASerial(emulator.DefaultAccountID)
	it := newIdentityTarget(t, emulator.Config{Identity: emulator.Identity{MFADevices: []emulator.MFADevice{{SerialNumber: serial, TOTPSecret: idTOTP}}}})
	// token_code comes from TENCENTCLOUD_ASSUME_ROLE_TOKEN_CODE.
	it.plan(t, it.provider(fmt.Sprintf(`  secret_id  = %q
  secret_key = %q
  assume_role {
    role_arn        = %q
    source_identity = %q
    serial_number   = %q
  }`, accSecretID, accSecretKey, idRole, emulator.DefaultAccountID, serial)), "AssumeRole", it.mfaCode(t, EnvAssumeRoleTokenCode))
}

func TestAccCredentials_mfaCertification(t *testing.T) {
	needsEmulator(t)
	serial := emutest.MFASerial(emulator.DefaultAccountID)
	it := newIdentityTarget(t, emulator.Config{Identity: emulator.Identity{MFADevices: []emulator.MFADevice{{SerialNumber: serial, TOTPSecret: idTOTP}}}})
	// token_code comes from TENCENTCLOUD_MFA_CERTIFICATION_TOKEN_CODE.
	it.plan(t, it.provider(fmt.Sprintf(`  secret_id  = %q
  secret_key = %q
  mfa_certification {
    serial_number = %q
  }`, accSecretID, accSecretKey, serial)), "GetSessionToken", it.mfaCode(t, EnvMFATokenCode))
}

// webIdentityTarget trusts an OIDC issuer; no key is configured anywhere.
func webIdentityTarget(t *testing.T) (*identityTarget, *emutest.OIDCIssuer) {
	t.Helper()
	issuer := emutest.NewOIDCIssuer(t, "ci")
	issuer.Provider.Audiences = append(issuer.Provider.Audiences, "cvm-ci")
	return newIdentityTarget(t, emulator.Config{Identity: emulator.Identity{OIDCProviders: []emulator.OIDCProvider{issuer.Provider}}}), issuer
}

func TestAccCredentials_webIdentityToken(t *testing.T) {
	needsEmulator(t)
	it, issuer := webIdentityTarget(t)
	it.plan(t, it.provider(fmt.Sprintf(`  assume_role_with_web_identity {
    provider_id        = "ci"
    web_identity_token = %q
    role_arn           = %q
  }`, issuer.Token(emutest.STSAudience, "ci", time.Hour), idRole)), "AssumeRoleWithWebIdentity")
}

// A token file in the official provider's JSON form, and the role in a file.
func TestAccCredentials_webIdentityFiles(t *testing.T) {
	needsEmulator(t)
	it, issuer := webIdentityTarget(t)
	dir := t.TempDir()
	tokenFile, roleFile := filepath.Join(dir, "token.json"), filepath.Join(dir, "role")
	writeFile(t, tokenFile, fmt.Sprintf(`{"web_identity_token": %q}`, issuer.Token(emutest.STSAudience, "ci", time.Hour)))
	writeFile(t, roleFile, idRole+"\n")
	it.plan(t, it.provider(fmt.Sprintf(`  assume_role_with_web_identity {
    provider_id             = "ci"
    web_identity_token_file = %q
    role_arn_file           = %q
  }`, tokenFile, roleFile)), "AssumeRoleWithWebIdentity")
}

// The environment alone, as the official provider reads it, with a raw JWT
// file as Kubernetes projects it and the role file under the official
// provider's spelling.
func TestAccCredentials_webIdentityFromTheEnvironment(t *testing.T) {
	needsEmulator(t)
	it, issuer := webIdentityTarget(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "token"), issuer.Token(emutest.STSAudience, "ci", time.Hour))
	writeFile(t, filepath.Join(dir, "role"), idRole)
	it.plan(t, it.provider(""), "AssumeRoleWithWebIdentity", testEnv(t, map[string]string{
		EnvAssumeRoleWebIdentityTokenFile: filepath.Join(dir, "token"), EnvAssumeRoleARNFileOfficial: filepath.Join(dir, "role"),
		EnvAssumeRoleProviderID: "ci",
	}))
}

func TestAccCredentials_webIdentityFromHCPTerraform(t *testing.T) {
	needsEmulator(t)
	it, issuer := webIdentityTarget(t)
	it.plan(t, it.provider(fmt.Sprintf(`  assume_role_with_web_identity {
    provider_id = "ci"
    role_arn    = %q
  }`, idRole)), "AssumeRoleWithWebIdentity", testEnv(t, map[string]string{
		EnvTFCWorkloadIdentityToken: issuer.Token(emutest.STSAudience, "organization:cvmkit:workspace:prod", time.Hour),
	}))
}

func TestAccCredentials_webIdentityFromGitHubActions(t *testing.T) {
	needsEmulator(t)
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
	it.plan(t, it.provider(fmt.Sprintf(`  assume_role_with_web_identity {
    provider_id = "ci"
    role_arn    = %q
    audience    = "cvm-ci"
  }`, idRole)), "AssumeRoleWithWebIdentity", testEnv(t, map[string]string{
		EnvGitHubTokenRequestURL: runner.URL + "/token?api-version=2.0", EnvGitHubTokenRequestToken: "job-request-token",
	}))
	mu.Lock()
	defer mu.Unlock()
	if len(asked) == 0 || asked[0] != "cvm-ci" {
		t.Fatalf("GitHub was asked for audiences %v, want cvm-ci", asked)
	}
}

func TestAccCredentials_podOIDC(t *testing.T) {
	needsEmulator(t)
	it, issuer := webIdentityTarget(t)
	token := filepath.Join(t.TempDir(), "token")
	writeFile(t, token, issuer.Token(emutest.STSAudience, "system:serviceaccount:default:terraform", time.Hour))
	it.plan(t, it.provider("  enable_pod_oidc = true"), "AssumeRoleWithWebIdentity", testEnv(t, map[string]string{
		EnvTKERegion: "ap-guangzhou", EnvTKEWebIdentityTokenFile: token, EnvTKEProviderID: "ci", EnvTKERoleARN: idRole,
	}))
}

func samlTarget(t *testing.T) (*identityTarget, *emutest.SAMLIdP) {
	t.Helper()
	idp := emutest.NewSAMLIdP(idAccount, "corp")
	return newIdentityTarget(t, emulator.Config{Identity: emulator.Identity{SAMLProviders: []emulator.SAMLProvider{idp.Provider}}}), idp
}

func TestAccCredentials_saml(t *testing.T) {
	needsEmulator(t)
	it, idp := samlTarget(t)
	it.plan(t, it.provider(fmt.Sprintf(`  assume_role_with_saml {
    saml_assertion = %q
    principal_arn  = %q
    role_arn       = %q
  }`, idp.Assertion(idRole, time.Now().Add(-time.Minute), time.Now().Add(10*time.Minute)), idp.Provider.PrincipalArn, idRole)), "AssumeRoleWithSAML")
}

func TestAccCredentials_samlFromTheEnvironment(t *testing.T) {
	needsEmulator(t)
	it, idp := samlTarget(t)
	it.plan(t, it.provider(""), "AssumeRoleWithSAML", testEnv(t, map[string]string{
		EnvAssumeRoleARN: idRole, EnvAssumeRolePrincipalARN: idp.Provider.PrincipalArn,
		EnvAssumeRoleSAMLAssertion: idp.Assertion(idRole, time.Now().Add(-time.Minute), time.Now().Add(10*time.Minute)),
	}))
}

func TestAccCredentials_allowedAccount(t *testing.T) {
	needsEmulator(t)
	it := newIdentityTarget(t, emulator.Config{})
	it.plan(t, it.provider(fmt.Sprintf("  secret_id = %q\n  secret_key = %q\n  allowed_account_ids = [%q]", accSecretID, accSecretKey, emulator.DefaultAccountID)),
		"static:"+accSecretID)
	if got := it.emu.Stats().ByAction["GetCallerIdentity"]; got == 0 {
		t.Fatal("the account was not checked")
	}
}

// A credential of another account reads nothing.
func TestAccCredentials_accountGuardMismatch(t *testing.T) {
	needsEmulator(t)
	it := newIdentityTarget(t, emulator.Config{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(t),
		Steps: []resource.TestStep{{
			Config:      it.provider(fmt.Sprintf("  secret_id = %q\n  secret_key = %q\n  forbidden_account_ids = [%q]", accSecretID, accSecretKey, emulator.DefaultAccountID)),
			ExpectError: regexp.MustCompile(`Wrong Tencent Cloud Account[\s\S]*` + emulator.DefaultAccountID + `[\s\S]*forbidden`),
		}},
	})
	if st := it.emu.Stats().ByAction; st["DescribeInstancesStatus"] != 0 || st["GetCallerIdentity"] == 0 {
		t.Fatalf("by action %v: the account must be asked, and nothing read", st)
	}
}
