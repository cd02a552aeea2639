package emulator_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
)

// fuzzServer is an emulator that is never listened on: the fuzz targets
// call its handler directly.
func fuzzServer(f *testing.F) *emulator.Server {
	s, err := emulator.New(emulator.Config{Regions: seedInstances()})
	if err != nil {
		f.Fatal(err)
	}
	return s
}

// FuzzServeAPI sends arbitrary requests to the API: whatever arrives, the
// answer is HTTP 200, application/json, the API 3.0 envelope with a
// RequestId, and either a result or an error with a code and a message.
func FuzzServeAPI(f *testing.F) {
	for _, seed := range []struct{ method, ct, query, body, auth, action string }{
		{"POST", "application/json", "", `{"Limit":100}`, "", cvmAction},
		{"POST", "application/json", "", `{"InstanceIds":["ins-r8hr2upy"],"Offset":0,"Limit":1}`, "TC3-HMAC-SHA256 Credential=AKIDemulator/2024-01-01/cvm/tc3_request, SignedHeaders=content-type;host, Signature=" + strings.Repeat("0", 64), cvmAction},
		{"GET", "", "Action=DescribeInstancesStatus&Version=2017-03-12&Region=ap-guangzhou&InstanceIds.1=ins-r8hr2upy&SecretId=AKIDemulator&Timestamp=1&Nonce=1&Signature=x", "", "", ""},
		{"POST", "application/x-www-form-urlencoded", "", "Action=DescribeInstancesStatus&InstanceIds.0=a&InstanceIds.0=b", "", ""},
		{"POST", "application/x-www-form-urlencoded", "", "InstanceIds.1=a&InstanceIds.3=b&Limit=99999999999999999999", "TC3-HMAC-SHA256 x", cvmAction},
		{"POST", "application/json", "", `{"Limit":1e400,"Offset":-0.0}`, "", "AssumeRole"},
		{"POST", "application/json; charset=utf-8", "", `[[[[`, "", cvmAction},
		{"PUT", "text/plain", "%zz", "\x00\xff", "", "\n"},
		{"GET", "", "InstanceIds.00=a&InstanceIds.=b&Offset=1.5", "", "Bearer x", ""},
	} {
		f.Add(seed.method, seed.ct, seed.query, []byte(seed.body), seed.auth, seed.action)
	}
	s := fuzzServer(f)
	f.Fuzz(func(t *testing.T, method, ct, query string, body []byte, auth, action string) {
		req, err := http.NewRequest(method, "http://127.0.0.1:9100/", bytes.NewReader(body))
		if err != nil {
			return
		}
		req.URL.RawQuery = query
		for name, v := range map[string]string{"Content-Type": ct, "Authorization": auth, "X-TC-Action": action,
			"X-TC-Version": cvmVersion, "X-TC-Region": testRegion, "X-TC-Timestamp": strconv.FormatInt(time.Now().Unix(), 10)} {
			if v != "" {
				req.Header.Set(name, v)
			}
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("HTTP %d %q for %s %q", rec.Code, rec.Header().Get("Content-Type"), method, body)
		}
		var a struct {
			Response map[string]json.RawMessage
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
			t.Fatalf("the answer is not JSON: %v: %s", err, rec.Body.Bytes())
		}
		var id string
		_ = json.Unmarshal(a.Response["RequestId"], &id)
		if !uuidV4.MatchString(id) {
			t.Fatalf("no RequestId: %s", rec.Body.Bytes())
		}
		if raw, isErr := a.Response["Error"]; isErr {
			var e emulator.APIError
			if err := json.Unmarshal(raw, &e); err != nil || e.Code == "" || e.Message == "" {
				t.Fatalf("an error without a code or a message: %s", rec.Body.Bytes())
			}
		}
	})
}

// FuzzFlatParameters feeds arbitrary query strings to the flattened
// parameter parser: it never panics, and the lists it accepts are exactly
// the contiguous elements it was given.
func FuzzFlatParameters(f *testing.F) {
	for _, q := range []string{
		"InstanceIds.0=ins-r8hr2upy&InstanceIds.1=ins-5d8a23rs&Limit=10",
		"InstanceIds.1=a&InstanceIds.2=b&Offset=0",
		"InstanceIds.0=a&InstanceIds.2=b",
		"InstanceIds=a", "InstanceIds.-1=a", "InstanceIds.01=a", "InstanceIds.99999999999999999999=a",
		"Limit=9223372036854775808", "Limit=-9223372036854775808", "Offset=%zz", "a=1&a=2", "=&&=",
	} {
		f.Add(q)
	}
	spec := emulator.ParamSpecOf(cvmAction)
	f.Fuzz(func(t *testing.T, query string) {
		values, aerr := emulator.ParseFlat(query, "query string")
		if aerr != nil {
			if aerr.Code == "" || aerr.Message == "" {
				t.Fatalf("error without code or message: %+v", aerr)
			}
			return
		}
		p := emulator.NewBoundParams()
		if aerr := emulator.BindFlat(p, values, spec); aerr != nil {
			if aerr.Code == "" || aerr.Message == "" {
				t.Fatalf("error without code or message: %+v", aerr)
			}
			return
		}
		for name, list := range p.Lists() {
			n := 0
			for k := range values {
				if strings.HasPrefix(k, name+".") {
					n++
				}
			}
			if len(list) != n {
				t.Fatalf("%s: bound %d elements of %d given", name, len(list), n)
			}
		}
	})
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

// signTC3 is the documented TC3-HMAC-SHA256 algorithm written out again
// from the documentation, apart from the emulator's helpers, so that the
// fuzz target below checks verification against a second implementation.
func signTC3(secretKey, service, host, contentType string, payload []byte, ts int64) string {
	mac := func(key []byte, msg string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(msg))
		return m.Sum(nil)
	}
	hexSum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	date := time.Unix(ts, 0).UTC().Format("2006-01-02")
	canonical := "POST\n/\n\ncontent-type:" + contentType + "\nhost:" + host + "\n\ncontent-type;host\n" + hexSum(payload)
	toSign := "TC3-HMAC-SHA256\n" + strconv.FormatInt(ts, 10) + "\n" + date + "/" + service + "/tc3_request\n" + hexSum([]byte(canonical))
	key := mac(mac(mac([]byte("TC3"+secretKey), date), service), "tc3_request")
	return hex.EncodeToString(mac(key, toSign))
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
