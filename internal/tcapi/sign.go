package tcapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

const tc3Algorithm = "TC3-HMAC-SHA256"

// tc3Request is what TC3-HMAC-SHA256 signs: a POST of a JSON payload or a GET
// of a query string, to one host, for one service.
type tc3Request struct {
	Method      string // "POST" or "GET"
	Host        string // the Host header, with the port when there is one
	Query       string // canonical query string; empty for POST
	ContentType string
	Payload     []byte // empty for GET
	Service     string // "cvm", "sts"
	Timestamp   time.Time
}

// authorization returns the Authorization header value for req signed with
// the given credential. The key never leaves this function.
func (req tc3Request) authorization(secretID, secretKey string) string {
	date := req.Timestamp.UTC().Format("2006-01-02")
	scope := date + "/" + req.Service + "/tc3_request"
	signature := hex.EncodeToString(hmacSHA256(req.signingKey(secretKey, date), req.stringToSign(scope)))

	var b strings.Builder
	b.Grow(160)
	b.WriteString(tc3Algorithm)
	b.WriteString(" Credential=")
	b.WriteString(secretID)
	b.WriteByte('/')
	b.WriteString(scope)
	b.WriteString(", SignedHeaders=content-type;host, Signature=")
	b.WriteString(signature)
	return b.String()
}

func (req tc3Request) canonicalRequest() string {
	payloadHash := sha256.Sum256(req.Payload)
	return req.Method + "\n/\n" + req.Query + "\n" +
		"content-type:" + req.ContentType + "\n" +
		"host:" + req.Host + "\n\n" +
		"content-type;host\n" +
		hex.EncodeToString(payloadHash[:])
}

func (req tc3Request) stringToSign(scope string) string {
	hashed := sha256.Sum256([]byte(req.canonicalRequest()))
	return tc3Algorithm + "\n" +
		strconv.FormatInt(req.Timestamp.Unix(), 10) + "\n" +
		scope + "\n" +
		hex.EncodeToString(hashed[:])
}

func (req tc3Request) signingKey(secretKey, date string) []byte {
	kDate := hmacSHA256([]byte("TC3"+secretKey), date)
	kService := hmacSHA256(kDate, req.Service)
	return hmacSHA256(kService, "tc3_request")
}

func hmacSHA256(key []byte, msg string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msg))
	return mac.Sum(nil)
}
