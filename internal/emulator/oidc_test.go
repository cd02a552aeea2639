package emulator_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

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
