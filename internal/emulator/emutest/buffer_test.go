package emutest_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// Run with -race: writers and a reader at once.
func TestLockedBufferWritersAndAReader(t *testing.T) {
	var b emutest.LockedBuffer
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 100 {
				_, _ = fmt.Fprintf(&b, "%d\n", i)
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if got := strings.Count(b.String(), "\n"); got != 800 {
		t.Fatalf("%d lines, want 800", got)
	}
	b.Reset()
	if b.String() != "" {
		t.Fatalf("after Reset: %q", b.String())
	}
}
