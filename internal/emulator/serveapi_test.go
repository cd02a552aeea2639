package emulator_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

func TestEnvelopeAndErrors(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances()})
	good := func() tc3Call {
		return tc3Call{action: cvmAction, version: cvmVersion, region: testRegion, body: `{}`}
	}
	ids := map[string]bool{}
	for _, tc := range []struct {
		name string
		call tc3Call
		code string
		msg  string
	}{
		{"ok", good(), "Success", ""},
		{"missing action", func() tc3Call { c := good(); c.action = ""; return c }(), "MissingParameter", "Action"},
		{"missing version", func() tc3Call { c := good(); c.version = ""; return c }(), "MissingParameter", "Version"},
		{"missing region", func() tc3Call { c := good(); c.region = ""; return c }(), "MissingParameter", "Region"},
		{"unknown action", func() tc3Call { c := good(); c.action = "RebootInstances"; return c }(), "InvalidAction", "RebootInstances"},
		{"wrong version", func() tc3Call { c := good(); c.version = "2020-01-01"; return c }(), "NoSuchVersion", "2020-01-01"},
		{"bad region", func() tc3Call { c := good(); c.region = "ap-atlantis"; return c }(), "UnsupportedRegion", "ap-atlantis"},
		{"unknown parameter", func() tc3Call { c := good(); c.body = `{"Filters":[]}`; return c }(), "UnknownParameter", "Filters"},
		{"invalid JSON", func() tc3Call { c := good(); c.body = `{"Limit":`; return c }(), "InvalidParameter", "JSON"},
		{"JSON array", func() tc3Call { c := good(); c.body = `[1]`; return c }(), "InvalidParameter", "object"},
		{"Offset string", func() tc3Call { c := good(); c.body = `{"Offset":"0"}`; return c }(), "InvalidParameter", "Offset"},
		{"Limit fraction", func() tc3Call { c := good(); c.body = `{"Limit":1.5}`; return c }(), "InvalidParameterValue", "Limit"},
		{"Limit integral float", func() tc3Call { c := good(); c.body = `{"Limit":10.0}`; return c }(), "Success", ""},
		{"IDs not strings", func() tc3Call { c := good(); c.body = `{"InstanceIds":[1]}`; return c }(), "InvalidParameter", "InstanceIds[0]"},
		{"IDs not array", func() tc3Call { c := good(); c.body = `{"InstanceIds":"ins-r8hr2upy"}`; return c }(), "InvalidParameter", "InstanceIds"},
		{"empty body", func() tc3Call { c := good(); c.body = ``; return c }(), "Success", ""},
		{"text/plain", func() tc3Call { c := good(); c.contentType = "text/plain"; return c }(), "UnsupportedProtocol", "text/plain"},
		{"expired", func() tc3Call { c := good(); c.timestamp = time.Now().Add(-6 * time.Minute).Unix(); return c }(), "AuthFailure.SignatureExpire", ""},
		{"future", func() tc3Call { c := good(); c.timestamp = time.Now().Add(6 * time.Minute).Unix(); return c }(), "AuthFailure.SignatureExpire", ""},
		{"unknown id", func() tc3Call { c := good(); c.secretID, c.secretKey = "AKIDnone", "x"; return c }(), "AuthFailure.SecretIdNotFound", ""},
		{"wrong key", func() tc3Call { c := good(); c.secretKey = "x"; return c }(), "AuthFailure.SignatureFailure", ""},
		{"sts scope", func() tc3Call { c := good(); c.service = "sts"; return c }(), "AuthFailure.InvalidAuthorization", "cvm"},
	} {
		a := do(t, tc.call.request(t, s))
		if a.code() != tc.code {
			t.Errorf("%s: %s (%+v), want %s", tc.name, a.code(), a.Response.Error, tc.code)
			continue
		}
		if tc.msg != "" && !strings.Contains(a.Response.Error.Message, tc.msg) {
			t.Errorf("%s: message %q should mention %q", tc.name, a.Response.Error.Message, tc.msg)
		}
		if ids[a.Response.RequestId] {
			t.Errorf("RequestId %s repeated", a.Response.RequestId)
		}
		ids[a.Response.RequestId] = true
	}
}

func TestMethodsAndPaths(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{})
	req, _ := http.NewRequest(http.MethodPut, s.URL()+"/", strings.NewReader("{}"))
	wantCode(t, do(t, req), "UnsupportedProtocol")
	resp, err := http.Get(s.URL() + "/v3/whatever")
	if err != nil {
		t.Fatal(err)
	}
	closeQuietly(resp.Body)
	if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("unknown path: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
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
