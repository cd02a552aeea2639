package credentials

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// ReadTokenFile reads a token file: the JWT itself, as Kubernetes projects
// service account tokens, or JSON {"web_identity_token": "…"}, as the
// official provider reads its web_identity_token_file.
func ReadTokenFile(file string) (string, error) {
	raw, err := ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("cannot be read: %w", err)
	}
	text := strings.TrimSpace(string(raw))
	if strings.HasPrefix(text, "{") {
		var v struct {
			Token string `json:"web_identity_token"`
		}
		if err := json.Unmarshal([]byte(text), &v); err != nil || v.Token == "" {
			return "", errors.New(`is JSON without a "web_identity_token": it must hold the token, or {"web_identity_token": "…"}`)
		}
		text = strings.TrimSpace(v.Token)
	}
	if text == "" {
		return "", errors.New("is empty")
	}
	return text, nil
}

// CheckToken says what is wrong with a token that is plainly unusable: not
// a JWT, or a JWT whose exp has passed. The signature is STS's to check.
func CheckToken(token string) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return errors.New("is not a JWT (three base64url parts separated by dots)")
	}
	var claims struct {
		Exp *float64 `json:"exp"`
	}
	payload, err := decodeSegment(parts[1])
	if err != nil || json.Unmarshal(payload, &claims) != nil {
		return errors.New("is not a JWT: its claims do not decode")
	}
	if claims.Exp != nil && time.Unix(int64(*claims.Exp), 0).Before(time.Now()) {
		return fmt.Errorf("expired at %s: get a fresh token from the identity provider", time.Unix(int64(*claims.Exp), 0).UTC().Format(time.RFC3339))
	}
	return nil
}

func decodeSegment(seg string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
}

// ReadFile reads file; its error is the reason alone (such as "no such file
// or directory"), for messages that name the file and where it came from.
func ReadFile(file string) ([]byte, error) {
	raw, err := os.ReadFile(file)
	return raw, unwrapPathError(err)
}
