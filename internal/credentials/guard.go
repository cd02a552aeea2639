package credentials

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// AccountGuard restricts the account the credential may belong to: it is
// asked, with GetCallerIdentity, before the first read.
type AccountGuard struct {
	Allowed   []string // when not empty, the account must be one of these
	Forbidden []string // the account must be none of these
}

// callerIdentity is what GetCallerIdentity says about a credential.
type callerIdentity struct {
	ARN         string `json:"Arn"`
	AccountID   string `json:"AccountId"`
	UserID      string `json:"UserId"`
	PrincipalID string `json:"PrincipalId"`
	Type        string `json:"Type"`
}

// AccountError means the credential belongs to an account the
// AccountGuard does not allow. No read is sent.
type AccountError struct {
	Identity  callerIdentity
	Allowed   []string
	Forbidden []string
}

func (e *AccountError) Error() string {
	if len(e.Allowed) > 0 && !slices.Contains(e.Allowed, e.Identity.AccountID) {
		return fmt.Sprintf("the credential belongs to account %s (%s), which is not one of the allowed accounts %s",
			e.Identity.AccountID, e.Identity.ARN, strings.Join(e.Allowed, ", "))
	}
	return fmt.Sprintf("the credential belongs to account %s (%s), which is one of the forbidden accounts %s",
		e.Identity.AccountID, e.Identity.ARN, strings.Join(e.Forbidden, ", "))
}

// check returns an *AccountError when id's account is not allowed.
func (g *AccountGuard) check(id callerIdentity) error {
	if (len(g.Allowed) > 0 && !slices.Contains(g.Allowed, id.AccountID)) || slices.Contains(g.Forbidden, id.AccountID) {
		return &AccountError{Identity: id, Allowed: g.Allowed, Forbidden: g.Forbidden}
	}
	return nil
}

// Guard wraps src so that, before the first request it signs, STS's
// GetCallerIdentity says whose credential it is, and a credential of an
// account g does not allow signs nothing: the request fails with the
// *AccountError. A refusal is final; a failure to ask is retried like any
// request, and asked again by the next request when it persists.
func (s *STS) Guard(src tcapi.CredentialSource, g AccountGuard) tcapi.CredentialSource {
	return &guardedSource{CredentialSource: src, guard: g, sts: s}
}

type guardedSource struct {
	tcapi.CredentialSource
	guard AccountGuard
	sts   *STS

	mu      sync.Mutex
	checked atomic.Bool // the guard passed: no lock needed from then on
	refused error       // the guard refused, for good
}

// InvalidateIf passes a rejection on to the source, if it caches.
func (g *guardedSource) InvalidateIf(rejected tcapi.Credential) {
	if inv, ok := g.CredentialSource.(tcapi.Invalidator); ok {
		inv.InvalidateIf(rejected)
	}
}

// Preflight runs the guard once, before the first request.
func (g *guardedSource) Preflight(ctx context.Context) error {
	if g.checked.Load() {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.checked.Load() || g.refused != nil {
		return g.refused
	}
	api := g.sts.api
	for attempt := 1; ; attempt++ {
		id, err := g.sts.identify(ctx, g.CredentialSource)
		if err == nil {
			if g.refused = g.guard.check(id); g.refused == nil {
				g.checked.Store(true)
			}
			return g.refused
		}
		var apiErr *tcapi.APIError
		if ctx.Err() != nil || !errors.As(err, &apiErr) || !apiErr.Retryable() || attempt > api.MaxRetries() {
			return fmt.Errorf("checking the account of the credential: %w", err)
		}
		if err := tcapi.Sleep(ctx, api.Backoff(attempt)); err != nil {
			return err
		}
	}
}

// identify asks STS who the credential of src is.
func (s *STS) identify(ctx context.Context, src tcapi.CredentialSource) (callerIdentity, error) {
	cred, err := src.Credential(ctx)
	if err != nil {
		return callerIdentity{}, &tcapi.CredentialError{Source: src.Name(), Err: err}
	}
	return s.callerIdentity(ctx, cred)
}
