package emutest

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
)

// STSAudience is the audience OIDC tokens name for Tencent Cloud STS.
const STSAudience = "sts.tencentcloudapi.com"

// OIDCIssuer is an OpenID Connect identity provider for tests: it holds an
// RSA key and signs RS256 tokens that the emulator accepts when Provider is
// in Config.Identity.OIDCProviders.
type OIDCIssuer struct {
	// Provider is the entry for Config.Identity.OIDCProviders: Issuer
	// https://oidc.emulator.test/<providerID>, audience STSAudience, and
	// the public key written as PEM to a file in the test's temporary
	// directory (an absolute PublicKeyFile).
	Provider emulator.OIDCProvider
	key      *rsa.PrivateKey
}

// NewOIDCIssuer generates a 2048-bit RSA key for providerID.
func NewOIDCIssuer(t testing.TB, providerID string) *OIDCIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), providerID+".pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &OIDCIssuer{key: key, Provider: emulator.OIDCProvider{
		ProviderId:    providerID,
		Issuer:        "https://oidc.emulator.test/" + providerID,
		Audiences:     []string{STSAudience},
		PublicKeyFile: file,
	}}
}

// Mint signs claims, exactly as given, as an RS256 JWT.
func (o *OIDCIssuer) Mint(claims map[string]any) string {
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			panic(fmt.Sprintf("emutest: claims are not JSON: %v", err))
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signed := enc(map[string]string{"alg": "RS256", "typ": "JWT", "kid": o.Provider.ProviderId}) + "." + enc(claims)
	digest := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(nil, o.key, crypto.SHA256, digest[:])
	if err != nil {
		panic(fmt.Sprintf("emutest: signing: %v", err))
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// Token is a token from this issuer for aud and subject sub that expires
// ttl from now (the real clock). Its nbf is a minute ago, as issuers
// backdate it, so that an emulator clock a little behind accepts it.
func (o *OIDCIssuer) Token(aud, sub string, ttl time.Duration) string {
	now := time.Now()
	return o.Mint(map[string]any{
		"iss": o.Provider.Issuer, "aud": aud, "sub": sub,
		"iat": now.Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(ttl).Unix(),
	})
}

// SAMLIdP is a SAML 2.0 identity provider for tests. The emulator does not
// verify XML signatures, so its assertions are unsigned.
type SAMLIdP struct {
	// Provider is the entry for Config.Identity.SAMLProviders:
	// PrincipalArn qcs::cam::uin/<account>:saml-provider/<name>, Issuer
	// https://idp.emulator.test/<name>.
	Provider emulator.SAMLProvider
}

// NewSAMLIdP names a provider of account.
func NewSAMLIdP(account, name string) *SAMLIdP {
	return &SAMLIdP{Provider: emulator.SAMLProvider{
		PrincipalArn: "qcs::cam::uin/" + account + ":saml-provider/" + name,
		Issuer:       "https://idp.emulator.test/" + name,
	}}
}

// Assertion is the base64 SAMLAssertion of a successful response from this
// provider granting roleArn, valid from notBefore until notOnOrAfter.
func (p *SAMLIdP) Assertion(roleArn string, notBefore, notOnOrAfter time.Time) string {
	return SAMLResponse{
		Issuer: p.Provider.Issuer, Roles: []string{roleArn + "," + p.Provider.PrincipalArn},
		NotBefore: notBefore, NotOnOrAfter: notOnOrAfter,
	}.Base64()
}

// SAMLResponse builds any SAML 2.0 <samlp:Response>, to test the failures
// too. Zero times leave their Conditions attribute out.
type SAMLResponse struct {
	Issuer                  string
	Status                  string   // default urn:oasis:names:tc:SAML:2.0:status:Success
	Roles                   []string // values of the Role attribute: "roleArn,principalArn"
	NotBefore, NotOnOrAfter time.Time
}

var samlTemplate = template.Must(template.New("saml").Parse(`<?xml version="1.0" encoding="UTF-8"?>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_emutest-response" Version="2.0" IssueInstant="{{.Now}}" Destination="https://cloud.tencent.com/login/saml">
  <saml:Issuer>{{.Issuer}}</saml:Issuer>
  <samlp:Status><samlp:StatusCode Value="{{.Status}}"/></samlp:Status>
  <saml:Assertion ID="_emutest-assertion" Version="2.0" IssueInstant="{{.Now}}">
    <saml:Issuer>{{.Issuer}}</saml:Issuer>
    <saml:Subject><saml:NameID>emutest-user</saml:NameID></saml:Subject>
    <saml:Conditions{{with .NotBefore}} NotBefore="{{.}}"{{end}}{{with .NotOnOrAfter}} NotOnOrAfter="{{.}}"{{end}}>
      <saml:AudienceRestriction><saml:Audience>https://cloud.tencent.com</saml:Audience></saml:AudienceRestriction>
    </saml:Conditions>
    <saml:AttributeStatement>
      <saml:Attribute Name="https://cloud.tencent.com/SAML/Attributes/Role">{{range .Roles}}
        <saml:AttributeValue>{{.}}</saml:AttributeValue>{{end}}
      </saml:Attribute>
      <saml:Attribute Name="https://cloud.tencent.com/SAML/Attributes/RoleSessionName">
        <saml:AttributeValue>emutest-user</saml:AttributeValue>
      </saml:Attribute>
    </saml:AttributeStatement>
  </saml:Assertion>
</samlp:Response>
`))

// Base64 renders the response and encodes it as AssumeRoleWithSAML takes it.
func (r SAMLResponse) Base64() string {
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	if r.Status == "" {
		r.Status = "urn:oasis:names:tc:SAML:2.0:status:Success"
	}
	var b strings.Builder
	// text/template does not escape; the values are ARNs, URLs and URNs,
	// which hold no XML metacharacters.
	err := samlTemplate.Execute(&b, map[string]any{
		"Issuer": r.Issuer, "Status": r.Status, "Roles": r.Roles, "Now": stamp(time.Now()),
		"NotBefore": stamp(r.NotBefore), "NotOnOrAfter": stamp(r.NotOnOrAfter),
	})
	if err != nil {
		panic(fmt.Sprintf("emutest: SAML template: %v", err))
	}
	return base64.StdEncoding.EncodeToString([]byte(b.String()))
}

// MFASerial is the serial number of account's software MFA token, as the
// service writes it.
func MFASerial(account string) string { return "qcs::cam:uin/" + account + "::mfa/softToken" }

// TOTPCode is the RFC 6238 code (HMAC-SHA1, 6 digits, 30-second steps) of
// a base32 secret at time at: what an authenticator app shows then.
func TOTPCode(secret string, at time.Time) string {
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.TrimRight(strings.ToUpper(secret), "="))
	if err != nil {
		panic(fmt.Sprintf("emutest: TOTP secret %q is not base32: %v", secret, err))
	}
	m := hmac.New(sha1.New, key)
	_ = binary.Write(m, binary.BigEndian, uint64(at.Unix()/30))
	sum := m.Sum(nil)
	off := sum[19] & 0x0f
	return fmt.Sprintf("%06d", (binary.BigEndian.Uint32(sum[off:])&0x7fffffff)%1_000_000)
}
