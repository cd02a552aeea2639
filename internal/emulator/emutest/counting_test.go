package emutest_test

import (
	"net/http"
	"testing"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// Every request reaches the handler and is counted, whatever it answers.
func TestCountingServer(t *testing.T) {
	t.Parallel()
	srv, n := emutest.CountingServer(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	for range 3 {
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusBadGateway {
			t.Fatalf("status %d, want the handler's 502", resp.StatusCode)
		}
	}
	if got := n.Load(); got != 3 {
		t.Fatalf("counted %d requests, want 3", got)
	}
}
