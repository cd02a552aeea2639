package emulator

// The emulator's own implementation of the two signature schemes. It shares
// nothing with the project's client on purpose: the tests check it against
// the official known answers, so two independent implementations agreeing is
// evidence that both are right.

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"sort"
	"strings"
	"time"
)

const (
	tc3Algorithm  = "TC3-HMAC-SHA256"
	tc3Terminator = "tc3_request"
	methodSHA1    = "HmacSHA1"
	methodSHA256  = "HmacSHA256"
)

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// tc3Date is the credential-scope date of a TC3 timestamp: its UTC date.
func tc3Date(timestamp int64) string {
	return time.Unix(timestamp, 0).UTC().Format(time.DateOnly)
}

// tc3CanonicalRequest joins the parts of a TC3 canonical request.
// canonicalHeaders holds one "name:value\n" line per signed header.
func tc3CanonicalRequest(method, uri, query, canonicalHeaders, signedHeaders, payloadHash string) string {
	return method + "\n" + uri + "\n" + query + "\n" + canonicalHeaders + "\n" + signedHeaders + "\n" + payloadHash
}

// tc3StringToSign builds the string to sign from the canonical request.
func tc3StringToSign(timestamp, date, service, canonicalRequest string) string {
	return tc3Algorithm + "\n" + timestamp + "\n" + date + "/" + service + "/" + tc3Terminator + "\n" +
		sha256Hex([]byte(canonicalRequest))
}

// tc3SigningKey derives the key for one secret, date and service.
func tc3SigningKey(secretKey, date, service string) []byte {
	k := hmacSHA256([]byte("TC3"+secretKey), date)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, tc3Terminator)
}

// tc3Sign returns the hex signature of stringToSign.
func tc3Sign(signingKey []byte, stringToSign string) string {
	return hex.EncodeToString(hmacSHA256(signingKey, stringToSign))
}

// v1StringToSign builds the signature v1 string: METHOD host path "?" and the
// parameters sorted by name as raw name=value pairs, Signature left out.
func v1StringToSign(method, host, path string, params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(method)
	b.WriteString(host)
	b.WriteString(path)
	b.WriteByte('?')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(params[k])
	}
	return b.String()
}

// v1Sign returns base64(HMAC(secretKey, s)); method HmacSHA256 selects
// SHA-256, anything else SHA-1 (as the service documents).
func v1Sign(secretKey, s, method string) string {
	h := sha1.New
	if method == methodSHA256 {
		h = sha256.New
	}
	m := hmac.New(h, []byte(secretKey))
	m.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// equalSignature compares signatures in constant time.
func equalSignature(a, b string) bool {
	return hmac.Equal([]byte(a), []byte(b))
}
