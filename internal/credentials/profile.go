package credentials

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// Profile types, the "type" key of a .credential file as tccli writes it.
const (
	ProfileKeys    = "default"  // secretId and secretKey (and token); also the type of a file without "type"
	ProfileCVMRole = "cvm-role" // tccli configure set --use-cvm-role true: the instance's CAM role
	ProfileOAuth   = "oauth"    // tccli auth login: temporary keys until expiresAt
	ProfileSSO     = "sso"      // tccli sso login: temporary keys until expiresAt
)

// Profile is what a tccli profile holds: <dir>/<name>.credential and
// <dir>/<name>.configure (the region in _sys_param).
type Profile struct {
	Name           string
	CredentialFile string
	Type           string // one of the Profile* types
	SecretID       string
	SecretKey      string
	Token          string
	// RoleARN and RoleSessionName (tccli's role-arn, role-session-name):
	// the role the profile's key assumes, acting as it.
	RoleARN         string
	RoleSessionName string
	ExpiresAt       time.Time // oauth and sso: when the temporary keys end
	Region          string    // "" when the profile names none
}

// credentialKeys are the keys of a .credential file this package reads;
// tccli keeps its own refresh state of oauth and sso logins under "oauth"
// and "sso", which only tccli uses. Any other key may change whose identity
// the profile is, so a file holding one is refused rather than half-read.
var credentialKeys = []string{"type", "secretId", "secretKey", "token", "role-arn", "role-session-name", "expiresAt", "oauth", "sso"}

// Profiles lists the names of the tccli profiles in dir, sorted; nil when
// there are none or dir cannot be read.
func Profiles(dir string) []string {
	matches, _ := filepath.Glob(filepath.Join(dir, "*.credential"))
	names := make([]string, 0, len(matches))
	for _, m := range matches {
		names = append(names, strings.TrimSuffix(filepath.Base(m), ".credential"))
	}
	slices.Sort(names)
	return names
}

// LoadProfile reads the tccli profile name from the directory dir (with no
// "~" in it), as tccli writes it: indented JSON, values with surrounding
// spaces trimmed as the official provider trims them. found is false, with
// no error, when the profile's credential file does not exist.
func LoadProfile(dir, name string) (p Profile, found bool, err error) {
	p = Profile{Name: name, CredentialFile: filepath.Join(dir, name+".credential")}
	raw, err := os.ReadFile(p.CredentialFile)
	if errors.Is(err, fs.ErrNotExist) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("cannot read the credential file %s: %w", p.CredentialFile, unwrapPathError(err))
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return p, false, fmt.Errorf("the credential file %s is not valid JSON (%v); it should look like {\"secretId\": \"AKID…\", \"secretKey\": \"…\"}", p.CredentialFile, err)
	}
	for _, key := range slices.Sorted(maps.Keys(fields)) {
		if !slices.Contains(credentialKeys, key) {
			fix := "remove the key or use another profile"
			if near := tcapi.Nearest(key, credentialKeys); near != "" {
				fix = fmt.Sprintf("did you mean %q? Correct it, remove the key or use another profile", near)
			}
			return p, false, fmt.Errorf("the credential file %s holds the key %q, which is not one tccli writes or this provider reads (%s); "+
				"it may change whose identity the profile is, so the profile is refused rather than half-read: %s",
				p.CredentialFile, key, strings.Join(credentialKeys, ", "), fix)
		}
	}
	str := func(key string) (string, error) {
		v, ok := fields[key]
		if !ok || bytes.Equal(v, []byte("null")) {
			return "", nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", fmt.Errorf("the credential file %s: %q must be a string", p.CredentialFile, key)
		}
		return strings.TrimSpace(s), nil
	}
	// In a fixed order, so that of two bad values the same is reported.
	for _, f := range []struct {
		key  string
		into *string
	}{{"type", &p.Type}, {"secretId", &p.SecretID}, {"secretKey", &p.SecretKey}, {"token", &p.Token},
		{"role-arn", &p.RoleARN}, {"role-session-name", &p.RoleSessionName}} {
		if *f.into, err = str(f.key); err != nil {
			return p, false, err
		}
	}
	if p.Type == "" {
		p.Type = ProfileKeys
	}
	switch p.Type {
	case ProfileKeys, ProfileOAuth, ProfileSSO:
		if p.SecretID == "" || p.SecretKey == "" {
			return p, false, fmt.Errorf("the credential file %s needs both \"secretId\" and \"secretKey\"", p.CredentialFile)
		}
	case ProfileCVMRole:
	default:
		return p, false, fmt.Errorf("the credential file %s is of type %q, which this provider does not know (it reads %q, %q, %q and %q); "+
			"it is refused rather than guessed at: use another profile, or give the credentials another way",
			p.CredentialFile, p.Type, ProfileKeys, ProfileCVMRole, ProfileOAuth, ProfileSSO)
	}
	if p.Type == ProfileOAuth || p.Type == ProfileSSO {
		var expires float64
		if err := json.Unmarshal(fields["expiresAt"], &expires); err != nil || expires <= 0 {
			return p, false, fmt.Errorf("the credential file %s is a %s login without a valid \"expiresAt\" (a Unix time): log in again with tccli", p.CredentialFile, p.Type)
		}
		p.ExpiresAt = time.Unix(int64(expires), 0)
	}

	configure := filepath.Join(dir, name+".configure")
	raw, err = os.ReadFile(configure)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return p, false, fmt.Errorf("cannot read the profile configuration %s: %w", configure, unwrapPathError(err))
	default:
		var conf struct {
			Sys struct {
				Region string `json:"region"`
			} `json:"_sys_param"`
		}
		if err := json.Unmarshal(raw, &conf); err != nil {
			return p, false, fmt.Errorf("the profile configuration %s is not valid JSON: %v", configure, err)
		}
		p.Region = strings.TrimSpace(conf.Sys.Region)
	}
	return p, true, nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
