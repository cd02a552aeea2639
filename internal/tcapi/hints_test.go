package tcapi

import "testing"

// A typo in a key or a value is met with the word it most likely meant,
// and a word too far from every known one with nothing rather than a guess.
func TestNearest(t *testing.T) {
	t.Parallel()
	words := []string{"secretId", "secretKey", "role-session-name", "RUNNING", "STOPPED"}
	cases := map[string]string{
		"SecretId":         "secretId",          // case aside
		"role-sesion-name": "role-session-name", // one edit
		"RUNING":           "RUNNING",
		"STOPED":           "STOPPED",
		"secretKy":         "secretKey",
		"region":           "", // nothing within two edits
		"":                 "",
	}
	for typo, want := range cases {
		if got := Nearest(typo, words); got != want {
			t.Errorf("Nearest(%q) = %q, want %q", typo, got, want)
		}
	}
}
