package emulator_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

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
