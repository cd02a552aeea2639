package emutest_test

import (
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// TestHelpersAgainstTheEmulator drives every STS credential source with the
// helpers, as provider tests will, and checks what each credential is.
func TestHelpersAgainstTheEmulator(t *testing.T) {
	const account, secret = "300000000003", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	role := "qcs::cam::uin/" + account + ":roleName/ci"
	oidc := emutest.NewOIDCIssuer(t, "gitlab")
	idp := emutest.NewSAMLIdP(account, "okta")
	e := emutest.Start(t, emulator.Config{
		Regions: map[string][]emulator.Instance{"ap-guangzhou": emulator.GenerateInstances(3, 1)},
		Identity: emulator.Identity{
			Accounts:      []emulator.Account{{AccountId: account, SecretIds: []string{emulator.DefaultSecretID}}},
			OIDCProviders: []emulator.OIDCProvider{oidc.Provider},
			SAMLProviders: []emulator.SAMLProvider{idp.Provider},
			MFADevices:    []emulator.MFADevice{{SerialNumber: emutest.MFASerial(account), TOTPSecret: secret}},
		},
	}, emutest.Options{})
	key := emutest.DefaultKey
	if id := emutest.Call(t, e.URL, key, "GetCallerIdentity", nil); id["AccountId"] != account || id["Type"] != "CAMUser" {
		t.Fatalf("the default key: %v", id)
	}
	if c := emutest.ErrorCode(emutest.Call(t, e.URL, emutest.Key{SecretID: emulator.DefaultSecretID, SecretKey: "wrong"}, "GetCallerIdentity", nil)); c != "AuthFailure.SignatureFailure" {
		t.Fatalf("a wrong key: %q", c)
	}
	now := time.Now()
	for name, params := range map[string]map[string]any{
		"AssumeRoleWithWebIdentity": {"ProviderId": "gitlab", "WebIdentityToken": oidc.Token(emutest.STSAudience, "project:42", time.Minute), "RoleArn": role, "RoleSessionName": "pipeline"},
		"AssumeRoleWithSAML":        {"SAMLAssertion": idp.Assertion(role, now.Add(-time.Minute), now.Add(time.Minute)), "PrincipalArn": idp.Provider.PrincipalArn, "RoleArn": role, "RoleSessionName": "pipeline"},
		"GetSessionToken":           {"SerialNumber": emutest.MFASerial(account), "TokenCode": emutest.TOTPCode(secret, now)},
	} {
		signer := emutest.Key{}
		if name == "GetSessionToken" {
			signer = key
		}
		resp := emutest.Call(t, e.URL, signer, name, params)
		if c := emutest.ErrorCode(resp); c != "" {
			t.Fatalf("%s: %s %v", name, c, resp["Error"])
		}
		creds, _ := resp["Credentials"].(map[string]any)
		str := func(k string) string { v, _ := creds[k].(string); return v }
		tmp := emutest.Key{SecretID: str("TmpSecretId"), SecretKey: str("TmpSecretKey"), Token: str("Token")}
		if list := emutest.Call(t, e.URL, tmp, "DescribeInstancesStatus", nil); list["TotalCount"] != 3.0 {
			t.Errorf("%s: DescribeInstancesStatus with its credential: %v", name, list)
		}
		if id := emutest.Call(t, e.URL, tmp, "GetCallerIdentity", nil); id["AccountId"] != account {
			t.Errorf("%s: GetCallerIdentity %v", name, id)
		}
	}
}
