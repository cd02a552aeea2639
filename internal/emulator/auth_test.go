package emulator_test

import (
	"bytes"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

func TestBareHostSignaturesAccepted(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances()})
	bare := "127.0.0.1"
	a := do(t, tc3Call{action: cvmAction, version: cvmVersion, region: testRegion, body: `{"InstanceIds":["ins-r8hr2upy"]}`, signedHost: bare}.request(t, s))
	wantCode(t, a, "Success")
	if !slices.Equal(a.ids(), []string{"ins-r8hr2upy"}) {
		t.Errorf("TC3 bare host: %v", a.ids())
	}
	for _, method := range []string{"GET", "POST"} {
		for _, sm := range []string{"", emulator.MethodSHA1, emulator.MethodSHA256} {
			a = do(t, v1Call{method: method, signMethod: sm, signedHost: bare, params: map[string]string{
				"Action": cvmAction, "Version": cvmVersion, "Region": testRegion, "InstanceIds.0": "ins-5d8a23rs",
			}}.request(t, s))
			wantCode(t, a, "Success")
			if !slices.Equal(a.ids(), []string{"ins-5d8a23rs"}) {
				t.Errorf("v1 %s %q bare host: %v", method, sm, a.ids())
			}
		}
	}
	// Some other host is still refused.
	a = do(t, tc3Call{action: cvmAction, version: cvmVersion, region: testRegion, body: `{}`, signedHost: "cvm.tencentcloudapi.com"}.request(t, s))
	wantCode(t, a, "AuthFailure.SignatureFailure")
}

func TestAuthorizationHeaderProblems(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances()})
	base := tc3Call{action: cvmAction, version: cvmVersion, region: testRegion, body: `{}`}
	for name, mutate := range map[string]func(*http.Request){
		"no header": func(r *http.Request) { r.Header.Del("Authorization") },
		"bad algorithm": func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "TC3-HMAC-SHA256", "TC3-HMAC-SHA1", 1))
		},
		"missing signature": func(r *http.Request) {
			h := r.Header.Get("Authorization")
			r.Header.Set("Authorization", h[:strings.Index(h, ", Signature=")])
		},
		"scope date": func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/"+emulator.TC3Date(time.Now().Unix())+"/", "/2001-01-01/", 1))
		},
	} {
		req := base.request(t, s)
		mutate(req)
		wantCodeNamed(t, name, do(t, req), "AuthFailure.InvalidAuthorization")
	}
	// UNSIGNED-PAYLOAD is honoured.
	req := base.request(t, s)
	req.Header.Set("X-TC-Content-SHA256", "UNSIGNED-PAYLOAD")
	wantCode(t, do(t, req), "AuthFailure.SignatureFailure") // the signature covered the payload hash
	// v1 without its parameters.
	req = v1Call{params: map[string]string{"Action": cvmAction, "Version": cvmVersion, "Region": testRegion}}.request(t, s)
	q := req.URL.Query()
	q.Del("Nonce")
	req.URL.RawQuery = q.Encode()
	a := do(t, req)
	wantCode(t, a, "MissingParameter")
	if !strings.Contains(a.Response.Error.Message, "Nonce") {
		t.Errorf("message %q", a.Response.Error.Message)
	}
}

// Canonical header values are accepted as sent and lowercased, as the
// documentation shows them.
func TestTC3HeaderValueVariants(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances()})
	c := tc3Call{action: cvmAction, version: cvmVersion, region: testRegion, body: `{}`, contentType: "application/json; charset=utf-8"}
	wantCode(t, do(t, c.request(t, s)), "Success")
	// Signed lowercase, sent with uppercase letters.
	req := c.request(t, s)
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	wantCode(t, do(t, req), "Success")
	// Signed with uppercase letters, sent the same.
	c.contentType = "application/json; charset=UTF-8"
	wantCode(t, do(t, c.request(t, s)), "Success")
}

// TestAuthenticateJudgesAgainstOneState: a request is authenticated and
// attributed against the one authState it is given. A Reload between
// loading the state and checking the key must not let a key of the new
// credentials be charged to the old accounts (the rate-limit bucket,
// GetCallerIdentity and the role account rule all follow the caller).
func TestAuthenticateJudgesAgainstOneState(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances()})
	old := s.AuthStateForTest()
	reloaded, err := emulator.NewAuthState(
		[]emulator.Credential{{SecretID: "AKIDreloaded", SecretKey: "reloaded-key"}},
		emulator.Identity{Accounts: []emulator.Account{{AccountId: "200000000002", SecretIds: []string{"AKIDreloaded"}}}},
		"Credentials", "Identity", nil)
	if err != nil {
		t.Fatal(err)
	}
	r, perr := emulator.ParseRequest(tc3Call{action: "GetCallerIdentity", version: emulator.STSVersion, service: "sts",
		secretID: "AKIDreloaded", secretKey: "reloaded-key", body: `{}`}.request(t, s))
	if perr != nil {
		t.Fatal(perr)
	}
	now := s.NowForTest()
	id, sec, aerr := s.AuthenticateForTest(reloaded, r, "sts", now)
	if aerr != nil || id != "AKIDreloaded" {
		t.Fatalf("against the state that has the key: %q %+v", id, aerr)
	}
	if want := emulator.AccountPrincipal("200000000002"); sec.Who() != want {
		t.Errorf("caller %+v, want %+v: the account of the state that accepted the key", sec.Who(), want)
	}
	if _, _, aerr := s.AuthenticateForTest(old, r, "sts", now); aerr == nil || aerr.Code != "AuthFailure.SecretIdNotFound" {
		t.Errorf("against the state without the key: %+v, want AuthFailure.SecretIdNotFound", aerr)
	}

	// A temporary credential is found, and attributed, by the same lookup.
	tmp := assumeRoleRaw(t, s)
	r, perr = emulator.ParseRequest(tmp.listing().request(t, s))
	if perr != nil {
		t.Fatal(perr)
	}
	_, sec, aerr = s.AuthenticateForTest(reloaded, r, "cvm", now)
	if aerr != nil || sec.Who().Type != "CAMRole" || !sec.Temporary() {
		t.Errorf("temporary credential: %+v %+v", sec.Who(), aerr)
	}
}

func TestParseTC3Authorization(t *testing.T) {
	good := "TC3-HMAC-SHA256 Credential=AKIDx/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
	a, err := emulator.ParseTC3Authorization(good)
	if err != nil {
		t.Fatalf("good header refused: %v", err.Message)
	}
	if a.SecretID() != "AKIDx" || a.Date() != "2019-02-25" || a.Service() != "cvm" {
		t.Fatalf("parsed %+v", a)
	}
	for name, h := range map[string]string{
		"algorithm":       "HMAC-SHA256 Credential=AKIDx/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168",
		"no signature":    "TC3-HMAC-SHA256 Credential=AKIDx/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host",
		"short scope":     "TC3-HMAC-SHA256 Credential=AKIDx/2019-02-25/cvm, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168",
		"bad terminator":  "TC3-HMAC-SHA256 Credential=AKIDx/2019-02-25/cvm/tc4_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168",
		"bad date":        "TC3-HMAC-SHA256 Credential=AKIDx/20190225/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168",
		"no host signed":  "TC3-HMAC-SHA256 Credential=AKIDx/2019-02-25/cvm/tc3_request, SignedHeaders=content-type, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168",
		"short signature": "TC3-HMAC-SHA256 Credential=AKIDx/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e4",
		"not name=value":  "TC3-HMAC-SHA256 Credential, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168",
		"empty":           "",
	} {
		if _, err := emulator.ParseTC3Authorization(h); err == nil || err.Code != "AuthFailure.InvalidAuthorization" {
			t.Errorf("%s: got %v, want AuthFailure.InvalidAuthorization", name, err)
		}
	}
}

// FuzzParseTC3Authorization: no header makes the parser panic, and what it
// accepts is well-formed and parses the same when written out again.
func FuzzParseTC3Authorization(f *testing.F) {
	for _, h := range []string{
		"TC3-HMAC-SHA256 Credential=AKIDx/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168",
		"TC3-HMAC-SHA256 Credential=AKIDx/2019-02-25/cvm/tc3_request,SignedHeaders=content-type;host;x-tc-action,Signature=72E494EA809AD7A8C8F7A4507B9BDDCBAA8E581F516E8DA2F66E2C5A96525168",
		"TC3-HMAC-SHA256 Credential=/2019-02-25/cvm/tc3_request, SignedHeaders=host, Signature=",
		"TC3-HMAC-SHA256 Credential=a/b/c/d/e, Credential=x", "TC3-HMAC-SHA256", "", " , , ,",
	} {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, h string) {
		a, aerr := emulator.ParseTC3Authorization(h)
		if aerr != nil {
			if aerr.Code != "AuthFailure.InvalidAuthorization" || aerr.Message == "" {
				t.Fatalf("unexpected error %+v", aerr)
			}
			return
		}
		if a.SecretID() == "" || strings.Contains(a.SecretID(), "/") || len(a.Signature()) != 64 || strings.Trim(a.Signature(), "0123456789abcdef") != "" {
			t.Fatalf("accepted a malformed header %q as %+v", h, a)
		}
		again := "TC3-HMAC-SHA256 Credential=" + a.SecretID() + "/" + a.Date() + "/" + a.Service() + "/tc3_request, SignedHeaders=" + a.SignedHeaders() + ", Signature=" + a.Signature()
		b, aerr := emulator.ParseTC3Authorization(again)
		if aerr != nil || b.SecretID() != a.SecretID() || b.Date() != a.Date() || b.Service() != a.Service() || b.SignedHeaders() != a.SignedHeaders() || b.Signature() != a.Signature() {
			t.Fatalf("%q parsed as %+v, but written out again as %+v (%v)", h, a, b, aerr)
		}
	})
}

// FuzzTC3Signature signs arbitrary payloads, hosts, content types and
// timestamps: a correctly signed request is accepted whatever its body
// holds, and changing the body, the signature or the timestamp by any
// amount is refused with the right code.
func FuzzTC3Signature(f *testing.F) {
	f.Add([]byte(`{"Limit":100}`), "127.0.0.1:9100", "application/json", int64(0), uint8(0))
	f.Add([]byte(`{}`), "127.0.0.1", "application/json", int64(-300), uint8(1))
	f.Add([]byte(`{}`), "127.0.0.1", "application/json", int64(300), uint8(2))
	f.Add([]byte(`{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`), "cvm.tencentcloudapi.com", "application/json; charset=utf-8", int64(-299), uint8(7))
	f.Add([]byte{}, "[::1]:443", "application/json", int64(301), uint8(63))
	f.Add([]byte("\x00\xff not json"), "localhost", "APPLICATION/JSON", int64(-86400), uint8(200))
	s := fuzzServer(f)
	f.Fuzz(func(t *testing.T, payload []byte, host, contentType string, skew int64, flip uint8) {
		if _, err := http.NewRequest(http.MethodPost, "http://"+host+"/", nil); err != nil || host == "" || strings.ContainsAny(host, "/?#@ \t") {
			return
		}
		if ct := strings.TrimSpace(contentType); ct != contentType || strings.ContainsAny(ct, "\r\n\x00,") {
			return
		}
		if mt, _, err := mime.ParseMediaType(contentType); err != nil || mt != "application/json" {
			return
		}
		now := s.NowForTest()
		ts := now.Unix() + skew%(48*3600)
		build := func(body []byte, sig string) *emulator.APIRequest {
			r, err := http.NewRequest(http.MethodPost, "http://"+host+"/", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set("Content-Type", contentType)
			r.Header.Set("X-TC-Action", cvmAction)
			r.Header.Set("X-TC-Version", cvmVersion)
			r.Header.Set("X-TC-Region", testRegion)
			r.Header.Set("X-TC-Timestamp", strconv.FormatInt(ts, 10))
			date := time.Unix(ts, 0).UTC().Format("2006-01-02")
			r.Header.Set("Authorization", "TC3-HMAC-SHA256 Credential="+emulator.DefaultSecretID+"/"+date+"/cvm/tc3_request, SignedHeaders=content-type;host, Signature="+sig)
			req, _ := emulator.ParseRequest(r)
			return req
		}
		sig := signTC3(emulator.DefaultSecretKey, "cvm", host, contentType, payload, ts)
		d := now.Sub(time.Unix(ts, 0))
		inWindow := d >= -5*time.Minute && d <= 5*time.Minute
		_, _, aerr := s.AuthenticateForTest(s.AuthStateForTest(), build(payload, sig), "cvm", now)
		switch {
		case inWindow && aerr != nil:
			t.Fatalf("a correctly signed request was refused: %+v (host %q, content type %q, skew %d)", aerr, host, contentType, skew%(48*3600))
		case !inWindow && (aerr == nil || aerr.Code != "AuthFailure.SignatureExpire"):
			t.Fatalf("a timestamp %d s away got %+v, want AuthFailure.SignatureExpire", skew%(48*3600), aerr)
		case !inWindow:
			return
		}
		// Any other signature is refused.
		bad := []byte(sig)
		i := int(flip) % len(bad)
		bad[i] = "0123456789abcdef"[(strings.IndexByte("0123456789abcdef", bad[i])+1+int(flip)%15)%16]
		if _, _, aerr := s.AuthenticateForTest(s.AuthStateForTest(), build(payload, string(bad)), "cvm", now); aerr == nil || aerr.Code != "AuthFailure.SignatureFailure" {
			t.Fatalf("a wrong signature got %+v", aerr)
		}
		// So is any other body under the right signature.
		other := append([]byte{}, payload...)
		if len(other) == 0 {
			other = []byte{flip}
		} else {
			other[int(flip)%len(other)] ^= 1 + flip%255
		}
		if _, _, aerr := s.AuthenticateForTest(s.AuthStateForTest(), build(other, sig), "cvm", now); aerr == nil || aerr.Code != "AuthFailure.SignatureFailure" {
			t.Fatalf("a changed body got %+v", aerr)
		}
	})
}
