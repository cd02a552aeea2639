package emulator_test

import (
	"regexp"
	"testing"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

const (
	docSecretID  = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
	docSecretKey = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
)

// Known answer A of the official TC3 documentation (POST).
func TestTC3KnownAnswerPOST(t *testing.T) {
	payload := `{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`
	if got, want := emulator.SHA256Hex([]byte(payload)), "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"; got != want {
		t.Fatalf("payload hash %s, want %s", got, want)
	}
	const ts = 1551113065
	date := emulator.TC3Date(ts)
	if date != "2019-02-25" {
		t.Fatalf("date %s, want 2019-02-25 (UTC)", date)
	}
	cr := emulator.TC3CanonicalRequest("POST", "/", "", "content-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n", "content-type;host", emulator.SHA256Hex([]byte(payload)))
	if got, want := emulator.SHA256Hex([]byte(cr)), "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"; got != want {
		t.Fatalf("canonical request hash %s, want %s", got, want)
	}
	sig := emulator.TC3Sign(emulator.TC3SigningKey(docSecretKey, date, "cvm"), emulator.TC3StringToSign("1551113065", date, "cvm", cr))
	if want := "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"; sig != want {
		t.Fatalf("signature %s, want %s", sig, want)
	}
}

// Known answer B of the official TC3 documentation (GET).
func TestTC3KnownAnswerGET(t *testing.T) {
	const ts = 1539084154
	date := emulator.TC3Date(ts)
	if date != "2018-10-09" {
		t.Fatalf("date %s, want 2018-10-09", date)
	}
	cr := emulator.TC3CanonicalRequest("GET", "/", "Limit=10&Offset=0", "content-type:application/x-www-form-urlencoded\nhost:cvm.tencentcloudapi.com\n", "content-type;host", emulator.SHA256Hex(nil))
	sig := emulator.TC3Sign(emulator.TC3SigningKey(docSecretKey, date, "cvm"), emulator.TC3StringToSign("1539084154", date, "cvm", cr))
	if want := "5da7a33f6993f0614b047e5df4582db9e9bf4672ba50567dba16c6ccf174c474"; sig != want {
		t.Fatalf("signature %s, want %s", sig, want)
	}
}

// The official signature v1 answer (HmacSHA1).
func TestV1KnownAnswer(t *testing.T) {
	params := map[string]string{
		"Action": "DescribeInstances", "InstanceIds.0": "ins-09dx96dg", "Limit": "20", "Nonce": "11886",
		"Offset": "0", "Region": "ap-guangzhou", "SecretId": docSecretID, "Timestamp": "1465185768",
		"Version": "2017-03-12", "Signature": "ignored",
	}
	s := emulator.V1StringToSign("GET", "cvm.tencentcloudapi.com", "/", params)
	want := "GETcvm.tencentcloudapi.com/?Action=DescribeInstances&InstanceIds.0=ins-09dx96dg&Limit=20&Nonce=11886&Offset=0&Region=ap-guangzhou&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE&Timestamp=1465185768&Version=2017-03-12"
	if s != want {
		t.Fatalf("string to sign\n%s\nwant\n%s", s, want)
	}
	if got := emulator.V1Sign(docSecretKey, s, emulator.MethodSHA1); got != "EliP9YW3pW28FpsEdkXt/+WcGeI=" {
		t.Fatalf("signature %s, want EliP9YW3pW28FpsEdkXt/+WcGeI=", got)
	}
	if emulator.V1Sign(docSecretKey, s, "") != emulator.V1Sign(docSecretKey, s, emulator.MethodSHA1) {
		t.Fatal("an absent SignatureMethod must mean HmacSHA1")
	}
	if emulator.V1Sign(docSecretKey, s, emulator.MethodSHA256) == emulator.V1Sign(docSecretKey, s, emulator.MethodSHA1) {
		t.Fatal("HmacSHA256 must differ from HmacSHA1")
	}
}
