package credentials

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// jwtExpiring is an unsigned JWT whose exp is at.
func jwtExpiring(at time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(fmt.Sprintf(`{"sub":"ci","exp":%d}`, at.Unix()))) + ".c2ln"
}

// A token file holds the JWT itself (as Kubernetes projects it) or the
// official provider's JSON form; anything else is refused with what the
// file must hold.
func TestReadTokenFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	token := jwtExpiring(time.Now().Add(time.Hour))
	files := map[string]string{
		"plain":      token + "\n",
		"json":       `{"web_identity_token": "` + token + `"}`,
		"json-other": `{"token": "` + token + `"}`,
		"blank":      " \n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"plain", "json"} {
		if got, err := ReadTokenFile(filepath.Join(dir, name)); err != nil || got != token {
			t.Errorf("%s: got %q, %v; want the token", name, got, err)
		}
	}
	for name, want := range map[string]string{"json-other": `"web_identity_token"`, "blank": "is empty", "missing": "cannot be read"} {
		_, err := ReadTokenFile(filepath.Join(dir, name))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want it to say %s", name, err, want)
		}
		if err != nil && strings.Contains(err.Error(), dir) {
			t.Errorf("%s: %v repeats the path, which the caller names with where it came from", name, err)
		}
	}
}

// A token that is plainly unusable is refused before STS is asked: not a
// JWT, claims that do not decode, or an exp that has passed.
func TestCheckToken(t *testing.T) {
	t.Parallel()
	if err := CheckToken(jwtExpiring(time.Now().Add(time.Hour))); err != nil {
		t.Errorf("a valid token: %v", err)
	}
	for token, want := range map[string]string{
		"not-a-jwt":                             "three base64url parts",
		"a.b!.c":                                "claims do not decode",
		jwtExpiring(time.Now().Add(-time.Hour)): "expired at",
	} {
		if err := CheckToken(token); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckToken(%.30q): %v, want it to say %s", token, err, want)
		}
	}
}
