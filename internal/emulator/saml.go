package emulator

import (
	"encoding/base64"
	"encoding/xml"
	"strings"
	"time"
)

// SAML names the emulator checks.
const (
	samlProtocolNS    = "urn:oasis:names:tc:SAML:2.0:protocol"
	samlStatusSuccess = "urn:oasis:names:tc:SAML:2.0:status:Success"
	samlRoleAttribute = "https://cloud.tencent.com/SAML/Attributes/Role"
)

// samlResponse is the part of a SAML 2.0 <samlp:Response> the emulator
// reads. Elements match by local name, whatever their prefix.
type samlResponse struct {
	XMLName xml.Name
	Issuer  string `xml:"Issuer"`
	Status  struct {
		Code struct {
			Value string `xml:"Value,attr"`
		} `xml:"StatusCode"`
	} `xml:"Status"`
	Assertion *struct {
		Issuer     string `xml:"Issuer"`
		Conditions *struct {
			NotBefore    string `xml:"NotBefore,attr"`
			NotOnOrAfter string `xml:"NotOnOrAfter,attr"`
		} `xml:"Conditions"`
		Attributes []struct {
			Name   string   `xml:"Name,attr"`
			Values []string `xml:"AttributeValue"`
		} `xml:"AttributeStatement>Attribute"`
	} `xml:"Assertion"`
}

// checkSAMLAssertion checks a base64 SAML response as AssumeRoleWithSAML
// does, except for its XML signature, which the emulator does not verify:
// the issuer is the provider's, the Conditions window holds now, and the
// role attribute grants roleArn through the provider. Malformed or
// untrusted assertions are InvalidParameter.ParamError; one that does not
// grant the role is UnauthorizedOperation.
func checkSAMLAssertion(p SAMLProvider, assertion, roleArn string, now time.Time) *apiError {
	bad := func(format string, args ...any) *apiError {
		return newError("InvalidParameter.ParamError", "The SAMLAssertion is invalid: "+format+".", args...)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(assertion), ""))
	if err != nil {
		return bad("it is not base64 (%v)", err)
	}
	var resp samlResponse
	if err := xml.Unmarshal(raw, &resp); err != nil {
		return bad("it is not XML (%v)", err)
	}
	if resp.XMLName.Local != "Response" || resp.XMLName.Space != samlProtocolNS {
		return bad("the document is <%s> in namespace %q, not a SAML 2.0 <Response> (%s)", resp.XMLName.Local, resp.XMLName.Space, samlProtocolNS)
	}
	if c := resp.Status.Code.Value; c != "" && c != samlStatusSuccess {
		return bad("the response status is %s, not Success", c)
	}
	a := resp.Assertion
	if a == nil {
		return bad("the response holds no <Assertion> (encrypted assertions are not supported)")
	}
	issuer := strings.TrimSpace(a.Issuer)
	if issuer == "" {
		issuer = strings.TrimSpace(resp.Issuer)
	}
	if issuer != p.Issuer {
		return bad("the issuer is %q; provider %s trusts %q", issuer, p.PrincipalArn, p.Issuer)
	}
	if a.Conditions == nil || a.Conditions.NotOnOrAfter == "" {
		return bad("the assertion has no <Conditions NotOnOrAfter=…>, so it would never expire")
	}
	notAfter, err := time.Parse(time.RFC3339, a.Conditions.NotOnOrAfter)
	if err != nil {
		return bad("Conditions NotOnOrAfter %q is not a time such as 2006-01-02T15:04:05Z", a.Conditions.NotOnOrAfter)
	}
	if !now.Before(notAfter) {
		return bad("the assertion expired at %s (NotOnOrAfter); the time is %s", notAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if nb := a.Conditions.NotBefore; nb != "" {
		notBefore, err := time.Parse(time.RFC3339, nb)
		switch {
		case err != nil:
			return bad("Conditions NotBefore %q is not a time such as 2006-01-02T15:04:05Z", nb)
		case now.Before(notBefore):
			return bad("the assertion is not valid before %s (NotBefore); the time is %s", notBefore.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
		}
	}
	var granted []string
	for _, attr := range a.Attributes {
		if attr.Name != samlRoleAttribute {
			continue
		}
		for _, v := range attr.Values {
			role, principal, _ := strings.Cut(strings.TrimSpace(v), ",")
			role, principal = strings.TrimSpace(role), strings.TrimSpace(principal)
			if (role == roleArn && principal == p.PrincipalArn) || (principal == roleArn && role == p.PrincipalArn) {
				return nil
			}
			granted = append(granted, strings.TrimSpace(v))
		}
	}
	return newError("UnauthorizedOperation", "The SAMLAssertion does not grant role %s through %s: its %s attribute holds %q; add the value \"%s,%s\".",
		roleArn, p.PrincipalArn, samlRoleAttribute, granted, roleArn, p.PrincipalArn)
}
