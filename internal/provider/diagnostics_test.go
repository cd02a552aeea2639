package provider

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// readError runs a read through the protocol and returns its single error.
func readError(t *testing.T, providerCfg, dataCfg map[string]any, opts ...Option) (summary, detail string) {
	t.Helper()
	out := runProtocol(t, providerCfg, dataCfg, append([]Option{WithClientConfig(fastRetries)}, opts...)...)
	errs := out.errors()
	if out.stage != "read" || len(errs) != 1 {
		t.Fatalf("stage %q with %d errors, want one error at read:%s", out.stage, len(errs), out)
	}
	t.Logf("%s\n%s", errs[0].Summary, errs[0].Detail)
	return errs[0].Summary, errs[0].Detail
}

func wantAll(t *testing.T, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("the error does not say %q:\n%s", w, text)
		}
	}
}

func keysFor(url string) map[string]any {
	return map[string]any{"endpoint": url, "region": DefaultRegion, "secret_id": accSecretID, "secret_key": accSecretKey}
}

var oneID = map[string]any{"instance_ids": []string{"ins-aaaaaaaa"}}

// An endpoint that answers, but not with the API, fails on the first
// answer with advice that fits what answered.
func TestPermanentEndpointFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		handler http.HandlerFunc
		https   bool
		want    []string
	}{
		{"a wrong path answers 404", func(w http.ResponseWriter, _ *http.Request) { http.NotFound(w, nil) }, false,
			[]string{"ClientError.HttpStatusCodeError", "HTTP 404 Not Found", "nothing is served at that path", "root path", "TENCENTCLOUD_CVM_ENDPOINT"}},
		{"https to a plain http server", func(http.ResponseWriter, *http.Request) {}, true,
			[]string{"answered a TLS handshake in plain HTTP", "does not speak TLS", "http:// for a local emulator"}},
		{"a redirect", func(w http.ResponseWriter, _ *http.Request) {
			http.Redirect(w, &http.Request{}, "https://elsewhere.example.com/", http.StatusFound)
		}, false, []string{"HTTP 302 Found to https://elsewhere.example.com/", "set endpoint"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var requests atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				tc.handler(w, r)
			}))
			t.Cleanup(srv.Close)
			url := srv.URL
			if tc.https {
				url = strings.Replace(url, "http://", "https://", 1)
			}
			summary, detail := readError(t, keysFor(url), oneID)
			wantAll(t, summary+"\n"+detail, tc.want...)
			if strings.Contains(detail, "after ") || strings.Contains(detail, "could not be reached") {
				t.Errorf("a permanent failure was retried, or called unreachable:\n%s", detail)
			}
			if tc.https {
				return // the handshake failed: nothing reached the handler
			}
			if got := requests.Load(); got != 1 {
				t.Errorf("%d requests; a permanent failure must not be retried", got)
			}
		})
	}
}

// A hung endpoint fails after request_timeout per attempt and max_retries
// retries, naming both; a timeouts.read that runs out first ends the read,
// naming timeouts.read.
func TestHungEndpointIsBounded(t *testing.T) {
	t.Parallel()
	t.Run("request_timeout", func(t *testing.T) {
		t.Parallel()
		url, accepted := emutest.Hanging(t)
		cfg := keysFor(url)
		cfg["request_timeout"], cfg["max_retries"] = "1s", 1
		summary, detail := readError(t, cfg, oneID, WithClientConfig(func(c *cvm.Config) { c.MaxRetries = new(1) }))
		wantAll(t, summary+"\n"+detail, "Cannot Read Instance States", "after 2 attempts", "ClientError.Timeout", "no complete answer within 1s", "request_timeout", "TENCENTCLOUD_CVM_REQUEST_TIMEOUT")
		if got := accepted.Load(); got != 2 {
			t.Errorf("%d connections, want 2 (max_retries = 1)", got)
		}
	})
	t.Run("timeouts.read", func(t *testing.T) {
		t.Parallel()
		url, _ := emutest.Hanging(t)
		summary, detail := readError(t, keysFor(url), map[string]any{"instance_ids": []string{"ins-aaaaaaaa"}, "timeouts": map[string]any{"read": "1s"}})
		wantAll(t, summary+"\n"+detail, "Read Timed Out", "within 1s (timeouts.read)", "30s for an answer (request_timeout)")
	})
}

// A wait for an ID that never shows up ends after the grace, naming it,
// instead of running out timeouts.read.
func TestWaitForAnIDNeverFound(t *testing.T) {
	t.Parallel()
	e := emutest.Start(t, emulator.Config{
		Credentials: []emulator.Credential{{SecretID: accSecretID, SecretKey: accSecretKey}},
		Regions:     seeded(inst("ins-aaaaaaaa", "RUNNING")),
	}, emutest.Options{})
	summary, detail := readError(t, keysFor(e.URL),
		map[string]any{"instance_ids": []string{"ins-aaaaaaaa", "ins-typo0001"}, "wait_for_states": []string{"RUNNING"}},
		WithClientConfig(func(c *cvm.Config) { c.PollInterval, c.MissingGrace = 10*time.Millisecond, 50*time.Millisecond }))
	wantAll(t, summary+"\n"+detail, "Instances Not Found", "ins-typo0001 (not found)", "mistyped", "terraform destroy -refresh=false")
	if strings.Contains(detail, "ins-aaaaaaaa") {
		t.Errorf("the error names an instance that was found:\n%s", detail)
	}
}

// A failing AssumeRole is reported once, with where the credential came
// from said once.
func TestAssumeRoleErrorSaysItOnce(t *testing.T) {
	t.Parallel()
	e := emutest.Start(t, emulator.Config{
		Credentials: []emulator.Credential{{SecretID: accSecretID, SecretKey: accSecretKey}},
		Regions:     seeded(inst("ins-aaaaaaaa", "RUNNING")),
	}, emutest.Options{})
	if err := e.SetFaults(emulator.Faults{Errors: map[string]float64{"UnauthorizedOperation": 1}, Actions: []string{"AssumeRole"}}); err != nil {
		t.Fatal(err)
	}
	cfg := keysFor(e.URL)
	cfg["assume_role"] = map[string]any{"role_arn": "qcs::cam::uin/100000000001:roleName/deployer"}
	cfg["sts_endpoint"] = e.URL
	summary, detail := readError(t, cfg, oneID)
	wantAll(t, summary+"\n"+detail, "Cannot Obtain Credentials", "role qcs::cam::uin/100000000001:roleName/deployer assumed with secret_id/secret_key", "UnauthorizedOperation", "sts:AssumeRole", "trust policy")
	if n := strings.Count(detail, "assumed with"); n != 1 {
		t.Errorf("the source is named %d times:\n%s", n, detail)
	}
}
