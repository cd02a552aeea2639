package emutest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
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

// Key is a credential that signs Call's requests; the zero Key sends them
// unsigned (Authorization: SKIP), as AssumeRoleWithWebIdentity and
// AssumeRoleWithSAML are sent.
type Key struct{ SecretID, SecretKey, Token string }

// DefaultKey is the credential the emulator has when Config.Credentials is
// empty.
var DefaultKey = Key{SecretID: emulator.DefaultSecretID, SecretKey: emulator.DefaultSecretKey}

// Headers change the headers of Call's request after it is signed: each
// value replaces the header Call would send, and an empty one leaves the
// header out. A test sends with them what no well-behaved client would (no
// Authorization, a stale X-TC-Timestamp, a token on an unsigned action).
type Headers map[string]string

// Call sends action to the emulator at baseURL (such as Emulator.URL) as a
// JSON POST signed with TC3-HMAC-SHA256 by key, with the common headers the
// official SDK sends, changed by headers, and returns the answer's Response
// object; an error answer has Response["Error"]["Code"]. The answer must be
// an API answer (HTTP 200, a RequestId), or the test fails. The action's
// service and version are cvm 2017-03-12 for DescribeInstancesStatus, else
// sts 2018-08-13; the region is ap-guangzhou. It is a test's way to check
// what a credential can do (GetCallerIdentity) without the project's client.
func Call(t testing.TB, baseURL string, key Key, action string, params map[string]any, headers ...Headers) map[string]any {
	t.Helper()
	service, version := "sts", "2018-08-13"
	if action == "DescribeInstancesStatus" {
		service, version = "cvm", "2017-03-12"
	}
	if params == nil {
		params = map[string]any{}
	}
	body, err := json.Marshal(params)
	if err != nil {
		t.Fatalf("emutest.Call: %v", err)
	}
	u, err := url.Parse(baseURL)
	if err != nil {
		t.Fatalf("emutest.Call: %v", err)
	}
	req, err := http.NewRequest(http.MethodPost, strings.TrimSuffix(baseURL, "/")+"/", strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("emutest.Call: %v", err)
	}
	now := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-TC-Action", action)
	req.Header.Set("X-TC-Version", version)
	req.Header.Set("X-TC-Region", "ap-guangzhou")
	req.Header.Set("X-TC-Timestamp", strconv.FormatInt(now, 10))
	req.Header.Set("X-TC-Language", "en-US")
	req.Header.Set("X-TC-RequestClient", "emutest")
	if key.SecretID == "" {
		req.Header.Set("Authorization", "SKIP")
	} else {
		req.Header.Set("Authorization", tc3Authorization(key, service, u.Host, string(body), now))
	}
	if key.Token != "" {
		req.Header.Set("X-TC-Token", key.Token)
	}
	for _, h := range headers {
		for name, value := range h {
			if value == "" {
				req.Header.Del(name)
			} else {
				req.Header.Set(name, value)
			}
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("emutest.Call %s: %v", action, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	var out struct{ Response map[string]any }
	if err != nil || resp.StatusCode != http.StatusOK || json.Unmarshal(b, &out) != nil || out.Response["RequestId"] == nil {
		t.Fatalf("emutest.Call %s: HTTP %d, not an API answer: %v %s", action, resp.StatusCode, err, b)
	}
	return out.Response
}

// tc3Authorization signs a JSON POST to / as the API documentation
// describes TC3-HMAC-SHA256 (signed headers content-type and host).
func tc3Authorization(key Key, service, host, body string, timestamp int64) string {
	date := time.Unix(timestamp, 0).UTC().Format(time.DateOnly)
	hash := func(s string) string { sum := sha256.Sum256([]byte(s)); return hex.EncodeToString(sum[:]) }
	mac := func(k []byte, s string) []byte { m := hmac.New(sha256.New, k); m.Write([]byte(s)); return m.Sum(nil) }
	canonical := "POST\n/\n\ncontent-type:application/json\nhost:" + host + "\n\ncontent-type;host\n" + hash(body)
	scope := date + "/" + service + "/tc3_request"
	toSign := "TC3-HMAC-SHA256\n" + strconv.FormatInt(timestamp, 10) + "\n" + scope + "\n" + hash(canonical)
	signing := mac(mac(mac([]byte("TC3"+key.SecretKey), date), service), "tc3_request")
	return "TC3-HMAC-SHA256 Credential=" + key.SecretID + "/" + scope + ", SignedHeaders=content-type;host, Signature=" + hex.EncodeToString(mac(signing, toSign))
}

// ErrorCode is the error code of a Call answer, or "" for a success.
func ErrorCode(resp map[string]any) string {
	if e, ok := resp["Error"].(map[string]any); ok {
		c, _ := e["Code"].(string)
		return c
	}
	return ""
}
