package emutest_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// Hanging accepts connections and never answers.
func TestHangingNeverAnswers(t *testing.T) {
	t.Parallel()
	url, accepted := emutest.Hanging(t)
	client := &http.Client{Timeout: 100 * time.Millisecond}
	if resp, err := client.Get(url); err == nil {
		_ = resp.Body.Close()
		t.Fatalf("an answer: HTTP %d", resp.StatusCode)
	}
	if accepted.Load() != 1 {
		t.Fatalf("%d connections accepted, want 1", accepted.Load())
	}
}
