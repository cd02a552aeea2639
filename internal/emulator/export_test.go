package emulator

import "time"

// TOTPCodeForTest is the emulator's own TOTP code of secret at time at, for
// the tests of package emulator_test to hold against emutest.TOTPCode: two
// implementations that agree with RFC 6238's known answers.
func TOTPCodeForTest(secret string, at time.Time) string {
	key, err := decodeTOTPSecret(secret)
	if err != nil {
		panic(err)
	}
	return totpCode(key, at)
}
