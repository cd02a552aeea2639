package emutest_test

import (
	"testing"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// Call signs with the key it is given, sends unsigned with the zero Key,
// and lets a test change or drop a header after signing.
func TestCallSignsAsTold(t *testing.T) {
	t.Parallel()
	s := emutest.Listen(t, emulator.Config{})
	for _, tc := range []struct {
		name    string
		key     emutest.Key
		headers emutest.Headers
		want    string
	}{
		{"signed", emutest.DefaultKey, nil, ""},
		{"a wrong secret key", emutest.Key{SecretID: emulator.DefaultSecretID, SecretKey: "wrong"}, nil, "AuthFailure.SignatureFailure"},
		{"unsigned", emutest.Key{}, nil, "AuthFailure.InvalidAuthorization"},
		{"no region", emutest.DefaultKey, emutest.Headers{"X-TC-Region": ""}, "MissingParameter"},
	} {
		var resp map[string]any
		if tc.headers != nil {
			resp = emutest.Call(t, s.URL(), tc.key, "GetCallerIdentity", nil, tc.headers)
		} else {
			resp = emutest.Call(t, s.URL(), tc.key, "GetCallerIdentity", nil)
		}
		if got := emutest.ErrorCode(resp); got != tc.want {
			t.Errorf("%s: error code %q, want %q", tc.name, got, tc.want)
		}
	}
}
