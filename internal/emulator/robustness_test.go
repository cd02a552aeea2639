package emulator_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/clock"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// A flood from 200 clients at once, each on its own connection, against a
// frozen clock: the token bucket holds RateLimit tokens and never refills,
// so exactly RateLimit requests per account succeed (the two SecretIds
// belong to two accounts), every other one gets RequestLimitExceeded, and
// every one gets a well-formed answer.
func TestFloodFrom200ConcurrentClients(t *testing.T) {
	clock := clock.NewSettable()
	frozen := clock.Now()
	const other = "AKIDfloodsecond00000000000000000001"
	s := emutest.Listen(t, emulator.Config{
		Regions:   seedInstances(),
		RateLimit: 40,
		Now:       clock.Now,
		Credentials: []emulator.Credential{
			{SecretID: emulator.DefaultSecretID, SecretKey: emulator.DefaultSecretKey},
			{SecretID: other, SecretKey: "flood-second-key"},
		},
		Identity: emulator.Identity{Accounts: []emulator.Account{{AccountId: "200000000002", SecretIds: []string{other}}}},
	})
	flood := func(clients, each int) map[string]map[string]int {
		var (
			mu    sync.Mutex
			codes = map[string]map[string]int{}
			wg    sync.WaitGroup
			start = make(chan struct{})
		)
		for i := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				hc := &http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}
				defer hc.CloseIdleConnections()
				id, key := emulator.DefaultSecretID, emulator.DefaultSecretKey
				if i%2 == 1 {
					id, key = other, "flood-second-key"
				}
				<-start
				for range each {
					req := tc3Call{action: cvmAction, version: cvmVersion, region: testRegion, body: `{"Limit":1}`,
						secretID: id, secretKey: key, timestamp: frozen.Unix()}.request(t, s)
					code, err := answerCode(hc, req)
					mu.Lock()
					if codes[id] == nil {
						codes[id] = map[string]int{}
					}
					if err != nil {
						code = "transport: " + err.Error()
					}
					codes[id][code]++
					mu.Unlock()
				}
			}()
		}
		close(start)
		wg.Wait()
		return codes
	}

	codes := flood(200, 5)
	for _, id := range []string{emulator.DefaultSecretID, other} {
		got := codes[id]
		if got["Success"] != 40 || got["RequestLimitExceeded"] != 460 || len(got) != 2 {
			t.Errorf("%s: %v; want exactly 40 Success and 460 RequestLimitExceeded", id, got)
		}
	}
	st := s.Stats()
	if st.Requests != 1000 || st.Throttled != 920 || st.ByCode["Success"] != 80 {
		t.Errorf("stats %+v; want 1000 requests, 80 successes, 920 throttled", st)
	}

	// A second later the bucket has refilled by the rate, and no more: it
	// holds at most one second's worth.
	clock.Advance(time.Second)
	frozen = frozen.Add(time.Second)
	codes = flood(100, 2)
	if got := codes[emulator.DefaultSecretID]["Success"] + codes[other]["Success"]; got != 80 {
		t.Errorf("after one second: %d successes (%v); want 40 per account", got, codes)
	}
}

// A fractional rate limit rounds down: 2.5 per second lets 2 through.
func TestFractionalRateLimit(t *testing.T) {
	clock := clock.NewSettable()
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances(), RateLimit: 2.5, Now: clock.Now})
	success := 0
	for range 10 {
		if do(t, tc3Call{action: cvmAction, version: cvmVersion, region: testRegion, body: `{}`, timestamp: clock.Now().Unix()}.request(t, s)).code() == "Success" {
			success++
		}
	}
	if success != 2 {
		t.Fatalf("%d of 10 requests succeeded at 2.5/s with a frozen clock; want 2", success)
	}
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
