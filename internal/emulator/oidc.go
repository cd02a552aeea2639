package emulator

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// verifyWebIdentityToken checks an OIDC token as AssumeRoleWithWebIdentity
// does: an RS256 JWT signed by the provider's key, from its issuer, for one
// of its audiences, within its validity. The error says which check failed.
func verifyWebIdentityToken(p oidcProvider, token string, now time.Time) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return fmt.Errorf("the token is not a JWT (three base64url parts separated by dots)")
	}
	var header struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Iss string          `json:"iss"`
		Aud json.RawMessage `json:"aud"`
		Exp *json.Number    `json:"exp"`
		Nbf *json.Number    `json:"nbf"`
	}
	if err := decodeJWTPart(parts[0], &header); err != nil {
		return fmt.Errorf("the token header: %v", err)
	}
	if header.Alg != "RS256" {
		return fmt.Errorf("the token is signed with %q; only RS256 is accepted", header.Alg)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return fmt.Errorf("the token signature is not base64url: %v", err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(p.key, crypto.SHA256, digest[:], sig); err != nil {
		return fmt.Errorf("the token signature does not verify with the public key of provider %s", p.ProviderId)
	}
	if err := decodeJWTPart(parts[1], &claims); err != nil {
		return fmt.Errorf("the token claims: %v", err)
	}
	if claims.Iss != p.Issuer {
		return fmt.Errorf("the token issuer (iss) is %q; provider %s trusts %q", claims.Iss, p.ProviderId, p.Issuer)
	}
	var auds []string
	var one string
	if json.Unmarshal(claims.Aud, &one) == nil {
		auds = []string{one}
	} else if json.Unmarshal(claims.Aud, &auds) != nil {
		return fmt.Errorf("the token audience (aud) is missing or neither a string nor an array of strings")
	}
	if !slices.ContainsFunc(auds, func(a string) bool { return slices.Contains(p.Audiences, a) }) {
		return fmt.Errorf("the token audience (aud) %q is not one of provider %s's: %q", auds, p.ProviderId, p.Audiences)
	}
	if claims.Exp == nil {
		return fmt.Errorf("the token has no expiry (exp)")
	}
	exp, err := numericDate(claims.Exp)
	switch {
	case err != nil:
		return fmt.Errorf("the token expiry (exp) %v", err)
	case !now.Before(exp):
		return fmt.Errorf("the token expired at %s (exp); the time is %s", exp.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if claims.Nbf != nil {
		nbf, err := numericDate(claims.Nbf)
		switch {
		case err != nil:
			return fmt.Errorf("the token start (nbf) %v", err)
		case now.Before(nbf):
			return fmt.Errorf("the token is not valid before %s (nbf); the time is %s", nbf.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

func decodeJWTPart(part string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return fmt.Errorf("not base64url: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("not a JSON object: %v", err)
	}
	return nil
}

// numericDate reads a JWT NumericDate: seconds since the epoch.
func numericDate(n *json.Number) (time.Time, error) {
	f, err := n.Float64()
	if err != nil {
		return time.Time{}, fmt.Errorf("is not a number of seconds: %v", err)
	}
	return time.Unix(0, 0).Add(time.Duration(f * float64(time.Second))), nil
}
