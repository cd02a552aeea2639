package tcapi

import (
	"errors"
	"net/http"
	"testing"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// MaxRetries 0 sends each request once, whatever the answer.
func TestNoRetries(t *testing.T) {
	t.Parallel()
	srv, n := emutest.CountingServer(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	err := sendTo(t.Context(), t, srv.URL, func(c *Config) { c.MaxRetries = 0 })
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Cause != CauseGateway || n.Load() != 1 {
		t.Fatalf("err = %v after %d requests; want one 503 and no retry", err, n.Load())
	}
}
