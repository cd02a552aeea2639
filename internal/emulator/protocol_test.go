package emulator_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

const cvmAction, cvmVersion = "DescribeInstancesStatus", "2017-03-12"

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

func TestTC3GetWithCommonParametersInQuery(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances()})
	a := do(t, tc3Call{method: "GET", noHeaders: true, action: cvmAction, version: cvmVersion, region: testRegion,
		query: "InstanceIds.1=ins-5d8a23rs&InstanceIds.2=ins-r8hr2upy&Limit=10"}.request(t, s))
	wantCode(t, a, "Success")
	if !slices.Equal(a.ids(), []string{"ins-5d8a23rs", "ins-r8hr2upy"}) {
		t.Errorf("ids %v", a.ids())
	}
	// The TC3 form body works too.
	a = do(t, tc3Call{contentType: "application/x-www-form-urlencoded", action: cvmAction, version: cvmVersion, region: testRegion,
		body: "InstanceIds.0=ins-5d8a23rs"}.request(t, s))
	wantCode(t, a, "Success")
}

// The legacy API 2.0 page's example request, signed with v1 over
// /v2/index.php, gets the example's answer.
func TestLegacyGatewaySeedExample(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances()})
	req := v1Call{path: "/v2/index.php", params: map[string]string{
		"Action": "DescribeInstancesStatus", "Version": "2017-03-12", "Region": testRegion,
		"InstanceIds.1": "ins-r8hr2upy", "InstanceIds.2": "ins-5d8a23rs", "Offset": "0", "Limit": "2",
	}}.request(t, s)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer closeQuietly(resp.Body)
	body, _ := io.ReadAll(resp.Body)
	var got map[string]map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	r := got["Response"]
	keys := make([]string, 0, len(r))
	for k := range r {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"InstanceStatusSet", "RequestId", "TotalCount"}) || r["TotalCount"] != 2.0 {
		t.Fatalf("answer %s", body)
	}
	want := `[{"InstanceId":"ins-r8hr2upy","InstanceState":"RUNNING"},{"InstanceId":"ins-5d8a23rs","InstanceState":"STOPPED"}]`
	set, _ := json.Marshal(r["InstanceStatusSet"])
	if string(set) != want {
		t.Fatalf("InstanceStatusSet %s, want %s", set, want)
	}
	// Signed over "/" but sent to /v2/index.php: refused.
	req = v1Call{path: "/v2/index.php", params: map[string]string{"Action": cvmAction, "Version": cvmVersion, "Region": testRegion}}.request(t, s)
	q := req.URL.Query()
	q.Set("Signature", emulator.V1Sign(emulator.DefaultSecretKey, emulator.V1StringToSign("GET", hostOf(s), "/", flatten(q)), ""))
	req.URL.RawQuery = q.Encode()
	wantCode(t, do(t, req), "AuthFailure.SignatureFailure")
}

func flatten(q map[string][]string) map[string]string {
	out := map[string]string{}
	for k, v := range q {
		out[k] = v[0]
	}
	return out
}

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

func wantCodeNamed(t *testing.T, name string, a apiAnswer, code string) {
	t.Helper()
	if a.code() != code {
		t.Errorf("%s: %s (%+v), want %s", name, a.code(), a.Response.Error, code)
	}
}

func TestFlatParameters(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances()})
	v1 := func(extra map[string]string) apiAnswer {
		p := map[string]string{"Action": cvmAction, "Version": cvmVersion, "Region": testRegion}
		for k, v := range extra {
			p[k] = v
		}
		return do(t, v1Call{params: p}.request(t, s))
	}
	for name, tc := range map[string]struct {
		params map[string]string
		code   string
	}{
		"0-based":         {map[string]string{"InstanceIds.0": "ins-r8hr2upy", "InstanceIds.1": "ins-5d8a23rs"}, "Success"},
		"1-based":         {map[string]string{"InstanceIds.1": "ins-r8hr2upy", "InstanceIds.2": "ins-5d8a23rs"}, "Success"},
		"gap":             {map[string]string{"InstanceIds.0": "ins-r8hr2upy", "InstanceIds.2": "ins-5d8a23rs"}, "InvalidParameter"},
		"starts at 2":     {map[string]string{"InstanceIds.2": "ins-r8hr2upy"}, "InvalidParameter"},
		"no index":        {map[string]string{"InstanceIds": "ins-r8hr2upy"}, "InvalidParameter"},
		"bad index":       {map[string]string{"InstanceIds.x": "ins-r8hr2upy"}, "InvalidParameter"},
		"Offset not int":  {map[string]string{"Offset": "zero"}, "InvalidParameter"},
		"Limit too big":   {map[string]string{"Limit": "1000"}, "InvalidParameterValue.LimitExceeded"},
		"Limit negative":  {map[string]string{"Limit": "-1"}, "InvalidParameterValue"},
		"unknown":         {map[string]string{"Zone": "x"}, "UnknownParameter"},
		"scalar with dot": {map[string]string{"Offset.0": "1"}, "UnknownParameter"},
		"malformed ID":    {map[string]string{"InstanceIds.0": "i-123"}, "InvalidInstanceId.Malformed"},
		"Language":        {map[string]string{"Language": "en-US", "RequestClient": "SDK_X"}, "Success"},
	} {
		wantCodeNamed(t, name, v1(tc.params), tc.code)
	}
	a := v1(map[string]string{"InstanceIds.1": "ins-5d8a23rs", "InstanceIds.2": "ins-r8hr2upy"})
	if !slices.Equal(a.ids(), []string{"ins-5d8a23rs", "ins-r8hr2upy"}) {
		t.Errorf("order %v", a.ids())
	}
}

func TestEmptyInstanceIdsMeansAll(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances()})
	a := do(t, tc3Call{action: cvmAction, version: cvmVersion, region: testRegion, body: `{"InstanceIds":[]}`}.request(t, s))
	wantCode(t, a, "Success")
	if *a.Response.TotalCount != 2 || !slices.Equal(a.ids(), []string{"ins-5d8a23rs", "ins-r8hr2upy"}) {
		t.Errorf("empty InstanceIds: %d %v", *a.Response.TotalCount, a.ids())
	}
	a = do(t, tc3Call{action: cvmAction, version: cvmVersion, region: "ap-tokyo", body: `{"InstanceIds":null}`}.request(t, s))
	wantCode(t, a, "Success")
	if *a.Response.TotalCount != 0 || a.Response.InstanceStatusSet == nil {
		t.Errorf("empty region: %+v", a.Response)
	}
}

func TestSizeLimits(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances()})
	big := strings.Repeat("a", 33<<10)
	wantCodeNamed(t, "GET", do(t, tc3Call{method: "GET", action: cvmAction, version: cvmVersion, region: testRegion, query: "X=" + big}.request(t, s)), "RequestSizeLimitExceeded")
	form := v1Call{method: "POST", params: map[string]string{"Action": cvmAction, "Version": cvmVersion, "Region": testRegion, "X": strings.Repeat("a", 1<<20)}}.request(t, s)
	wantCodeNamed(t, "v1 POST", do(t, form), "RequestSizeLimitExceeded")
	body := `{"InstanceIds":["` + strings.Repeat("a", 10<<20) + `"]}`
	wantCodeNamed(t, "TC3 POST", do(t, tc3Call{action: cvmAction, version: cvmVersion, region: testRegion, body: body}.request(t, s)), "RequestSizeLimitExceeded")
	// Just under the TC3 limit is processed (and refused for its content).
	body = `{"InstanceIds":["` + strings.Repeat("a", 2<<20) + `"]}`
	wantCodeNamed(t, "2 MB TC3 POST", do(t, tc3Call{action: cvmAction, version: cvmVersion, region: testRegion, body: body}.request(t, s)), "InvalidInstanceId.Malformed")
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
