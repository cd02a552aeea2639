package emulator_test

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
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
		InstanceSet       []map[string]any // DescribeInstances
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

const cvmAction, cvmVersion = "DescribeInstancesStatus", "2017-03-12"

func flatten(q map[string][]string) map[string]string {
	out := map[string]string{}
	for k, v := range q {
		out[k] = v[0]
	}
	return out
}

func wantCodeNamed(t *testing.T, name string, a apiAnswer, code string) {
	t.Helper()
	if a.code() != code {
		t.Errorf("%s: %s (%+v), want %s", name, a.code(), a.Response.Error, code)
	}
}

// fuzzServer is an emulator that is never listened on: the fuzz targets
// call its handler directly.
func fuzzServer(f *testing.F) *emulator.Server {
	s, err := emulator.New(emulator.Config{Regions: seedInstances()})
	if err != nil {
		f.Fatal(err)
	}
	return s
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

const (
	otherAccount = "200000000002"
	roleArn      = "qcs::cam::uin/" + emulator.DefaultAccountID + ":roleName/deployer"
	mfaSecret    = "JBSWY3DPEHPK3PXP"
)

// otherKey is the permanent key of otherAccount.
var otherKey = emutest.Key{SecretID: "AKIDother", SecretKey: "other-key"}

// stsWorld is an emulator with one identity of every kind.
type stsWorld struct {
	*emulator.Server
	URL   string // the server's URL
	clock *emutest.Clock
	oidc  *emutest.OIDCIssuer
	idp   *emutest.SAMLIdP
}

func newSTSWorld(t *testing.T) stsWorld {
	t.Helper()
	return newLoggedSTSWorld(t, nil)
}

// newLoggedSTSWorld is newSTSWorld writing its log to logger.
func newLoggedSTSWorld(t *testing.T, logger *slog.Logger) stsWorld {
	t.Helper()
	w := stsWorld{clock: emutest.NewClock(), oidc: emutest.NewOIDCIssuer(t, "github"), idp: emutest.NewSAMLIdP(emulator.DefaultAccountID, "corp")}
	w.Server = emutest.Listen(t, emulator.Config{
		Credentials: []emulator.Credential{
			{SecretID: emulator.DefaultSecretID, SecretKey: emulator.DefaultSecretKey},
			{SecretID: otherKey.SecretID, SecretKey: otherKey.SecretKey},
		},
		Regions: map[string][]emulator.Instance{"ap-guangzhou": {{InstanceId: "ins-r8hr2upy", InstanceState: "RUNNING"}}},
		Now:     w.clock.Now,
		Logger:  logger,
		Identity: emulator.Identity{
			Accounts:      []emulator.Account{{AccountId: otherAccount, SecretIds: []string{otherKey.SecretID}}},
			OIDCProviders: []emulator.OIDCProvider{w.oidc.Provider},
			SAMLProviders: []emulator.SAMLProvider{w.idp.Provider},
			MFADevices: []emulator.MFADevice{
				{SerialNumber: emutest.MFASerial(emulator.DefaultAccountID), TOTPSecret: mfaSecret},
				{SerialNumber: emutest.MFASerial(otherAccount), TOTPSecret: "KRSXG5CTMVRXEZLUKN2XAZLSKNSWG4TFOQ"},
			},
		},
	})
	w.URL = w.Server.URL()
	return w
}

// str is m[key] if it is a string, else "".
func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// code is the answer's error code, or Success.
func code(resp map[string]any) string { return cmp.Or(emutest.ErrorCode(resp), "Success") }

func message(resp map[string]any) string {
	if e, ok := resp["Error"].(map[string]any); ok {
		return str(e, "Message")
	}
	return ""
}

// credentials returns the temporary credential of a successful answer,
// after checking the answer's shape.
func credentials(t *testing.T, resp map[string]any) emutest.Key {
	t.Helper()
	if code(resp) != "Success" {
		t.Fatalf("%s: %s", code(resp), message(resp))
	}
	c, _ := resp["Credentials"].(map[string]any)
	exp, err := time.Parse(time.RFC3339, str(resp, "Expiration"))
	if expired, _ := resp["ExpiredTime"].(float64); err != nil || float64(exp.Unix()) != expired || str(c, "Token") == "" {
		t.Fatalf("answer %v", resp)
	}
	return emutest.Key{SecretID: str(c, "TmpSecretId"), SecretKey: str(c, "TmpSecretKey"), Token: str(c, "Token")}
}

func (w stsWorld) webIdentity(t *testing.T, params map[string]any) map[string]any {
	t.Helper()
	p := map[string]any{"ProviderId": "github", "WebIdentityToken": w.oidc.Token(emutest.STSAudience, "repo:cvmkit/ci", time.Hour),
		"RoleArn": roleArn, "RoleSessionName": "ci"}
	for k, v := range params {
		if v == nil {
			delete(p, k)
		} else {
			p[k] = v
		}
	}
	return emutest.Call(t, w.URL, emutest.Key{}, "AssumeRoleWithWebIdentity", p)
}
