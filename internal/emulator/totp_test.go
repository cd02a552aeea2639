package emulator_test

import (
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

func TestTOTPCodeRFC6238(t *testing.T) {
	// RFC 6238 appendix B, SHA-1: the 8-digit codes' last 6 digits.
	secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // base32 of "12345678901234567890"
	for unix, want := range map[int64]string{59: "287082", 1111111109: "081804", 1234567890: "005924", 2000000000: "279037"} {
		at := time.Unix(unix, 0)
		if got := emutest.TOTPCode(secret, at); got != want {
			t.Errorf("emutest.TOTPCode at %d: %s, want %s", unix, got, want)
		}
		if got := emulator.TOTPCodeForTest(secret, at); got != want {
			t.Errorf("the emulator's code at %d: %s, want %s", unix, got, want)
		}
	}
}
