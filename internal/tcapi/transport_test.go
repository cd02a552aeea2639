package tcapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// Answers that no retry can change fail on the first attempt, with a cause
// the provider turns into the right advice; answers a gateway gives for a
// moment are retried.
func TestTransportFailuresAreClassified(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		handler  http.HandlerFunc
		cause    Cause
		attempts int
		message  string
	}{
		{"404 from a wrong path", func(w http.ResponseWriter, _ *http.Request) { http.NotFound(w, nil) },
			CauseWrongPath, 1, "HTTP 404 Not Found: 404 page not found"},
		{"405 from a wrong path", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}, CauseWrongPath, 1, "HTTP 405"},
		{"403 from a proxy", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "Forbidden by policy", http.StatusForbidden)
		}, CauseHTTPStatus, 1, "HTTP 403 Forbidden: Forbidden by policy"},
		{"redirect", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Location", "https://cvm.tencentcloudapi.com/")
			w.WriteHeader(http.StatusMovedPermanently)
		}, CauseRedirect, 1, "HTTP 301 Moved Permanently to https://cvm.tencentcloudapi.com/"},
		{"502 from a gateway", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("<html><body>502 Bad Gateway</body></html>"))
		}, CauseGateway, 4, "HTTP 502 Bad Gateway with a body that is not an API answer"},
		{"429 from a gateway", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "slow down", http.StatusTooManyRequests)
		}, CauseGateway, 4, "HTTP 429"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, n := emutest.CountingServer(t, tc.handler)
			err := sendTo(t.Context(), t, srv.URL)
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want an *APIError", err)
			}
			if apiErr.Cause != tc.cause || apiErr.Attempts != tc.attempts || n.Load() != int64(tc.attempts) {
				t.Errorf("cause %d after %d attempts (%d requests); want cause %d after %d", apiErr.Cause, apiErr.Attempts, n.Load(), tc.cause, tc.attempts)
			}
			if apiErr.Code != CodeHTTPStatus || !strings.Contains(apiErr.Message, tc.message) {
				t.Errorf("[%s] %q; want %s saying %q", apiErr.Code, apiErr.Message, CodeHTTPStatus, tc.message)
			}
		})
	}
}

// https:// against a server that speaks plain HTTP, and http:// against a
// TLS server, fail at once: the scheme is wrong, and a retry cannot change it.
func TestWrongSchemeIsNotRetried(t *testing.T) {
	t.Parallel()
	t.Run("https to a plain http server", func(t *testing.T) {
		t.Parallel()
		srv, n := emutest.CountingServer(t, func(w http.ResponseWriter, _ *http.Request) {})
		err := sendTo(t.Context(), t, strings.Replace(srv.URL, "http://", "https://", 1))
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.Cause != CausePlainHTTPServer || apiErr.Attempts != 1 {
			t.Fatalf("err = %v; want CausePlainHTTPServer after 1 attempt", err)
		}
		if !strings.Contains(apiErr.Message, "plain HTTP") || n.Load() != 0 {
			t.Fatalf("message %q, %d requests served; want it to say plain HTTP, and no request served", apiErr.Message, n.Load())
		}
	})
	t.Run("http to a TLS server", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		t.Cleanup(srv.Close)
		err := sendTo(t.Context(), t, strings.Replace(srv.URL, "https://", "http://", 1))
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.Cause != CauseHTTPStatus || apiErr.Attempts != 1 || apiErr.HTTPStatus != http.StatusBadRequest {
			t.Fatalf("err = %v; want HTTP 400 after 1 attempt", err)
		}
		if !strings.Contains(apiErr.Message, "HTTP request to an HTTPS server") {
			t.Fatalf("message %q does not quote the server's explanation", apiErr.Message)
		}
	})
}

// A hung endpoint gives up after RequestTimeout per attempt and MaxRetries
// retries, naming the limit; a read whose own deadline comes first ends
// with the context's error, not a timeout of the attempt.
func TestHungEndpoint(t *testing.T) {
	t.Parallel()
	t.Run("per attempt", func(t *testing.T) {
		t.Parallel()
		url, accepted := emutest.Hanging(t)
		err := sendTo(t.Context(), t, url, func(c *Config) { c.RequestTimeout = 30 * time.Millisecond; c.MaxRetries = 2 })
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.Cause != CauseTimeout || apiErr.Code != CodeTimeout || apiErr.Attempts != 3 {
			t.Fatalf("err = %v; want %s after 3 attempts", err, CodeTimeout)
		}
		if !strings.Contains(apiErr.Message, "within 30ms") || accepted.Load() != 3 {
			t.Fatalf("message %q after %d connections; want it to name the 30ms limit, after 3", apiErr.Message, accepted.Load())
		}
	})
	t.Run("the read's deadline", func(t *testing.T) {
		t.Parallel()
		url, _ := emutest.Hanging(t)
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		err := sendTo(ctx, t, url, func(c *Config) { c.RequestTimeout = time.Hour })
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v; want the read's context.DeadlineExceeded", err)
		}
	})
}
