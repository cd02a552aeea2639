package credentials

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

const (
	stsTestAccount = "100000000077"
	stsTestRole    = "qcs::cam::uin/100000000077:roleName/reader"
	mfaSecret      = "JBSWY3DPEHPK3PXP"
)

// stsEmulator serves instances and STS, and records which SecretId signed
// each DescribeInstancesStatus.
func stsEmulator(t *testing.T, identity emulator.Identity) (*emutest.Emulator, func() []string) {
	t.Helper()
	var reads []string
	var mu sync.Mutex
	e := emutest.Start(t, emulator.Config{
		Credentials: []emulator.Credential{{SecretID: testSecretID, SecretKey: testSecretKey}},
		Regions:     regionOf(emulator.GenerateInstances(120, 3)),
		Identity:    identity,
	}, emutest.Options{OnRequest: func(_ int64, r *http.Request) {
		if r.Header.Get("X-TC-Action") == "DescribeInstancesStatus" {
			id, _, _ := strings.Cut(strings.TrimPrefix(r.Header.Get("Authorization"), "TC3-HMAC-SHA256 Credential="), "/")
			mu.Lock()
			defer mu.Unlock()
			reads = append(reads, id)
		}
	}})
	return e, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), reads...)
	}
}

func stsClientFor(t *testing.T, e *emutest.Emulator, tune func(*readerConfig)) *reader {
	t.Helper()
	return clientFor(t, e.URL, func(c *readerConfig) {
		c.STSEndpoint = e.URL
		tune(c)
	})
}

// An MFA role session is made once: reads go on while it lasts, and after
// it the read fails saying the code cannot be used again, without asking
// STS with a stale code.
func TestAssumeRoleWithMFAIsOneSession(t *testing.T) {
	t.Parallel()
	serial := emutest.MFASerial(emulator.DefaultAccountID)
	e, _ := stsEmulator(t, emulator.Identity{MFADevices: []emulator.MFADevice{{SerialNumber: serial, TOTPSecret: mfaSecret}}})
	now := time.Now()
	c := stsClientFor(t, e, func(c *readerConfig) {
		c.Now = func() time.Time { return now }
		c.AssumeRole = &AssumeRole{RoleARN: stsTestRole, SessionName: "mfa", DurationSeconds: 900,
			SerialNumber: serial, TokenCode: emutest.TOTPCode(mfaSecret, time.Now())}
	})
	if _, err := c.DescribeInstancesStatus(t.Context(), testRegion, nil); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour) // past the session's end
	_, err := c.DescribeInstancesStatus(t.Context(), testRegion, nil)
	if !errors.Is(err, ErrSessionCannotBeRenewed) || !strings.Contains(err.Error(), "new MFA code") {
		t.Fatalf("err = %v; want ErrSessionCannotBeRenewed asking for a new MFA code", err)
	}
	if got := e.Stats().ByAction["AssumeRole"]; got != 1 {
		t.Fatalf("AssumeRole called %d times, want once", got)
	}
}

// A web identity session needs no other credential, is sent unsigned, and
// asks for the token again at every renewal, since mounted tokens rotate.
func TestWebIdentityRenewsWithAFreshToken(t *testing.T) {
	t.Parallel()
	issuer := emutest.NewOIDCIssuer(t, "ci")
	e, reads := stsEmulator(t, emulator.Identity{OIDCProviders: []emulator.OIDCProvider{issuer.Provider}})
	var tokens atomic.Int64
	c := clientFor(t, e.URL, func(c *readerConfig) {
		c.Credentials = nil
		c.WebIdentity = &WebIdentity{ProviderID: "ci", RoleARN: stsTestRole, SessionName: "ci", DurationSeconds: 900,
			Token: func(context.Context) (string, error) {
				tokens.Add(1)
				return issuer.Token(emutest.STSAudience, "repo:cvmkit/x", time.Hour), nil
			}}
	})
	for range 2 {
		if _, err := c.DescribeInstancesStatus(t.Context(), testRegion, nil); err != nil {
			t.Fatal(err)
		}
	}
	e.RevokeTemporaryCredentials()
	if _, err := c.DescribeInstancesStatus(t.Context(), testRegion, nil); err != nil {
		t.Fatalf("a revoked web identity session must be renewed: %v", err)
	}
	if got := tokens.Load(); got != 2 {
		t.Fatalf("the token was asked for %d times, want 2 (the first session and its renewal)", got)
	}
	for _, id := range reads() {
		if id == testSecretID || !strings.HasPrefix(id, "AKID") {
			t.Fatalf("a read was signed by %q, not by the web identity session", id)
		}
	}
}

// A SAML session is one assertion's: it is not renewed with it.
func TestSAMLIsOneSession(t *testing.T) {
	t.Parallel()
	idp := emutest.NewSAMLIdP(stsTestAccount, "corp")
	e, _ := stsEmulator(t, emulator.Identity{SAMLProviders: []emulator.SAMLProvider{idp.Provider}})
	c := stsClientFor(t, e, func(c *readerConfig) {
		c.Credentials = nil
		c.SAML = &SAML{Assertion: idp.Assertion(stsTestRole, time.Now().Add(-time.Minute), time.Now().Add(5*time.Minute)),
			PrincipalARN: idp.Provider.PrincipalArn, RoleARN: stsTestRole, SessionName: "saml"}
	})
	if _, err := c.DescribeInstancesStatus(t.Context(), testRegion, nil); err != nil {
		t.Fatal(err)
	}
	e.RevokeTemporaryCredentials()
	_, err := c.DescribeInstancesStatus(t.Context(), testRegion, nil)
	if !errors.Is(err, ErrSessionCannotBeRenewed) || !strings.Contains(err.Error(), "SAML assertion") {
		t.Fatalf("err = %v; want ErrSessionCannotBeRenewed naming the assertion", err)
	}
}

// mfa_certification: GetSessionToken with the permanent key, then reads as
// that session.
func TestSessionTokenSignsTheReads(t *testing.T) {
	t.Parallel()
	serial := emutest.MFASerial(emulator.DefaultAccountID)
	e, reads := stsEmulator(t, emulator.Identity{MFADevices: []emulator.MFADevice{{SerialNumber: serial, TOTPSecret: mfaSecret}}})
	c := stsClientFor(t, e, func(c *readerConfig) {
		c.SessionToken = &SessionToken{SerialNumber: serial, TokenCode: emutest.TOTPCode(mfaSecret, time.Now()), DurationSeconds: 900}
	})
	if _, err := c.DescribeInstancesStatus(t.Context(), testRegion, nil); err != nil {
		t.Fatal(err)
	}
	if e.Stats().ByAction["GetSessionToken"] != 1 || len(reads()) == 0 || reads()[0] == testSecretID {
		t.Fatalf("stats %v, reads signed by %v; want one GetSessionToken and reads signed by its key", e.Stats().ByAction, reads())
	}
}

// Every STS action's page marks Region required, so every STS call carries
// X-TC-Region: the configured STSRegion, else DefaultSTSRegion. The tap sees
// what went out, whatever the emulator then answers.
func TestEverySTSCallCarriesTheRegion(t *testing.T) {
	t.Parallel()
	serial := emutest.MFASerial(emulator.DefaultAccountID)
	issuer := emutest.NewOIDCIssuer(t, "ci")
	idp := emutest.NewSAMLIdP(stsTestAccount, "corp")
	var mu sync.Mutex
	sent := map[string][]string{} // action → X-TC-Region of each call
	e := emutest.Start(t, emulator.Config{
		Credentials: []emulator.Credential{{SecretID: testSecretID, SecretKey: testSecretKey}},
		Regions:     regionOf(emulator.GenerateInstances(3, 3)),
		Identity: emulator.Identity{
			MFADevices:    []emulator.MFADevice{{SerialNumber: serial, TOTPSecret: mfaSecret}},
			OIDCProviders: []emulator.OIDCProvider{issuer.Provider},
			SAMLProviders: []emulator.SAMLProvider{idp.Provider},
		},
	}, emutest.Options{OnRequest: func(_ int64, r *http.Request) {
		if action := r.Header.Get("X-TC-Action"); action != "DescribeInstancesStatus" {
			mu.Lock()
			defer mu.Unlock()
			sent[action] = append(sent[action], r.Header.Get("X-TC-Region"))
		}
	}})
	// The MFA code of a step no other call uses, as a code is good once:
	// the current step's or the next one's, which STS accepts as drift.
	code := func(step int) string {
		return emutest.TOTPCode(mfaSecret, time.Now().Add(time.Duration(step)*30*time.Second))
	}
	for _, tc := range []struct {
		name, region string
		tune         func(*readerConfig)
	}{
		{"assume role, account guard", "ap-singapore", func(c *readerConfig) {
			c.AssumeRole = &AssumeRole{RoleARN: stsTestRole, SessionName: "ops"}
			c.AccountGuard = &AccountGuard{Allowed: []string{stsTestAccount}}
		}},
		{"assume role with MFA", "ap-singapore", func(c *readerConfig) {
			c.AssumeRole = &AssumeRole{RoleARN: stsTestRole, SessionName: "ops", SerialNumber: serial, TokenCode: code(0)}
		}},
		{"session token", "ap-singapore", func(c *readerConfig) {
			c.SessionToken = &SessionToken{SerialNumber: serial, TokenCode: code(1)}
		}},
		{"web identity", "ap-singapore", func(c *readerConfig) {
			c.Credentials = nil
			c.WebIdentity = &WebIdentity{ProviderID: "ci", RoleARN: stsTestRole, SessionName: "ci",
				Token: func(context.Context) (string, error) { return issuer.Token(emutest.STSAudience, "x", time.Hour), nil }}
		}},
		{"SAML", "ap-singapore", func(c *readerConfig) {
			c.Credentials = nil
			c.SAML = &SAML{Assertion: idp.Assertion(stsTestRole, time.Now().Add(-time.Minute), time.Now().Add(5*time.Minute)),
				PrincipalARN: idp.Provider.PrincipalArn, RoleARN: stsTestRole, SessionName: "saml"}
		}},
		{"no STSRegion", DefaultSTSRegion, func(c *readerConfig) { c.AssumeRole = &AssumeRole{RoleARN: stsTestRole, SessionName: "ops"} }},
	} {
		mu.Lock()
		clear(sent)
		mu.Unlock()
		c := stsClientFor(t, e, func(c *readerConfig) {
			c.STSRegion = tc.region
			if tc.region == DefaultSTSRegion {
				c.STSRegion = ""
			}
			tc.tune(c)
		})
		_, err := c.DescribeInstancesStatus(t.Context(), testRegion, nil)
		mu.Lock()
		if err != nil || len(sent) == 0 {
			t.Errorf("%s: err = %v, STS calls %v; want a read made with an STS credential", tc.name, err, sent)
		}
		for action, regions := range sent {
			for _, r := range regions {
				if r != tc.region {
					t.Errorf("%s: %s went out with X-TC-Region %q, want %q", tc.name, action, r, tc.region)
				}
			}
		}
		mu.Unlock()
	}
	if st := e.Stats().ByAction; st["AssumeRole"] == 0 || st["GetCallerIdentity"] == 0 || st["GetSessionToken"] == 0 ||
		st["AssumeRoleWithWebIdentity"] == 0 || st["AssumeRoleWithSAML"] == 0 {
		t.Errorf("by action %v: want every STS action the client makes", st)
	}
}

// A token, assertion or code the service quotes back in an error is cut out
// of the error.
func TestSTSErrorsCarryNoSecrets(t *testing.T) {
	t.Parallel()
	const token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"Response":{"Error":{"Code":"InvalidParameter.WebIdentityTokenError","Message":"bad token ` + token + `"},"RequestId":"r"}}`))
	}))
	t.Cleanup(srv.Close)
	c := clientFor(t, srv.URL, func(c *readerConfig) {
		c.STSEndpoint = srv.URL
		c.Credentials = nil
		c.WebIdentity = &WebIdentity{ProviderID: "ci", RoleARN: stsTestRole, SessionName: "x",
			Token: func(context.Context) (string, error) { return token, nil }}
	})
	_, err := c.DescribeInstancesStatus(t.Context(), testRegion, nil)
	if err == nil || strings.Contains(err.Error(), token) || !strings.Contains(err.Error(), "[redacted]") {
		t.Fatalf("err = %v; want the token cut out", err)
	}
}

// GitHub Actions gives a token for the audience asked, to the bearer of the
// job's request token; a job without id-token: write is told so.
func TestGitHubActionsToken(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Header.Get("Authorization") != "Bearer job-token":
			w.WriteHeader(http.StatusForbidden)
		case r.URL.Query().Get("audience") != "sts.example" || r.URL.Query().Get("api-version") != "2.0":
			w.WriteHeader(http.StatusBadRequest)
		default:
			_, _ = w.Write([]byte(`{"count":1,"value":"the.oidc.token"}`))
		}
	}))
	t.Cleanup(srv.Close)
	get, err := GitHubActionsToken(srv.URL+"/token?api-version=2.0", "job-token", "sts.example", nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := get(t.Context()); err != nil || tok != "the.oidc.token" {
		t.Fatalf("token %q, err %v", tok, err)
	}
	get, _ = GitHubActionsToken(srv.URL+"/token?api-version=2.0", "wrong", "sts.example", nil)
	if _, err := get(t.Context()); err == nil || !strings.Contains(err.Error(), "id-token: write") {
		t.Fatalf("err = %v; want it to name id-token: write", err)
	}
	if _, err := GitHubActionsToken("http://actions.example.com/token", "job-token", "a", nil); err == nil {
		t.Fatal("a bearer token must not be sent over plain http to a remote host")
	}
}
