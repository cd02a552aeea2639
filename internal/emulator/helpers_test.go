package emulator_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
)

const testRegion = "ap-guangzhou"

func hostOf(s *emulator.Server) string { return strings.TrimPrefix(s.URL(), "http://") }

func seedInstances() map[string][]emulator.Instance {
	return map[string][]emulator.Instance{testRegion: {
		{InstanceId: "ins-r8hr2upy", InstanceState: "RUNNING"},
		{InstanceId: "ins-5d8a23rs", InstanceState: "STOPPED"},
	}}
}

// assumeRoleCall is a signed AssumeRole request.
func assumeRoleCall(secretID, secretKey, token string) tc3Call {
	return tc3Call{action: "AssumeRole", version: emulator.STSVersion, service: "sts", region: testRegion, secretID: secretID, secretKey: secretKey, token: token,
		body: `{"RoleArn": "qcs::cam::uin/100000000001:roleName/terraform", "RoleSessionName": "emulator-test"}`}
}

// tempKey is a temporary credential.
type tempKey struct{ id, key, token string }

func (k tempKey) listing() tc3Call {
	return tc3Call{action: cvmAction, version: cvmVersion, region: testRegion, body: `{}`, secretID: k.id, secretKey: k.key, token: k.token}
}

// assumeRole sends an AssumeRole request and returns its credential.
func assumeRole(t *testing.T, s *emulator.Server, c tc3Call) tempKey {
	t.Helper()
	a := do(t, c.request(t, s))
	cred := a.Response.Credentials
	if cred == nil {
		t.Fatalf("AssumeRole: %s %+v", a.code(), a.Response.Error)
	}
	return tempKey{cred.TmpSecretId, cred.TmpSecretKey, cred.Token}
}

// assumeRoleRaw assumes a role with the default credential.
func assumeRoleRaw(t *testing.T, s *emulator.Server) tempKey {
	t.Helper()
	return assumeRole(t, s, assumeRoleCall(emulator.DefaultSecretID, emulator.DefaultSecretKey, ""))
}

// apiAnswer is any API answer, decoded loosely.
type apiAnswer struct {
	Response struct {
		Error *struct {
			Code    string
			Message string
		}
		RequestId         string
		TotalCount        *int
		InstanceStatusSet []struct{ InstanceId, InstanceState string }
		Credentials       *struct{ TmpSecretId, TmpSecretKey, Token string }
	}
}

func (a apiAnswer) code() string {
	if a.Response.Error != nil {
		return a.Response.Error.Code
	}
	return "Success"
}

func (a apiAnswer) ids() []string {
	var out []string
	for _, st := range a.Response.InstanceStatusSet {
		out = append(out, st.InstanceId)
	}
	return out
}

// tc3Call is a hand-signed TC3 request.
type tc3Call struct {
	method      string // default POST
	path        string // default /
	contentType string // default application/json for POST, form for GET
	action      string
	version     string
	region      string
	service     string // default cvm
	token       string
	query       string
	body        string
	timestamp   int64 // default now
	secretID    string
	secretKey   string
	signedHost  string // default the emulator's host:port
	noHeaders   bool   // put common parameters in the query instead of X-TC-*
}

func (c tc3Call) request(t testing.TB, s *emulator.Server) *http.Request {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodPost
	}
	if c.path == "" {
		c.path = "/"
	}
	if c.contentType == "" {
		c.contentType = "application/json"
		if c.method == http.MethodGet {
			c.contentType = "application/x-www-form-urlencoded"
		}
	}
	if c.service == "" {
		c.service = "cvm"
	}
	if c.timestamp == 0 {
		c.timestamp = time.Now().Unix()
	}
	if c.secretID == "" {
		c.secretID = emulator.DefaultSecretID
	}
	if c.secretKey == "" {
		c.secretKey = emulator.DefaultSecretKey
	}
	if c.signedHost == "" {
		c.signedHost = hostOf(s)
	}
	ts := strconv.FormatInt(c.timestamp, 10)
	query := c.query
	if c.noHeaders {
		v, _ := url.ParseQuery(query)
		v.Set("Action", c.action)
		v.Set("Version", c.version)
		v.Set("Region", c.region)
		v.Set("Timestamp", ts)
		query = v.Encode()
	}
	date := emulator.TC3Date(c.timestamp)
	headers := "content-type:" + c.contentType + "\nhost:" + c.signedHost + "\n"
	payload := c.body
	canonicalQuery := ""
	if c.method == http.MethodGet {
		canonicalQuery = query
	}
	cr := emulator.TC3CanonicalRequest(c.method, c.path, canonicalQuery, headers, "content-type;host", emulator.SHA256Hex([]byte(payload)))
	sig := emulator.TC3Sign(emulator.TC3SigningKey(c.secretKey, date, c.service), emulator.TC3StringToSign(ts, date, c.service, cr))
	u := s.URL() + c.path
	if query != "" {
		u += "?" + query
	}
	req, err := http.NewRequest(c.method, u, strings.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", c.contentType)
	req.Header.Set("Authorization", "TC3-HMAC-SHA256 Credential="+c.secretID+"/"+date+"/"+c.service+"/tc3_request, SignedHeaders=content-type;host, Signature="+sig)
	if !c.noHeaders {
		req.Header.Set("X-TC-Action", c.action)
		req.Header.Set("X-TC-Version", c.version)
		req.Header.Set("X-TC-Timestamp", ts)
		if c.region != "" {
			req.Header.Set("X-TC-Region", c.region)
		}
	}
	if c.token != "" {
		req.Header.Set("X-TC-Token", c.token)
	}
	return req
}

// v1Call is a hand-signed signature v1 request.
type v1Call struct {
	method     string // default GET
	path       string // default /
	params     map[string]string
	secretKey  string
	signMethod string
	signedHost string
}

func (c v1Call) request(t testing.TB, s *emulator.Server) *http.Request {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodGet
	}
	if c.path == "" {
		c.path = "/"
	}
	if c.secretKey == "" {
		c.secretKey = emulator.DefaultSecretKey
	}
	if c.signedHost == "" {
		c.signedHost = hostOf(s)
	}
	p := map[string]string{
		"Timestamp": strconv.FormatInt(time.Now().Unix(), 10),
		"Nonce":     "11886",
		"SecretId":  emulator.DefaultSecretID,
	}
	for k, v := range c.params {
		p[k] = v
	}
	if c.signMethod != "" {
		p["SignatureMethod"] = c.signMethod
	}
	p["Signature"] = emulator.V1Sign(c.secretKey, emulator.V1StringToSign(c.method, c.signedHost, c.path, p), c.signMethod)
	v := url.Values{}
	for k, val := range p {
		v.Set(k, val)
	}
	var req *http.Request
	var err error
	if c.method == http.MethodGet {
		req, err = http.NewRequest(c.method, s.URL()+c.path+"?"+v.Encode(), nil)
	} else {
		req, err = http.NewRequest(c.method, s.URL()+c.path, strings.NewReader(v.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// do sends req and decodes the API answer, insisting on the envelope rules:
// HTTP 200, application/json, a RequestId.
func do(t testing.TB, req *http.Request) apiAnswer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer closeQuietly(resp.Body)
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d, want 200: %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json", ct)
	}
	var a apiAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, body)
	}
	if !uuidV4.MatchString(a.Response.RequestId) {
		t.Fatalf("RequestId %q is not a UUID v4: %s", a.Response.RequestId, body)
	}
	return a
}

func wantCode(t testing.TB, a apiAnswer, code string) {
	t.Helper()
	if got := a.code(); got != code {
		msg := ""
		if a.Response.Error != nil {
			msg = a.Response.Error.Message
		}
		t.Fatalf("code %s (%s), want %s", got, msg, code)
	}
}

// closeQuietly closes a response body whose close error cannot matter.
func closeQuietly(c io.Closer) { _ = c.Close() }
