package emulator

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
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

// totpCounter is the RFC 6238 time step holding t.
func totpCounter(t time.Time) int64 { return t.Unix() / int64(totpStep/time.Second) }

// totpCode is the RFC 6238 code of secret for the 30-second step holding t.
func totpCode(secret []byte, t time.Time) string {
	var counter [8]byte
	binary.BigEndian.PutUint64(counter[:], uint64(totpCounter(t)))
	m := hmac.New(sha1.New, secret)
	m.Write(counter[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", totpDigits, v%uint32(math.Pow10(totpDigits)))
}

// totpMatch finds the step whose code code is: the step holding now, or the
// step before or after it (clock drift between the device and the service).
func totpMatch(secret []byte, code string, now time.Time) (step int64, ok bool) {
	for _, d := range []time.Duration{0, -totpStep, totpStep} {
		if hmac.Equal([]byte(totpCode(secret, now.Add(d))), []byte(code)) {
			return totpCounter(now.Add(d)), true
		}
	}
	return 0, false
}

// usedCodes remembers, per MFA device, the steps whose codes have passed,
// so that each is accepted once: RFC 6238 section 5.2 has the verifier
// refuse the second attempt of an OTP that was validated. Only the steps a
// code could still match are kept.
type usedCodes struct {
	mu    sync.Mutex
	steps map[string][]int64 // by device: serial number and secret
}

// use checks code against the device and, when it matches a step not used
// before, spends that step. It reports whether the code matched at all and
// whether it had been used.
func (u *usedCodes) use(device string, secret []byte, code string, now time.Time) (matched, reused bool) {
	step, ok := totpMatch(secret, code, now)
	if !ok {
		return false, false
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.steps == nil {
		u.steps = map[string][]int64{}
	}
	oldest := totpCounter(now.Add(-totpStep))
	live := slices.DeleteFunc(u.steps[device], func(s int64) bool { return s < oldest })
	if slices.Contains(live, step) {
		u.steps[device] = live
		return true, true
	}
	u.steps[device] = append(live, step)
	return true, false
}
