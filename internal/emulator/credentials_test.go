package emulator_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

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
