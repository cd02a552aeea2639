package emulator

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"time"
)

// TOTP parameters of a software MFA token (RFC 6238 defaults).
const (
	totpStep   = 30 * time.Second
	totpDigits = 6
)

// decodeTOTPSecret reads a base32 secret as authenticator apps show it:
// case-insensitive, spaces and padding optional.
func decodeTOTPSecret(s string) ([]byte, error) {
	clean := strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(s))
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.TrimRight(clean, "="))
	switch {
	case s == "":
		return nil, fmt.Errorf("empty; write the device's base32 secret, such as JBSWY3DPEHPK3PXP")
	case err != nil:
		return nil, fmt.Errorf("%q is not base32 (letters A-Z and digits 2-7): %v", s, err)
	}
	return secret, nil
}

// totpCode is the RFC 6238 code of secret for the 30-second step holding t.
func totpCode(secret []byte, t time.Time) string {
	var counter [8]byte
	binary.BigEndian.PutUint64(counter[:], uint64(t.Unix()/int64(totpStep/time.Second)))
	m := hmac.New(sha1.New, secret)
	m.Write(counter[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", totpDigits, v%uint32(math.Pow10(totpDigits)))
}

// totpValid accepts the code of the step holding now, or of the step before
// or after it (clock drift between the device and the service).
func totpValid(secret []byte, code string, now time.Time) bool {
	for _, d := range []time.Duration{0, -totpStep, totpStep} {
		if hmac.Equal([]byte(totpCode(secret, now.Add(d))), []byte(code)) {
			return true
		}
	}
	return false
}
