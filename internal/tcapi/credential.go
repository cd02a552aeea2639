package tcapi

import (
	"context"
	"fmt"
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

// SameCredential tells whether two credentials are the same issue of a
// temporary credential: the same ID and token.
func SameCredential(a, b Credential) bool { return a.SecretID == b.SecretID && a.Token == b.Token }

// CredentialSource supplies the credential for each request.
type CredentialSource interface {
	// Credential returns a credential valid for at least the next minutes,
	// fetching a new one first when the current one is about to expire.
	Credential(ctx context.Context) (Credential, error)
	// Name says where credentials come from, for diagnostics and logs.
	Name() string
}

// Invalidator is implemented by sources of temporary credentials: when the
// service rejects a token before its announced expiry, the next Credential
// call fetches a new one.
type Invalidator interface {
	// InvalidateIf forgets the cached credential only if it is the rejected
	// one: a request that was refused with an older credential must not
	// throw away the fresh one another request has fetched meanwhile.
	InvalidateIf(rejected Credential)
}

// Preflighter is implemented by sources that must pass a check before the
// first request they sign (such as the account a credential belongs to).
// Send runs Preflight before every request and returns its error as it is;
// a source remembers a check that passed, so later calls cost nothing.
type Preflighter interface {
	Preflight(ctx context.Context) error
}

// CredentialError means no credential could be obtained for a request.
type CredentialError struct {
	Source string
	Err    error
}

func (e *CredentialError) Error() string { return "obtaining credentials: " + e.Err.Error() }
func (e *CredentialError) Unwrap() error { return e.Err }
