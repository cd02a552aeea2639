package tcapi

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

// The known answers published in the Tencent Cloud API 3.0 signature
// documentation (see API-NOTES): if these drift, every real request fails
// with AuthFailure.SignatureFailure.
const (
	docSecretID  = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
	docSecretKey = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
)

func TestTC3KnownAnswerPOST(t *testing.T) {
	req := tc3Request{
		Method:      "POST",
		Host:        "cvm.tencentcloudapi.com",
		ContentType: "application/json; charset=utf-8",
		Payload:     []byte(`{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`),
		Service:     "cvm",
		Timestamp:   time.Unix(1551113065, 0),
	}
	payloadHash := sha256.Sum256(req.Payload)
	if got, want := hex.EncodeToString(payloadHash[:]), "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"; got != want {
		t.Fatalf("payload hash = %s, want %s", got, want)
	}
	canonical := sha256.Sum256([]byte(req.canonicalRequest()))
	if got, want := hex.EncodeToString(canonical[:]), "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"; got != want {
		t.Fatalf("hashed canonical request = %s, want %s", got, want)
	}
	want := "TC3-HMAC-SHA256 Credential=" + docSecretID + "/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
	if got := req.authorization(docSecretID, docSecretKey); got != want {
		t.Fatalf("authorization =\n %s\nwant\n %s", got, want)
	}
}

func TestTC3KnownAnswerGET(t *testing.T) {
	req := tc3Request{
		Method:      "GET",
		Host:        "cvm.tencentcloudapi.com",
		Query:       "Limit=10&Offset=0",
		ContentType: "application/x-www-form-urlencoded",
		Service:     "cvm",
		Timestamp:   time.Unix(1539084154, 0),
	}
	got := req.authorization(docSecretID, docSecretKey)
	if !strings.HasSuffix(got, "Signature=5da7a33f6993f0614b047e5df4582db9e9bf4672ba50567dba16c6ccf174c474") {
		t.Fatalf("authorization = %s, want the documented signature 5da7a33f…", got)
	}
	if !strings.Contains(got, "/2018-10-09/cvm/tc3_request") {
		t.Fatalf("authorization = %s, want the UTC date of the timestamp in the scope", got)
	}
}
