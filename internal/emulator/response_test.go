package emulator_test

import (
	"testing"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
)

func TestRequestIDIsUUIDv4(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := emulator.NewRequestID()
		if !uuidV4.MatchString(id) {
			t.Fatalf("%q is not a UUID v4", id)
		}
		if seen[id] {
			t.Fatalf("RequestId %s repeated", id)
		}
		seen[id] = true
	}
}
