package cvm

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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

// LoadProfile reads the tccli profile name from the directory dir (with no
// "~" in it). found is false, with no error, when the profile's credential
// file does not exist.
func LoadProfile(dir, name string) (p Profile, found bool, err error) {
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
