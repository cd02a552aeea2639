package credentials

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// StaticCredentials is a credential that never changes.
func StaticCredentials(name string, c tcapi.Credential) tcapi.CredentialSource {
	return staticSource{name: name, cred: c}
}

type staticSource struct {
	name string
	cred tcapi.Credential
}

func (s staticSource) Credential(context.Context) (tcapi.Credential, error) { return s.cred, nil }
func (s staticSource) Name() string                                         { return s.name }

// refreshingSource caches a temporary credential and fetches the next one
// before the current one expires. Concurrent readers share one fetch.
type refreshingSource struct {
	name  string
	fetch func(ctx context.Context) (tcapi.Credential, error)
	now   func() time.Time

	mu        sync.Mutex
	cur       tcapi.Credential
	fetchedAt time.Time
	valid     bool
}

// refreshMargin is how long before expiry a credential is replaced: five
// minutes, as the official SDKs do, or a third of its lifetime when it lives
// less than a quarter of an hour.
func refreshMargin(fetchedAt, expiration time.Time) time.Duration {
	margin := 5 * time.Minute
	if life := expiration.Sub(fetchedAt); life < 15*time.Minute {
		margin = life / 3
	}
	return margin
}

func (s *refreshingSource) Name() string { return s.name }

func (s *refreshingSource) Credential(ctx context.Context) (tcapi.Credential, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.valid && (s.cur.Expiration.IsZero() || now.Before(s.cur.Expiration.Add(-refreshMargin(s.fetchedAt, s.cur.Expiration)))) {
		return s.cur, nil
	}
	c, err := s.fetch(ctx) // errors are reported with Name by the caller
	if err != nil {
		return tcapi.Credential{}, err
	}
	s.cur, s.fetchedAt, s.valid = c, now, true
	return c, nil
}

func (s *refreshingSource) InvalidateIf(rejected tcapi.Credential) {
	s.mu.Lock()
	if tcapi.SameCredential(s.cur, rejected) {
		s.valid = false
	}
	s.mu.Unlock()
}

// DefaultMetadataURL is the CVM instance metadata service.
const DefaultMetadataURL = "http://metadata.tencentyun.com"

// metadataTimeout bounds each call to the metadata service: off a CVM
// instance its address does not answer at all, and a read must not hang.
const metadataTimeout = 5 * time.Second

// CAMRoleCredentials reads the temporary credentials of the CAM role bound to
// the CVM instance this runs on from the metadata service at metadataURL.
// With roleName "", the role is the one the metadata service names (the
// instance's only role), asked for at each renewal.
func CAMRoleCredentials(roleName, metadataURL string, hc *http.Client, now func() time.Time) tcapi.CredentialSource {
	if now == nil {
		now = time.Now
	}
	if metadataURL == "" {
		metadataURL = DefaultMetadataURL
	}
	if hc == nil {
		// The SDK's metadata client has no timeout; off a CVM instance the
		// address does not answer at all.
		hc = &http.Client{Timeout: metadataTimeout}
	}
	name := fmt.Sprintf("CAM role %q from the instance metadata service", roleName)
	if roleName == "" {
		name = "the CAM role of this CVM instance, from the instance metadata service"
	}
	src := &refreshingSource{name: name, now: now}
	base := strings.TrimSuffix(metadataURL, "/") + "/latest/meta-data/cam/security-credentials/"
	src.fetch = func(ctx context.Context) (tcapi.Credential, error) {
		ctx, cancel := context.WithTimeout(ctx, metadataTimeout)
		defer cancel()
		role := roleName
		if role == "" {
			body, err := metadataGet(ctx, hc, base)
			if err != nil {
				return tcapi.Credential{}, err
			}
			if role = strings.TrimSpace(strings.SplitN(string(body), "\n", 2)[0]); role == "" {
				return tcapi.Credential{}, errors.New("the metadata service names no CAM role: bind one to this instance")
			}
		}
		body, err := metadataGet(ctx, hc, base+url.PathEscape(role))
		if errors.Is(err, errMetadataNotFound) {
			return tcapi.Credential{}, fmt.Errorf("no role named %q is bound to this instance (metadata answered 404)", role)
		}
		if err != nil {
			return tcapi.Credential{}, err
		}
		var r struct {
			TmpSecretID  string `json:"TmpSecretId"`
			TmpSecretKey string `json:"TmpSecretKey"`
			Token        string `json:"Token"`
			ExpiredTime  int64  `json:"ExpiredTime"`
			Code         string `json:"Code"`
		}
		if err := json.Unmarshal(body, &r); err != nil {
			return tcapi.Credential{}, fmt.Errorf("the metadata answer is not valid JSON: %v", err)
		}
		if r.Code != "Success" || r.TmpSecretID == "" || r.TmpSecretKey == "" || r.Token == "" || r.ExpiredTime == 0 {
			return tcapi.Credential{}, fmt.Errorf("the metadata service gave no usable credential (Code %q)", r.Code)
		}
		return tcapi.Credential{SecretID: r.TmpSecretID, SecretKey: r.TmpSecretKey, Token: r.Token, Expiration: time.Unix(r.ExpiredTime, 0)}, nil
	}
	return src
}

var errMetadataNotFound = errors.New("not found")

// metadataGet reads one metadata path.
func metadataGet(ctx context.Context, hc *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("the metadata service did not answer (%v); it answers only on a CVM instance, for a CAM role bound to it", err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case err != nil:
		return nil, fmt.Errorf("reading the metadata answer: %w", err)
	case resp.StatusCode == http.StatusNotFound:
		return nil, errMetadataNotFound
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("the metadata service answered HTTP %s", resp.Status)
	}
	return body, nil
}

// ExpiringCredentials is a temporary credential that someone else renews
// (a tccli login): usable until c.Expiration, then an error that says so
// and how to renew it (renew).
func ExpiringCredentials(name string, c tcapi.Credential, renew string, now func() time.Time) tcapi.CredentialSource {
	if now == nil {
		now = time.Now
	}
	return expiringSource{name: name, cred: c, renew: renew, now: now}
}

type expiringSource struct {
	name, renew string
	cred        tcapi.Credential
	now         func() time.Time
}

func (s expiringSource) Name() string { return s.name }

func (s expiringSource) Credential(context.Context) (tcapi.Credential, error) {
	if !s.now().Before(s.cred.Expiration) {
		return tcapi.Credential{}, fmt.Errorf("%w at %s: %s", errLoginExpired, s.cred.Expiration.UTC().Format(time.RFC3339), s.renew)
	}
	return s.cred, nil
}

// errLoginExpired is wrapped by the error of a login-based credential whose
// time is up.
var errLoginExpired = errors.New("the login expired")
