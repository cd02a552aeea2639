package emulator_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

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
