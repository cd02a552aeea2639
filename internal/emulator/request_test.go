package emulator_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

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

func answerCode(hc *http.Client, req *http.Request) (string, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer closeQuietly(resp.Body)
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		return "", fmt.Errorf("HTTP %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var a apiAnswer
	if err := json.Unmarshal(body, &a); err != nil || !uuidV4.MatchString(a.Response.RequestId) {
		return "", fmt.Errorf("not an API envelope: %s", body)
	}
	return a.code(), nil
}

// Everything a client can get wrong in the request itself gets an API
// error that names the problem, in the usual envelope, and the emulator
// keeps serving.
func TestMalformedRequestsGetClearErrors(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances()})
	signed := func(mutate func(*tc3Call)) *http.Request {
		c := tc3Call{action: cvmAction, version: cvmVersion, region: testRegion, body: `{}`}
		mutate(&c)
		return c.request(t, s)
	}
	raw := func(method, ct, body string) *http.Request {
		req, err := http.NewRequest(method, s.URL()+"/", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		return req
	}
	ids := func(n int) string {
		var b strings.Builder
		b.WriteString(`{"InstanceIds":[`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `"ins-%08d"`, i)
		}
		b.WriteString(`]}`)
		return b.String()
	}
	for _, tc := range []struct {
		name string
		req  *http.Request
		code string
		msg  string
	}{
		{"application/xml", signed(func(c *tc3Call) { c.contentType = "application/xml" }), "UnsupportedProtocol", "application/xml"},
		{"multipart", signed(func(c *tc3Call) { c.contentType = "multipart/form-data; boundary=x" }), "UnsupportedProtocol", "multipart/form-data"},
		{"malformed content type", signed(func(c *tc3Call) { c.contentType = "application/json; ===" }), "UnsupportedProtocol", "malformed"},
		{"no content type", raw(http.MethodPost, "", `{}`), "UnsupportedProtocol", "missing"},
		{"JSON with charset", signed(func(c *tc3Call) { c.contentType = "application/json; charset=utf-8" }), "Success", ""},
		{"DELETE", raw(http.MethodDelete, "application/json", `{}`), "UnsupportedProtocol", "DELETE"},
		{"PATCH", raw(http.MethodPatch, "application/json", `{}`), "UnsupportedProtocol", "PATCH"},
		{"JSON null", signed(func(c *tc3Call) { c.body = `null` }), "InvalidParameter", "object"},
		{"JSON string", signed(func(c *tc3Call) { c.body = `"ins-r8hr2upy"` }), "InvalidParameter", "object"},
		{"two JSON values", signed(func(c *tc3Call) { c.body = `{}{}` }), "InvalidParameter", "after the top-level value"},
		{"invalid UTF-8", signed(func(c *tc3Call) { c.body = "{\"InstanceIds\":[\"ins-\xff\xfe\"]}" }), "InvalidInstanceId.Malformed", ""},
		{"NUL bytes", signed(func(c *tc3Call) { c.body = "{\x00}" }), "InvalidParameter", "JSON"},
		{"nested too deep", signed(func(c *tc3Call) { c.body = strings.Repeat("[", 20000) }), "InvalidParameter", "JSON"},
		{"Limit huge", signed(func(c *tc3Call) { c.body = `{"Limit":1e400}` }), "InvalidParameterValue", "Limit"},
		{"Offset negative", signed(func(c *tc3Call) { c.body = `{"Offset":-1}` }), "InvalidParameterValue", "Offset"},
		{"101 IDs", signed(func(c *tc3Call) { c.body = ids(101) }), "InvalidParameterValue.LimitExceeded", "100"},
		{"100 IDs", signed(func(c *tc3Call) { c.body = ids(100) }), "Success", ""},
		{"oversized Authorization", func() *http.Request {
			r := signed(func(*tc3Call) {})
			r.Header.Set("Authorization", r.Header.Get("Authorization")+strings.Repeat("a", 64<<10))
			return r
		}(), "AuthFailure.InvalidAuthorization", "Signature"},
		{"timestamp not a number", func() *http.Request {
			r := signed(func(*tc3Call) {})
			r.Header.Set("X-TC-Timestamp", "yesterday")
			return r
		}(), "InvalidParameter", "Timestamp"},
	} {
		a := do(t, tc.req)
		if a.code() != tc.code {
			t.Errorf("%s: %s (%+v), want %s", tc.name, a.code(), a.Response.Error, tc.code)
			continue
		}
		if tc.msg != "" && !strings.Contains(a.Response.Error.Message, tc.msg) {
			t.Errorf("%s: message %q should mention %q", tc.name, a.Response.Error.Message, tc.msg)
		}
	}

	// A body larger than the TC3 limit, sent without a Content-Length
	// (chunked), is cut off at the limit and refused.
	pr, pw := io.Pipe()
	go func() {
		chunk := strings.Repeat("a", 1<<20)
		_, _ = pw.Write([]byte(`{"InstanceIds":["`))
		for range 11 {
			if _, err := pw.Write([]byte(chunk)); err != nil {
				return
			}
		}
		_ = pw.Close()
	}()
	req := signed(func(*tc3Call) {})
	req.Body, req.ContentLength = pr, -1
	wantCodeNamed(t, "chunked 11 MB", do(t, req), "RequestSizeLimitExceeded")

	// A client that gives up half-way through its body leaves nothing
	// behind, and the emulator still answers.
	pr, pw = io.Pipe()
	req = signed(func(*tc3Call) {})
	req.Body, req.ContentLength = pr, 1<<20
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			closeQuietly(resp.Body)
		}
	}()
	_, _ = pw.Write([]byte(`{"Inst`))
	_ = pw.CloseWithError(io.ErrUnexpectedEOF)
	<-done
	wantCodeNamed(t, "after an aborted body", do(t, signed(func(*tc3Call) {})), "Success")
}
