package cvm

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultProfile and DefaultSharedCredentialsDir are where tccli, the
// official CLI, keeps its profiles, and where the official provider looks.
const (
	DefaultProfile              = "default"
	DefaultSharedCredentialsDir = "~/.tccli"
)

// Profile is what a tccli profile holds: <dir>/<name>.credential (JSON
// secretId, secretKey, optional token) and <dir>/<name>.configure (the
// region in _sys_param).
type Profile struct {
	Name           string
	CredentialFile string
	SecretID       string
	SecretKey      string
	Token          string
	Region         string // "" when the profile names none
}

// ExpandHome replaces a leading "~" with the user's home directory.
func ExpandHome(dir string) (string, error) {
	if dir != "~" && !strings.HasPrefix(dir, "~/") {
		return dir, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot expand %q: %w", dir, err)
	}
	return filepath.Join(home, strings.TrimPrefix(dir, "~")), nil
}

// LoadProfile reads a tccli profile. found is false, with no error, when the
// profile's credential file does not exist.
func LoadProfile(dir, name string) (p Profile, found bool, err error) {
	dir, err = ExpandHome(dir)
	if err != nil {
		return Profile{}, false, err
	}
	p = Profile{Name: name, CredentialFile: filepath.Join(dir, name+".credential")}
	raw, err := os.ReadFile(p.CredentialFile)
	if errors.Is(err, fs.ErrNotExist) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("cannot read the credential file %s: %w", p.CredentialFile, unwrapPathError(err))
	}
	var cred struct {
		SecretID  *string `json:"secretId"`
		SecretKey *string `json:"secretKey"`
		Token     string  `json:"token"`
	}
	if err := json.Unmarshal(raw, &cred); err != nil {
		return p, false, fmt.Errorf("the credential file %s is not valid JSON (%v); it should look like {\"secretId\": \"AKID…\", \"secretKey\": \"…\"}", p.CredentialFile, err)
	}
	if cred.SecretID == nil || *cred.SecretID == "" || cred.SecretKey == nil || *cred.SecretKey == "" {
		return p, false, fmt.Errorf("the credential file %s needs both \"secretId\" and \"secretKey\"", p.CredentialFile)
	}
	p.SecretID, p.SecretKey, p.Token = *cred.SecretID, *cred.SecretKey, cred.Token

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
		p.Region = conf.Sys.Region
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

// CredentialSettings are the credential inputs after the provider has merged
// its configuration with the environment (configuration first).
type CredentialSettings struct {
	SecretID      string
	SecretKey     string
	SecurityToken string

	Profile              string // "" means DefaultProfile
	SharedCredentialsDir string // "" means DefaultSharedCredentialsDir
	// ProfileExplicit is true when the user named the profile or the
	// directory: then a missing profile is an error rather than a skip.
	ProfileExplicit bool

	CAMRoleName string
	MetadataURL string // "" means DefaultMetadataURL
	HTTPClient  *http.Client
	Now         func() time.Time
}

// ErrNoCredentials is returned when no source supplied a credential.
var ErrNoCredentials = errors.New("no Tencent Cloud credentials found")

// ResolveCredentials picks the base credential in the documented order:
// explicit keys (configuration, then environment), then the shared tccli
// profile, then the CAM role of the instance. The profile it read, if any,
// is returned so the caller can take its region.
func ResolveCredentials(s CredentialSettings) (CredentialSource, *Profile, error) {
	switch {
	case s.SecretID != "" && s.SecretKey != "":
		return StaticCredentials("secret_id/secret_key", Credential{SecretID: s.SecretID, SecretKey: s.SecretKey, Token: s.SecurityToken}), nil, nil
	case s.SecretID != "":
		return nil, nil, errors.New("secret_id is set but secret_key is not: set both (or TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY)")
	case s.SecretKey != "":
		return nil, nil, errors.New("secret_key is set but secret_id is not: set both (or TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY)")
	}

	name, dir := s.Profile, s.SharedCredentialsDir
	if name == "" {
		name = DefaultProfile
	}
	if dir == "" {
		dir = DefaultSharedCredentialsDir
	}
	p, found, err := LoadProfile(dir, name)
	if err != nil {
		return nil, nil, fmt.Errorf("profile %q: %w", name, err)
	}
	if found {
		return StaticCredentials(fmt.Sprintf("profile %q (%s)", name, p.CredentialFile), Credential{SecretID: p.SecretID, SecretKey: p.SecretKey, Token: p.Token}), &p, nil
	}
	if s.ProfileExplicit && s.CAMRoleName == "" {
		return nil, nil, fmt.Errorf("profile %q was asked for, but %s does not exist", name, p.CredentialFile)
	}

	if s.CAMRoleName != "" {
		hc := s.HTTPClient
		if hc == nil {
			hc = &http.Client{Timeout: metadataTimeout}
		}
		return CAMRoleCredentials(s.CAMRoleName, s.MetadataURL, hc, s.Now), nil, nil
	}

	return nil, nil, fmt.Errorf("%w. Provide them in one of these ways, in this order of precedence:\n"+
		"  - secret_id and secret_key (and security_token for temporary keys) in the provider block;\n"+
		"  - the environment variables TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY (and TENCENTCLOUD_SECURITY_TOKEN);\n"+
		"  - a tccli profile: %s (profile / TENCENTCLOUD_PROFILE, shared_credentials_dir / TENCENTCLOUD_SHARED_CREDENTIALS_DIR);\n"+
		"  - cam_role_name / TENCENTCLOUD_CAM_ROLE_NAME, on a CVM instance with that CAM role bound.\n"+
		"assume_role (TENCENTCLOUD_ASSUME_ROLE_ARN) then applies on top of whichever credential was found", ErrNoCredentials, p.CredentialFile)
}
