package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// This file lends the package's hand-signing test helpers to the tests of
// package emulator_test, which use emutest (an import cycle for this
// package's own tests).

// Caller is a credential that signs test requests.
type Caller struct{ SecretID, SecretKey, Token string }

// DefaultCaller signs with the default credential.
var DefaultCaller = Caller{DefaultSecretID, DefaultSecretKey, ""}

// CallForTest sends action (service sts for STS actions, else cvm), signed
// with TC3-HMAC-SHA256 by c, and returns its Response object.
func CallForTest(t testing.TB, s *Server, c Caller, action string, params map[string]any) map[string]any {
	t.Helper()
	if params == nil {
		params = map[string]any{}
	}
	def := actions[action]
	if def.service == "" {
		def = actionDef{service: "sts", version: stsVersion}
	}
	body, _ := json.Marshal(params)
	region := ""
	if def.needsRegion {
		region = testRegion
	}
	return decodeResponse(t, tc3Call{
		action: action, version: def.version, service: def.service, region: region,
		secretID: c.SecretID, secretKey: c.SecretKey, token: c.Token, body: string(body),
	}.request(t, s))
}

// UnsignedCallForTest sends action as the official SDK sends the actions
// that take no signature (AssumeRoleWithWebIdentity, AssumeRoleWithSAML):
// the headers given (Authorization: SKIP and the X-TC-* ones unless
// overridden; an empty value leaves a header out) and a JSON body.
func UnsignedCallForTest(t testing.TB, s *Server, action string, params map[string]any, headers map[string]string) map[string]any {
	t.Helper()
	if params == nil {
		params = map[string]any{}
	}
	body, _ := json.Marshal(params)
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]string{
		"Content-Type": "application/json", "Authorization": "SKIP", "X-TC-Action": action,
		"X-TC-Version": stsVersion, "X-TC-Timestamp": strconv.FormatInt(time.Now().Unix(), 10),
		"X-TC-Region": testRegion, "X-TC-Language": "en-US", "X-TC-RequestClient": "emulator-test",
	}
	for k, v := range headers {
		h[k] = v
	}
	for k, v := range h {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	return decodeResponse(t, req)
}

func decodeResponse(t testing.TB, req *http.Request) map[string]any {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer closeQuietly(resp.Body)
	b, _ := io.ReadAll(resp.Body)
	var out struct{ Response map[string]any }
	if err := json.Unmarshal(b, &out); err != nil || resp.StatusCode != http.StatusOK || out.Response["RequestId"] == nil {
		t.Fatalf("HTTP %d, not an API answer: %v: %s", resp.StatusCode, err, b)
	}
	return out.Response
}

// TOTPCodeForTest is the emulator's own TOTP code of secret at time at.
func TOTPCodeForTest(secret string, at time.Time) string {
	key, err := decodeTOTPSecret(secret)
	if err != nil {
		panic(err)
	}
	return totpCode(key, at)
}
