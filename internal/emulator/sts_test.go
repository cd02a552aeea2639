package emulator_test

import (
	"cmp"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

const (
	otherAccount = "200000000002"
	roleArn      = "qcs::cam::uin/" + emulator.DefaultAccountID + ":roleName/deployer"
	mfaSecret    = "JBSWY3DPEHPK3PXP"
)

// otherKey is the permanent key of otherAccount.
var otherKey = emutest.Key{SecretID: "AKIDother", SecretKey: "other-key"}

// stsWorld is an emulator with one identity of every kind.
type stsWorld struct {
	*emutest.Emulator
	clock *emutest.Clock
	oidc  *emutest.OIDCIssuer
	idp   *emutest.SAMLIdP
}

func newSTSWorld(t *testing.T) stsWorld {
	t.Helper()
	return newLoggedSTSWorld(t, nil)
}

// newLoggedSTSWorld is newSTSWorld writing its log to logger.
func newLoggedSTSWorld(t *testing.T, logger *slog.Logger) stsWorld {
	t.Helper()
	w := stsWorld{clock: emutest.NewClock(), oidc: emutest.NewOIDCIssuer(t, "github"), idp: emutest.NewSAMLIdP(emulator.DefaultAccountID, "corp")}
	w.Emulator = emutest.Start(t, emulator.Config{
		Credentials: []emulator.Credential{
			{SecretID: emulator.DefaultSecretID, SecretKey: emulator.DefaultSecretKey},
			{SecretID: otherKey.SecretID, SecretKey: otherKey.SecretKey},
		},
		Regions: map[string][]emulator.Instance{"ap-guangzhou": {{InstanceId: "ins-r8hr2upy", InstanceState: "RUNNING"}}},
		Now:     w.clock.Now,
		Logger:  logger,
		Identity: emulator.Identity{
			Accounts:      []emulator.Account{{AccountId: otherAccount, SecretIds: []string{otherKey.SecretID}}},
			OIDCProviders: []emulator.OIDCProvider{w.oidc.Provider},
			SAMLProviders: []emulator.SAMLProvider{w.idp.Provider},
			MFADevices: []emulator.MFADevice{
				{SerialNumber: emutest.MFASerial(emulator.DefaultAccountID), TOTPSecret: mfaSecret},
				{SerialNumber: emutest.MFASerial(otherAccount), TOTPSecret: "KRSXG5CTMVRXEZLUKN2XAZLSKNSWG4TFOQ"},
			},
		},
	}, emutest.Options{})
	return w
}

// str is m[key] if it is a string, else "".
func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// code is the answer's error code, or Success.
func code(resp map[string]any) string { return cmp.Or(emutest.ErrorCode(resp), "Success") }

func message(resp map[string]any) string {
	if e, ok := resp["Error"].(map[string]any); ok {
		return str(e, "Message")
	}
	return ""
}

// credentials returns the temporary credential of a successful answer,
// after checking the answer's shape.
func credentials(t *testing.T, resp map[string]any) emutest.Key {
	t.Helper()
	if code(resp) != "Success" {
		t.Fatalf("%s: %s", code(resp), message(resp))
	}
	c, _ := resp["Credentials"].(map[string]any)
	exp, err := time.Parse(time.RFC3339, str(resp, "Expiration"))
	if expired, _ := resp["ExpiredTime"].(float64); err != nil || float64(exp.Unix()) != expired || str(c, "Token") == "" {
		t.Fatalf("answer %v", resp)
	}
	return emutest.Key{SecretID: str(c, "TmpSecretId"), SecretKey: str(c, "TmpSecretKey"), Token: str(c, "Token")}
}

func (w stsWorld) webIdentity(t *testing.T, params map[string]any) map[string]any {
	t.Helper()
	p := map[string]any{"ProviderId": "github", "WebIdentityToken": w.oidc.Token(emutest.STSAudience, "repo:cvmkit/ci", time.Hour),
		"RoleArn": roleArn, "RoleSessionName": "ci"}
	for k, v := range params {
		if v == nil {
			delete(p, k)
		} else {
			p[k] = v
		}
	}
	return emutest.Call(t, w.URL, emutest.Key{}, "AssumeRoleWithWebIdentity", p)
}

func TestAssumeRoleWithWebIdentity(t *testing.T) {
	w := newSTSWorld(t)
	now := time.Now()
	other := emutest.NewOIDCIssuer(t, "github") // same ID, another key
	claims := func(change map[string]any) string {
		c := map[string]any{"iss": w.oidc.Provider.Issuer, "aud": []string{"other", emutest.STSAudience}, "sub": "x",
			"exp": now.Add(time.Hour).Unix(), "nbf": now.Add(-time.Minute).Unix()}
		for k, v := range change {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return w.oidc.Mint(c)
	}
	hs256 := func() string {
		tok := claims(nil)
		parts := strings.Split(tok, ".")
		return "eyJhbGciOiJIUzI1NiJ9." + parts[1] + "." + parts[2] // {"alg":"HS256"}
	}()
	for _, tc := range []struct {
		name   string
		params map[string]any
		code   string
		msg    string
	}{
		{"helper token", nil, "Success", ""},
		{"aud array", map[string]any{"WebIdentityToken": claims(nil)}, "Success", ""},
		{"no nbf", map[string]any{"WebIdentityToken": claims(map[string]any{"nbf": nil})}, "Success", ""},
		{"unknown provider", map[string]any{"ProviderId": "gitlab"}, "InvalidParameter.WebIdentityTokenError", `no OIDC provider "gitlab"`},
		{"other key", map[string]any{"WebIdentityToken": other.Token(emutest.STSAudience, "x", time.Hour)}, "InvalidParameter.WebIdentityTokenError", "signature does not verify"},
		{"HS256", map[string]any{"WebIdentityToken": hs256}, "InvalidParameter.WebIdentityTokenError", `"HS256"; only RS256`},
		{"not a JWT", map[string]any{"WebIdentityToken": "abc"}, "InvalidParameter.WebIdentityTokenError", "not a JWT"},
		{"issuer", map[string]any{"WebIdentityToken": claims(map[string]any{"iss": "https://evil.example"})}, "InvalidParameter.WebIdentityTokenError", "issuer (iss)"},
		{"audience", map[string]any{"WebIdentityToken": w.oidc.Token("cvm.tencentcloudapi.com", "x", time.Hour)}, "InvalidParameter.WebIdentityTokenError", "audience (aud)"},
		{"no aud", map[string]any{"WebIdentityToken": claims(map[string]any{"aud": nil})}, "InvalidParameter.WebIdentityTokenError", "audience (aud) is missing"},
		{"expired", map[string]any{"WebIdentityToken": claims(map[string]any{"exp": now.Add(-time.Second).Unix()})}, "InvalidParameter.WebIdentityTokenError", "expired at"},
		{"no exp", map[string]any{"WebIdentityToken": claims(map[string]any{"exp": nil})}, "InvalidParameter.WebIdentityTokenError", "no expiry (exp)"},
		{"not yet", map[string]any{"WebIdentityToken": claims(map[string]any{"nbf": now.Add(time.Hour).Unix()})}, "InvalidParameter.WebIdentityTokenError", "not valid before"},
		{"no token", map[string]any{"WebIdentityToken": nil}, "MissingParameter", "WebIdentityToken"},
		{"no provider", map[string]any{"ProviderId": nil}, "MissingParameter", "ProviderId"},
		{"bad role", map[string]any{"RoleArn": "deployer"}, "InvalidParameter.ParamError", "RoleArn"},
		{"bad session", map[string]any{"RoleSessionName": "a b"}, "InvalidParameter.ParamError", "RoleSessionName"},
		{"duration", map[string]any{"DurationSeconds": 43201}, "InvalidParameter.ParamError", "DurationSeconds"},
		{"role of an unknown account", map[string]any{"RoleArn": "qcs::cam::uin/300000000003:roleName/x"}, "ResourceNotFound.RoleNotFound", "300000000003"},
		{"role of a configured account", map[string]any{"RoleArn": "qcs::cam::uin/" + otherAccount + ":roleName/x"}, "Success", ""},
		{"unknown parameter", map[string]any{"Policy": "{}"}, "UnknownParameter", "Policy"},
	} {
		resp := w.webIdentity(t, tc.params)
		if got := code(resp); got != tc.code || !strings.Contains(message(resp), tc.msg) {
			t.Errorf("%s: %s %q, want %s containing %q", tc.name, got, message(resp), tc.code, tc.msg)
		}
	}
}

func TestUnsignedActionsRefuseSignaturesAndTokens(t *testing.T) {
	w := newSTSWorld(t)
	params := map[string]any{"ProviderId": "github", "WebIdentityToken": w.oidc.Token(emutest.STSAudience, "x", time.Hour), "RoleArn": roleArn, "RoleSessionName": "ci"}
	for _, action := range []string{"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"} {
		for _, tc := range []struct {
			name    string
			headers emutest.Headers
			code    string
		}{
			{"no Authorization", emutest.Headers{"Authorization": ""}, "AuthFailure.InvalidAuthorization"},
			{"lowercase skip", emutest.Headers{"Authorization": "skip"}, "AuthFailure.InvalidAuthorization"},
			{"with a token", emutest.Headers{"X-TC-Token": "abc"}, "AuthFailure.InvalidAuthorization"},
			{"no timestamp", emutest.Headers{"X-TC-Timestamp": ""}, "MissingParameter"},
			{"stale timestamp", emutest.Headers{"X-TC-Timestamp": "1000000000"}, "AuthFailure.SignatureExpire"},
		} {
			if got := code(emutest.Call(t, w.URL, emutest.Key{}, action, params, tc.headers)); got != tc.code {
				t.Errorf("%s, %s: %s, want %s", action, tc.name, got, tc.code)
			}
		}
		// Signed with a valid TC3 signature: still refused.
		if got := code(emutest.Call(t, w.URL, emutest.DefaultKey, action, params)); got != "AuthFailure.InvalidAuthorization" {
			t.Errorf("%s signed: %s, want AuthFailure.InvalidAuthorization", action, got)
		}
	}
	// And the signed actions refuse Authorization: SKIP.
	if got := code(emutest.Call(t, w.URL, emutest.Key{}, "GetCallerIdentity", nil)); got != "AuthFailure.InvalidAuthorization" {
		t.Errorf("GetCallerIdentity unsigned: %s", got)
	}
}

// TestSTSRequiresRegion: each STS action's page marks the common parameter
// Region required, as CVM's does; the service answers a request without it
// MissingParameter, and so does the emulator, signed or unsigned, whatever
// else is wrong with the request.
func TestSTSRequiresRegion(t *testing.T) {
	w := newSTSWorld(t)
	now := w.clock.Now()
	for _, tc := range []struct {
		action string
		key    emutest.Key
		params map[string]any
	}{
		{"AssumeRole", emutest.DefaultKey, map[string]any{"RoleArn": roleArn, "RoleSessionName": "ops"}},
		{"AssumeRoleWithWebIdentity", emutest.Key{}, map[string]any{"ProviderId": "github", "WebIdentityToken": w.oidc.Token(emutest.STSAudience, "x", time.Hour), "RoleArn": roleArn, "RoleSessionName": "ci"}},
		{"AssumeRoleWithSAML", emutest.Key{}, map[string]any{"SAMLAssertion": w.idp.Assertion(roleArn, now.Add(-time.Minute), now.Add(time.Hour)), "PrincipalArn": w.idp.Provider.PrincipalArn, "RoleArn": roleArn, "RoleSessionName": "alice"}},
		{"GetSessionToken", emutest.DefaultKey, map[string]any{"SerialNumber": emutest.MFASerial(emulator.DefaultAccountID), "TokenCode": emutest.TOTPCode(mfaSecret, now)}},
		{"GetCallerIdentity", emutest.DefaultKey, nil},
	} {
		resp := emutest.Call(t, w.URL, tc.key, tc.action, tc.params, emutest.Headers{"X-TC-Region": ""})
		if got := code(resp); got != "MissingParameter" || !strings.Contains(message(resp), "`Region`") {
			t.Errorf("%s without X-TC-Region: %s %q, want MissingParameter naming `Region`", tc.action, got, message(resp))
		}
	}
	if got := code(emutest.Call(t, w.URL, emutest.DefaultKey, "GetCallerIdentity", nil, emutest.Headers{"X-TC-Region": "ap-singapore"})); got != "Success" {
		t.Errorf("GetCallerIdentity in ap-singapore: %s; STS is global, any region the API lists will do", got)
	}
}

func TestAssumeRoleWithSAML(t *testing.T) {
	w := newSTSWorld(t)
	now := w.clock.Now()
	good := w.idp.Assertion(roleArn, now.Add(-time.Minute), now.Add(5*time.Minute))
	resp := func(r emutest.SAMLResponse) string { return r.Base64() }
	for _, tc := range []struct {
		name   string
		params map[string]any
		code   string
		msg    string
	}{
		{"helper assertion", nil, "Success", ""},
		{"no NotBefore", map[string]any{"SAMLAssertion": resp(emutest.SAMLResponse{Issuer: w.idp.Provider.Issuer, Roles: []string{w.idp.Provider.PrincipalArn + "," + roleArn}, NotOnOrAfter: now.Add(time.Minute)})}, "Success", ""},
		{"other issuer", map[string]any{"SAMLAssertion": resp(emutest.SAMLResponse{Issuer: "https://evil.example", Roles: []string{roleArn + "," + w.idp.Provider.PrincipalArn}, NotOnOrAfter: now.Add(time.Minute)})}, "InvalidParameter.ParamError", "issuer"},
		{"expired", map[string]any{"SAMLAssertion": w.idp.Assertion(roleArn, now.Add(-time.Hour), now.Add(-time.Second))}, "InvalidParameter.ParamError", "expired at"},
		{"not yet", map[string]any{"SAMLAssertion": w.idp.Assertion(roleArn, now.Add(time.Minute), now.Add(time.Hour))}, "InvalidParameter.ParamError", "not valid before"},
		{"no window", map[string]any{"SAMLAssertion": resp(emutest.SAMLResponse{Issuer: w.idp.Provider.Issuer, Roles: []string{roleArn + "," + w.idp.Provider.PrincipalArn}})}, "InvalidParameter.ParamError", "never expire"},
		{"failed status", map[string]any{"SAMLAssertion": resp(emutest.SAMLResponse{Issuer: w.idp.Provider.Issuer, Status: "urn:oasis:names:tc:SAML:2.0:status:Requester", NotOnOrAfter: now.Add(time.Minute)})}, "InvalidParameter.ParamError", "status"},
		{"not base64", map[string]any{"SAMLAssertion": "<xml/>"}, "InvalidParameter.ParamError", "not base64"},
		{"not a response", map[string]any{"SAMLAssertion": "PGZvby8+"}, "InvalidParameter.ParamError", "not a SAML 2.0 <Response>"}, // <foo/>
		{"other role", map[string]any{"SAMLAssertion": w.idp.Assertion("qcs::cam::uin/1:roleName/other", now, now.Add(time.Minute))}, "UnauthorizedOperation", "does not grant role " + roleArn},
		{"unknown provider", map[string]any{"PrincipalArn": "qcs::cam::uin/1:saml-provider/x"}, "InvalidParameter.ParamError", "names no SAML provider"},
		{"duration", map[string]any{"DurationSeconds": 0}, "InvalidParameter.OverTimeError", "DurationSeconds"},
		{"no assertion", map[string]any{"SAMLAssertion": nil}, "MissingParameter", "SAMLAssertion"},
	} {
		p := map[string]any{"SAMLAssertion": good, "PrincipalArn": w.idp.Provider.PrincipalArn, "RoleArn": roleArn, "RoleSessionName": "alice"}
		for k, v := range tc.params {
			if v == nil {
				delete(p, k)
			} else {
				p[k] = v
			}
		}
		r := emutest.Call(t, w.URL, emutest.Key{}, "AssumeRoleWithSAML", p)
		if got := code(r); got != tc.code || !strings.Contains(message(r), tc.msg) {
			t.Errorf("%s: %s %q, want %s containing %q", tc.name, got, message(r), tc.code, tc.msg)
		}
	}
}

func TestMFA(t *testing.T) {
	w := newSTSWorld(t)
	now := w.clock.Now()
	current := emutest.TOTPCode(mfaSecret, now)
	serial := emutest.MFASerial(emulator.DefaultAccountID)
	for _, tc := range []struct {
		name   string
		caller emutest.Key
		action string
		params map[string]any
		code   string
	}{
		{"session token", emutest.DefaultKey, "GetSessionToken", map[string]any{"SerialNumber": serial, "TokenCode": current}, "Success"},
		{"previous step", emutest.DefaultKey, "GetSessionToken", map[string]any{"SerialNumber": serial, "TokenCode": emutest.TOTPCode(mfaSecret, now.Add(-30*time.Second))}, "Success"},
		{"two steps ago", emutest.DefaultKey, "GetSessionToken", map[string]any{"SerialNumber": serial, "TokenCode": emutest.TOTPCode(mfaSecret, now.Add(-60*time.Second))}, "FailedOperation.CheckMFAError"},
		{"wrong code", emutest.DefaultKey, "GetSessionToken", map[string]any{"SerialNumber": serial, "TokenCode": "000000x"}, "FailedOperation.CheckMFAError"},
		{"unknown device", emutest.DefaultKey, "GetSessionToken", map[string]any{"SerialNumber": emutest.MFASerial("9"), "TokenCode": current}, "FailedOperation.CheckMFAError"},
		{"another account's device", otherKey, "GetSessionToken", map[string]any{"SerialNumber": serial, "TokenCode": current}, "FailedOperation.CheckMFAError"},
		{"hardware token", emutest.DefaultKey, "GetSessionToken", map[string]any{"SerialNumber": "qcs::cam:uin/1::mfa/hardToken", "TokenCode": current}, "FailedOperation.MFATypeNotSupported"},
		{"no code", emutest.DefaultKey, "GetSessionToken", map[string]any{"SerialNumber": serial}, "MissingParameter"},
		{"too long", emutest.DefaultKey, "GetSessionToken", map[string]any{"SerialNumber": serial, "TokenCode": current, "DurationSeconds": 129601}, "InvalidParameter.OverTimeError"},
		// current was spent by "session token" above: the next step's code.
		{"assume role with MFA", emutest.DefaultKey, "AssumeRole", map[string]any{"RoleArn": roleArn, "RoleSessionName": "ops", "SerialNumber": serial, "TokenCode": emutest.TOTPCode(mfaSecret, now.Add(30*time.Second)), "SourceIdentity": emulator.DefaultAccountID}, "Success"},
		{"assume role, wrong MFA", emutest.DefaultKey, "AssumeRole", map[string]any{"RoleArn": roleArn, "RoleSessionName": "ops", "SerialNumber": serial, "TokenCode": "123456x"}, "FailedOperation.CheckMFAError"},
		{"assume role, serial alone", emutest.DefaultKey, "AssumeRole", map[string]any{"RoleArn": roleArn, "RoleSessionName": "ops", "SerialNumber": serial}, "MissingParameter"},
		{"assume role, empty SourceIdentity", emutest.DefaultKey, "AssumeRole", map[string]any{"RoleArn": roleArn, "RoleSessionName": "ops", "SourceIdentity": ""}, "InvalidParameter.ParamError"},
	} {
		if got := code(emutest.Call(t, w.URL, tc.caller, tc.action, tc.params)); got != tc.code {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.code)
		}
	}
	// The emulator's clock decides: two minutes later the code is stale
	// (and the signatures, made with the real clock, still within 5 minutes).
	w.clock.Advance(2 * time.Minute)
	if got := code(emutest.Call(t, w.URL, emutest.DefaultKey, "GetSessionToken", map[string]any{"SerialNumber": serial, "TokenCode": current})); got != "FailedOperation.CheckMFAError" {
		t.Errorf("stale code: %s", got)
	}
	// A session token cannot ask for another.
	tmp := credentials(t, emutest.Call(t, w.URL, emutest.DefaultKey, "GetSessionToken",
		map[string]any{"SerialNumber": serial, "TokenCode": emutest.TOTPCode(mfaSecret, w.clock.Now())}))
	if got := code(emutest.Call(t, w.URL, tmp, "GetSessionToken", map[string]any{"SerialNumber": serial, "TokenCode": emutest.TOTPCode(mfaSecret, w.clock.Now())})); got != "FailedOperation.TempKeyNotAllowed" {
		t.Errorf("session token from a temporary credential: %s", got)
	}
	// Nor can a role session.
	role := credentials(t, emutest.Call(t, w.URL, emutest.DefaultKey, "AssumeRole", map[string]any{"RoleArn": roleArn, "RoleSessionName": "ops"}))
	if got := code(emutest.Call(t, w.URL, role, "GetSessionToken", map[string]any{"SerialNumber": serial, "TokenCode": emutest.TOTPCode(mfaSecret, w.clock.Now())})); got != "FailedOperation.TempKeyNotAllowed" {
		t.Errorf("session token from a role session: %s", got)
	}
}

// TestMFACodeIsGoodOnce: a TOTP code that passed is refused the second
// time, by GetSessionToken and AssumeRole alike, as RFC 6238 (section 5.2)
// asks of a verifier and as the provider's documentation promises ("a code
// is used once"); a refused code is not spent, and the device's next code
// works.
func TestMFACodeIsGoodOnce(t *testing.T) {
	w := newSTSWorld(t)
	now := w.clock.Now()
	serial := emutest.MFASerial(emulator.DefaultAccountID)
	current, next := emutest.TOTPCode(mfaSecret, now), emutest.TOTPCode(mfaSecret, now.Add(30*time.Second))
	session := func(code string) map[string]any {
		return emutest.Call(t, w.URL, emutest.DefaultKey, "GetSessionToken", map[string]any{"SerialNumber": serial, "TokenCode": code})
	}
	withMFA := func(arn, code string) map[string]any {
		return emutest.Call(t, w.URL, emutest.DefaultKey, "AssumeRole", map[string]any{"RoleArn": arn, "RoleSessionName": "ops", "SerialNumber": serial, "TokenCode": code})
	}
	// A request refused for another reason does not spend the code.
	if resp := withMFA("qcs::cam::uin/300000000003:roleName/x", current); code(resp) != "ResourceNotFound.RoleNotFound" {
		t.Fatalf("a role that does not exist: %s %q", code(resp), message(resp))
	}
	if resp := session(current); code(resp) != "Success" {
		t.Fatalf("the first use: %s %q", code(resp), message(resp))
	}
	for name, resp := range map[string]map[string]any{
		"GetSessionToken again": session(current),
		"AssumeRole with it":    withMFA(roleArn, current),
	} {
		if code(resp) != "FailedOperation.CheckMFAError" || !strings.Contains(message(resp), "already used") {
			t.Errorf("%s: %s %q, want FailedOperation.CheckMFAError saying the code was already used", name, code(resp), message(resp))
		}
	}
	if resp := withMFA(roleArn, next); code(resp) != "Success" {
		t.Errorf("the device's next code: %s %q", code(resp), message(resp))
	}
	// Another device's codes are its own.
	other := emutest.Call(t, w.URL, otherKey, "GetSessionToken", map[string]any{"SerialNumber": emutest.MFASerial(otherAccount), "TokenCode": emutest.TOTPCode("KRSXG5CTMVRXEZLUKN2XAZLSKNSWG4TFOQ", now)})
	if code(other) != "Success" {
		t.Errorf("another device's current code: %s %q", code(other), message(other))
	}
}

// TestEveryTemporaryCredential gets a credential from every source, checks
// what GetCallerIdentity says of it, uses it for DescribeInstancesStatus,
// and sees it expire and be revoked like AssumeRole's.
func TestEveryTemporaryCredential(t *testing.T) {
	w := newSTSWorld(t)
	now := w.clock.Now()
	roleID := func(id map[string]any) string { r, _, _ := strings.Cut(str(id, "UserId"), ":"); return r }
	sources := []struct {
		name        string
		get         func() map[string]any
		typ, acct   string
		userSuffix  string
		principalID string
		arnPrefix   string
	}{
		{"AssumeRole", func() map[string]any {
			return emutest.Call(t, w.URL, otherKey, "AssumeRole", map[string]any{"RoleArn": roleArn, "RoleSessionName": "ops", "DurationSeconds": 60})
		}, "CAMRole", emulator.DefaultAccountID, ":ops", otherAccount, "qcs::sts:" + emulator.DefaultAccountID + ":assumed-role/"},
		{"AssumeRoleWithWebIdentity", func() map[string]any {
			return w.webIdentity(t, map[string]any{"DurationSeconds": 60})
		}, "CAMRole", emulator.DefaultAccountID, ":ci", emulator.DefaultAccountID, "qcs::sts:" + emulator.DefaultAccountID + ":assumed-role/"},
		{"AssumeRoleWithSAML", func() map[string]any {
			return emutest.Call(t, w.URL, emutest.Key{}, "AssumeRoleWithSAML", map[string]any{
				"SAMLAssertion": w.idp.Assertion(roleArn, now.Add(-time.Minute), now.Add(time.Hour)), "PrincipalArn": w.idp.Provider.PrincipalArn,
				"RoleArn": roleArn, "RoleSessionName": "alice", "DurationSeconds": 60})
		}, "CAMRole", emulator.DefaultAccountID, ":alice", emulator.DefaultAccountID, "qcs::sts:" + emulator.DefaultAccountID + ":assumed-role/"},
		{"GetSessionToken", func() map[string]any {
			return emutest.Call(t, w.URL, otherKey, "GetSessionToken", map[string]any{
				"SerialNumber": emutest.MFASerial(otherAccount), "TokenCode": emutest.TOTPCode("KRSXG5CTMVRXEZLUKN2XAZLSKNSWG4TFOQ", now), "DurationSeconds": 60})
		}, "CAMUser", otherAccount, otherAccount, otherAccount, "qcs::cam::uin/" + otherAccount + ":uin/" + otherAccount},
	}
	var temps []emutest.Key
	var roleIDs []string
	for _, src := range sources {
		tmp := credentials(t, src.get())
		temps = append(temps, tmp)
		id := emutest.Call(t, w.URL, tmp, "GetCallerIdentity", nil)
		if code(id) != "Success" || id["Type"] != src.typ || id["AccountId"] != src.acct || id["PrincipalId"] != src.principalID ||
			!strings.HasSuffix(str(id, "UserId"), src.userSuffix) || !strings.HasPrefix(str(id, "Arn"), src.arnPrefix) {
			t.Errorf("%s: GetCallerIdentity %v", src.name, id)
		}
		if src.typ == "CAMRole" {
			roleIDs = append(roleIDs, roleID(id))
			if !strings.HasSuffix(str(id, "Arn"), "/"+roleID(id)) {
				t.Errorf("%s: Arn %s does not end with the role ID of UserId %s", src.name, id["Arn"], id["UserId"])
			}
		}
		if got := code(emutest.Call(t, w.URL, tmp, "DescribeInstancesStatus", nil)); got != "Success" {
			t.Errorf("%s: DescribeInstancesStatus with its credential: %s", src.name, got)
		}
	}
	if roleIDs[0] != roleIDs[1] || roleIDs[1] != roleIDs[2] || len(roleIDs[0]) != 19 {
		t.Errorf("one role, one stable 19-digit role ID: %v", roleIDs)
	}
	// Permanent keys: each account's own identity.
	for caller, acct := range map[emutest.Key]string{emutest.DefaultKey: emulator.DefaultAccountID, otherKey: otherAccount} {
		id := emutest.Call(t, w.URL, caller, "GetCallerIdentity", nil)
		if id["Type"] != "CAMUser" || id["AccountId"] != acct || id["UserId"] != acct || id["PrincipalId"] != acct || id["Arn"] != "qcs::cam::uin/"+acct+":uin/"+acct {
			t.Errorf("%s: GetCallerIdentity %v", caller.SecretID, id)
		}
	}
	if got := code(emutest.Call(t, w.URL, emutest.DefaultKey, "GetCallerIdentity", map[string]any{"RoleArn": roleArn})); got != "UnknownParameter" {
		t.Errorf("GetCallerIdentity takes no parameter: %s", got)
	}

	// All of them last 60 s on the emulator's clock.
	w.clock.Advance(61 * time.Second)
	for i, tmp := range temps {
		if got := code(emutest.Call(t, w.URL, tmp, "DescribeInstancesStatus", nil)); got != "AuthFailure.TokenFailure" {
			t.Errorf("%s after expiry: %s", sources[i].name, got)
		}
	}
	// And revocation applies to each kind.
	now = w.clock.Now()
	fresh := []emutest.Key{credentials(t, w.webIdentity(t, nil))}
	fresh = append(fresh, credentials(t, emutest.Call(t, w.URL, emutest.Key{}, "AssumeRoleWithSAML", map[string]any{
		"SAMLAssertion": w.idp.Assertion(roleArn, now.Add(-time.Minute), now.Add(time.Hour)), "PrincipalArn": w.idp.Provider.PrincipalArn,
		"RoleArn": roleArn, "RoleSessionName": "alice"})))
	w.RevokeTemporaryCredentials()
	for _, tmp := range fresh {
		if got := code(emutest.Call(t, w.URL, tmp, "GetCallerIdentity", nil)); got != "AuthFailure.TokenFailure" {
			t.Errorf("revoked: %s", got)
		}
	}
}

func TestTOTPCodeRFC6238(t *testing.T) {
	// RFC 6238 appendix B, SHA-1: the 8-digit codes' last 6 digits.
	secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // base32 of "12345678901234567890"
	for unix, want := range map[int64]string{59: "287082", 1111111109: "081804", 1234567890: "005924", 2000000000: "279037"} {
		at := time.Unix(unix, 0)
		if got := emutest.TOTPCode(secret, at); got != want {
			t.Errorf("emutest.TOTPCode at %d: %s, want %s", unix, got, want)
		}
		if got := emulator.TOTPCodeForTest(secret, at); got != want {
			t.Errorf("the emulator's code at %d: %s, want %s", unix, got, want)
		}
	}
}

func TestIdentityInDataFile(t *testing.T) {
	dir := t.TempDir()
	iss := emutest.NewOIDCIssuer(t, "k8s")
	pemBytes, err := os.ReadFile(iss.Provider.PublicKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "oidc.pem"), pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	write := func(identity string) string {
		p := filepath.Join(dir, "data.json")
		if err := os.WriteFile(p, []byte(`{"credentials": [{"secret_id": "AKIDemulator", "secret_key": "emulator-secret"}],
"identity": `+identity+`}`), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cfg, err := emulator.LoadDataFile(write(`{
  "accounts": [{"AccountId": "200000000002", "SecretIds": ["AKIDemulator"]}],
  "oidc_providers": [{"ProviderId": "k8s", "Issuer": "` + iss.Provider.Issuer + `", "Audiences": ["sts.tencentcloudapi.com"], "PublicKeyFile": "oidc.pem"}],
  "saml_providers": [{"PrincipalArn": "qcs::cam::uin/200000000002:saml-provider/idp", "Issuer": "https://idp.example.com"}],
  "mfa_devices": [{"SerialNumber": "qcs::cam:uin/200000000002::mfa/softToken", "TOTPSecret": "JBSWY3DPEHPK3PXP"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Identity.OIDCProviders[0].PublicKeyFile; got != filepath.Join(dir, "oidc.pem") {
		t.Errorf("PublicKeyFile %q, want it resolved against the data file's directory", got)
	}
	e := emutest.Start(t, cfg, emutest.Options{})
	if id := emutest.Call(t, e.URL, emutest.DefaultKey, "GetCallerIdentity", nil); id["AccountId"] != "200000000002" {
		t.Errorf("the account of AKIDemulator: %v", id)
	}
	r := emutest.Call(t, e.URL, emutest.Key{}, "AssumeRoleWithWebIdentity", map[string]any{"ProviderId": "k8s", "RoleArn": "qcs::cam::uin/200000000002:roleName/pod",
		"RoleSessionName": "pod", "WebIdentityToken": iss.Token(emutest.STSAudience, "system:serviceaccount:ci:runner", time.Minute)})
	credentials(t, r)

	for _, tc := range []struct{ identity, want string }{
		{`{"oidc_providers": [{"ProviderId": "k8s", "Issuer": "i", "Audiences": ["a"], "PublicKeyFile": "missing.pem"}]}`, `identity.oidc_providers[0].PublicKeyFile (line 2, column 107)`},
		{`{"oidc_providers": [{"ProviderId": "k8s", "Issuer": "i", "Audiences": ["a"], "PublicKeyFile": "data.json"}]}`, "holds no PEM block"},
		{`{"oidc_providers": [{"ProviderId": "k8s", "Issuer": "i", "Audiences": [], "PublicKeyFile": "oidc.pem"}]}`, `identity.oidc_providers[0].Audiences`},
		{`{"accounts": [{"AccountId": "acme", "SecretIds": []}]}`, `identity.accounts[0].AccountId (line 2, column 41): "acme" is not an account ID`},
		{`{"saml_providers": [{"PrincipalArn": "idp", "Issuer": "x"}]}`, `identity.saml_providers[0].PrincipalArn`},
		{`{"mfa_devices": [{"SerialNumber": "s", "TOTPSecret": "not base32!"}]}`, `identity.mfa_devices[0].TOTPSecret`},
		{`{"mfa_devices": [{"SerialNumber": "s", "Secret": "A"}]}`, `identity.mfa_devices[0].Secret (line 2, column 52): unknown field "Secret"; the fields here are "SerialNumber" and "TOTPSecret"`},
	} {
		_, err := emulator.LoadDataFile(write(tc.identity))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.identity, err, tc.want)
		}
	}
}
