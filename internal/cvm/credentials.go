package cvm

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
)

// Credential is one set of keys to sign requests with. Temporary credentials
// (CAM role, assumed role) carry a Token and an Expiration.
type Credential struct {
	SecretID   string
	SecretKey  string
	Token      string
	Expiration time.Time // zero for keys that do not expire
}

// String keeps the secret parts out of any log or error that prints a
// Credential by accident.
func (c Credential) String() string {
	return fmt.Sprintf("Credential{SecretID: %s, SecretKey: <redacted>, Token: <%d bytes redacted>}", c.SecretID, len(c.Token))
}

// GoString does the same for %#v.
func (c Credential) GoString() string { return c.String() }

// CredentialSource supplies the credential for each request.
type CredentialSource interface {
	// Credential returns a credential valid for at least the next minutes,
	// fetching a new one first when the current one is about to expire.
	Credential(ctx context.Context) (Credential, error)
	// Name says where credentials come from, for diagnostics and logs.
	Name() string
}

// invalidator is implemented by sources of temporary credentials: when the
// service rejects a token before its announced expiry, the next Credential
// call fetches a new one.
type invalidator interface {
	// InvalidateIf forgets the cached credential only if it is the rejected
	// one: a request that was refused with an older credential must not
	// throw away the fresh one another request has fetched meanwhile.
	InvalidateIf(rejected Credential)
}

// StaticCredentials is a credential that never changes.
func StaticCredentials(name string, c Credential) CredentialSource {
	return staticSource{name: name, cred: c}
}

type staticSource struct {
	name string
	cred Credential
}

func (s staticSource) Credential(context.Context) (Credential, error) { return s.cred, nil }
func (s staticSource) Name() string                                   { return s.name }

// refreshingSource caches a temporary credential and fetches the next one
// before the current one expires. Concurrent readers share one fetch.
type refreshingSource struct {
	name  string
	fetch func(ctx context.Context) (Credential, error)
	now   func() time.Time

	mu        sync.Mutex
	cur       Credential
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

func (s *refreshingSource) Credential(ctx context.Context) (Credential, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.valid && (s.cur.Expiration.IsZero() || now.Before(s.cur.Expiration.Add(-refreshMargin(s.fetchedAt, s.cur.Expiration)))) {
		return s.cur, nil
	}
	c, err := s.fetch(ctx) // errors are reported with Name by the caller
	if err != nil {
		return Credential{}, err
	}
	s.cur, s.fetchedAt, s.valid = c, now, true
	return c, nil
}

// sameCredential tells whether two credentials are the same issue of a
// temporary credential: the same ID and token.
func sameCredential(a, b Credential) bool { return a.SecretID == b.SecretID && a.Token == b.Token }

func (s *refreshingSource) InvalidateIf(rejected Credential) {
	s.mu.Lock()
	if sameCredential(s.cur, rejected) {
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
func CAMRoleCredentials(roleName, metadataURL string, hc *http.Client, now func() time.Time) CredentialSource {
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
	src.fetch = func(ctx context.Context) (Credential, error) {
		ctx, cancel := context.WithTimeout(ctx, metadataTimeout)
		defer cancel()
		role := roleName
		if role == "" {
			body, err := metadataGet(ctx, hc, base)
			if err != nil {
				return Credential{}, err
			}
			if role = strings.TrimSpace(strings.SplitN(string(body), "\n", 2)[0]); role == "" {
				return Credential{}, errors.New("the metadata service names no CAM role: bind one to this instance")
			}
		}
		body, err := metadataGet(ctx, hc, base+url.PathEscape(role))
		if errors.Is(err, errMetadataNotFound) {
			return Credential{}, fmt.Errorf("no role named %q is bound to this instance (metadata answered 404)", role)
		}
		if err != nil {
			return Credential{}, err
		}
		var r struct {
			TmpSecretID  string `json:"TmpSecretId"`
			TmpSecretKey string `json:"TmpSecretKey"`
			Token        string `json:"Token"`
			ExpiredTime  int64  `json:"ExpiredTime"`
			Code         string `json:"Code"`
		}
		if err := json.Unmarshal(body, &r); err != nil {
			return Credential{}, fmt.Errorf("the metadata answer is not valid JSON: %v", err)
		}
		if r.Code != "Success" || r.TmpSecretID == "" || r.TmpSecretKey == "" || r.Token == "" || r.ExpiredTime == 0 {
			return Credential{}, fmt.Errorf("the metadata service gave no usable credential (Code %q)", r.Code)
		}
		return Credential{SecretID: r.TmpSecretID, SecretKey: r.TmpSecretKey, Token: r.Token, Expiration: time.Unix(r.ExpiredTime, 0)}, nil
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
func ExpiringCredentials(name string, c Credential, renew string, now func() time.Time) CredentialSource {
	if now == nil {
		now = time.Now
	}
	return expiringSource{name: name, cred: c, renew: renew, now: now}
}

type expiringSource struct {
	name, renew string
	cred        Credential
	now         func() time.Time
}

func (s expiringSource) Name() string { return s.name }

func (s expiringSource) Credential(context.Context) (Credential, error) {
	if !s.now().Before(s.cred.Expiration) {
		return Credential{}, fmt.Errorf("%w at %s: %s", ErrLoginExpired, s.cred.Expiration.UTC().Format(time.RFC3339), s.renew)
	}
	return s.cred, nil
}

// ErrLoginExpired is wrapped by the error of a login-based credential whose
// time is up.
var ErrLoginExpired = errors.New("the login expired")
