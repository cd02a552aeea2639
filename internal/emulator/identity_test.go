package emulator_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

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
	s := emutest.Listen(t, cfg)
	if id := emutest.Call(t, s.URL(), emutest.DefaultKey, "GetCallerIdentity", nil); id["AccountId"] != "200000000002" {
		t.Errorf("the account of AKIDemulator: %v", id)
	}
	r := emutest.Call(t, s.URL(), emutest.Key{}, "AssumeRoleWithWebIdentity", map[string]any{"ProviderId": "k8s", "RoleArn": "qcs::cam::uin/200000000002:roleName/pod",
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
