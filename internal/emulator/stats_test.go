package emulator_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// TestStatsSayWhoSigned: GET /_emulator/stats counts the requests of each
// SecretId that signed, and says whose it is: the account of a permanent
// key; for a temporary one, the action that issued it, the role and session
// and the identity provider it was issued for. No secret key or token is in
// the answer. The log names the identity provider and the role of the
// unsigned actions, which have no SecretId.
func TestStatsSayWhoSigned(t *testing.T) {
	var log emutest.LockedBuffer
	w := newLoggedSTSWorld(t, slog.New(slog.NewTextHandler(&log, nil)))
	now := w.clock.Now()
	read := func(k emutest.Key, times int) {
		t.Helper()
		for range times {
			if c := code(emutest.Call(t, w.URL, k, "DescribeInstancesStatus", nil)); c != "Success" {
				t.Fatalf("a read with %s: %s", k.SecretID, c)
			}
		}
	}
	role := credentials(t, emutest.Call(t, w.URL, otherKey, "AssumeRole", map[string]any{"RoleArn": roleArn, "RoleSessionName": "ops"}))
	web := credentials(t, w.webIdentity(t, nil))
	saml := credentials(t, emutest.Call(t, w.URL, emutest.Key{}, "AssumeRoleWithSAML", map[string]any{
		"SAMLAssertion": w.idp.Assertion(roleArn, now.Add(-time.Minute), now.Add(time.Hour)), "PrincipalArn": w.idp.Provider.PrincipalArn,
		"RoleArn": roleArn, "RoleSessionName": "alice"}))
	session := credentials(t, emutest.Call(t, w.URL, emutest.DefaultKey, "GetSessionToken", map[string]any{
		"SerialNumber": emutest.MFASerial(emulator.DefaultAccountID), "TokenCode": emutest.TOTPCode(mfaSecret, now)}))
	metadata := func() emutest.Key {
		resp, err := http.Get(w.URL + "/latest/meta-data/cam/security-credentials/" + emulator.DefaultCAMRoleName)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		var c struct{ TmpSecretId, TmpSecretKey, Token string }
		if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
			t.Fatal(err)
		}
		return emutest.Key{SecretID: c.TmpSecretId, SecretKey: c.TmpSecretKey, Token: c.Token}
	}()
	read(metadata, 1)
	read(emutest.DefaultKey, 2)
	read(role, 3)
	read(web, 1)
	read(saml, 1)
	read(session, 1)
	// A wrong signature proves nothing about who sent it: not counted.
	emutest.Call(t, w.URL, emutest.Key{SecretID: otherKey.SecretID, SecretKey: "wrong"}, "GetCallerIdentity", nil)
	// A revoked key that signed right still counts, with its error.
	w.RevokeTemporaryCredentials()
	emutest.Call(t, w.URL, role, "GetCallerIdentity", nil)

	resp, err := http.Get(w.URL + "/_emulator/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var st emulator.Stats
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatalf("stats: %v: %s", err, body)
	}
	want := map[string]emulator.SignerStats{
		emulator.DefaultSecretID: {Requests: 3, ByCode: map[string]int64{"Success": 3}, Account: emulator.DefaultAccountID},
		otherKey.SecretID:        {Requests: 1, ByCode: map[string]int64{"Success": 1}, Account: otherAccount},
		role.SecretID: {Requests: 4, ByCode: map[string]int64{"Success": 3, "AuthFailure.TokenFailure": 1}, Account: emulator.DefaultAccountID,
			Temporary: true, IssuedBy: "AssumeRole", Role: roleArn, Session: "ops"},
		web.SecretID: {Requests: 1, ByCode: map[string]int64{"Success": 1}, Account: emulator.DefaultAccountID,
			Temporary: true, IssuedBy: "AssumeRoleWithWebIdentity", Role: roleArn, Session: "ci", Provider: "github"},
		saml.SecretID: {Requests: 1, ByCode: map[string]int64{"Success": 1}, Account: emulator.DefaultAccountID,
			Temporary: true, IssuedBy: "AssumeRoleWithSAML", Role: roleArn, Session: "alice", Provider: w.idp.Provider.PrincipalArn},
		session.SecretID: {Requests: 1, ByCode: map[string]int64{"Success": 1}, Account: emulator.DefaultAccountID,
			Temporary: true, IssuedBy: "GetSessionToken"},
		metadata.SecretID: {Requests: 1, ByCode: map[string]int64{"Success": 1}, Account: emulator.DefaultAccountID, Temporary: true,
			IssuedBy: "metadata", Role: "qcs::cam::uin/" + emulator.DefaultAccountID + ":roleName/" + emulator.DefaultCAMRoleName, Session: "cvm-instance"},
	}
	if len(st.BySecretID) != len(want) {
		t.Errorf("by_secret_id has %d SecretIds, want %d: %s", len(st.BySecretID), len(want), body)
	}
	for id, w := range want {
		got, ok := st.BySecretID[id]
		if !ok || got.Requests != w.Requests || got.Account != w.Account || got.Temporary != w.Temporary || got.IssuedBy != w.IssuedBy ||
			got.Role != w.Role || got.Session != w.Session || got.Provider != w.Provider || len(got.ByCode) != len(w.ByCode) {
			t.Errorf("by_secret_id[%s] = %+v, want %+v", id, got, w)
			continue
		}
		for c, n := range w.ByCode {
			if got.ByCode[c] != n {
				t.Errorf("by_secret_id[%s].by_code[%s] = %d, want %d", id, c, got.ByCode[c], n)
			}
		}
	}
	for _, k := range []emutest.Key{emutest.DefaultKey, otherKey, role, web, saml, session, metadata} {
		for _, secret := range []string{k.SecretKey, k.Token} {
			if secret != "" && strings.Contains(string(body), secret) {
				t.Errorf("the stats hold a secret key or token of %s", k.SecretID)
			}
		}
	}
	if w.ResetStats(); len(w.Stats().BySecretID) != 0 {
		t.Errorf("after a reset: %v", w.Stats().BySecretID)
	}

	// The unsigned actions' log lines name who vouched and for which role.
	for _, tc := range []struct{ action, by string }{
		{"AssumeRoleWithWebIdentity", `by="OIDC provider github"`},
		{"AssumeRoleWithSAML", `by="SAML provider ` + w.idp.Provider.PrincipalArn + `"`},
	} {
		var request, issued string
		for _, line := range strings.Split(log.String(), "\n") {
			switch {
			case strings.Contains(line, `msg="api request"`) && strings.Contains(line, "action="+tc.action):
				request = line
			case strings.Contains(line, `msg="temporary credential issued"`) && strings.Contains(line, "action="+tc.action):
				issued = line
			}
		}
		for what, line := range map[string]string{"api request": request, "temporary credential issued": issued} {
			if !strings.Contains(line, tc.by) || !strings.Contains(line, "role="+roleArn) {
				t.Errorf("%s: the %q line %q lacks %s and role=%s", tc.action, what, line, tc.by, roleArn)
			}
			if strings.Contains(line, `by=""`) || strings.Contains(line, `secret_id=""`) {
				t.Errorf("%s: the %q line %q has an empty by or secret_id", tc.action, what, line)
			}
		}
		if !strings.Contains(request, "signature=SKIP") {
			t.Errorf("%s: the request line %q does not say it was sent unsigned (signature=SKIP)", tc.action, request)
		}
	}
}
