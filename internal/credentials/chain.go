package credentials

import (
	"errors"

	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// Layers say who the reads act as beyond the base credential: at most one
// of AssumeRole, WebIdentity, SAML and SessionToken, and the account guard
// around the result.
type Layers struct {
	// AssumeRole and SessionToken are made with the base credential;
	// WebIdentity and SAML need none (it may then be nil).
	AssumeRole   *AssumeRole
	WebIdentity  *WebIdentity
	SAML         *SAML
	SessionToken *SessionToken
	// AccountGuard, when set, is checked with GetCallerIdentity before the
	// first request; a credential of another account signs nothing.
	AccountGuard *AccountGuard
}

// errNoCredentials is returned by Chain when there is neither a base
// credential nor a layer that needs none.
var errNoCredentials = errors.New("no Tencent Cloud credentials")

// Chain is the credential that signs the requests: base turned by l's layer
// into another identity, if any, and guarded by its AccountGuard.
func (s *STS) Chain(base tcapi.CredentialSource, l Layers) (tcapi.CredentialSource, error) {
	if base == nil && l.WebIdentity == nil && l.SAML == nil {
		return nil, errNoCredentials
	}
	set := 0
	for _, on := range []bool{l.AssumeRole != nil, l.WebIdentity != nil, l.SAML != nil, l.SessionToken != nil} {
		if on {
			set++
		}
	}
	if set > 1 {
		return nil, errors.New("at most one of AssumeRole, WebIdentity, SAML and SessionToken may be set")
	}
	src := base
	switch {
	case l.AssumeRole != nil:
		if l.AssumeRole.RoleARN == "" {
			return nil, errors.New("AssumeRole needs a RoleARN")
		}
		src = s.AssumeRole(base, *l.AssumeRole)
	case l.WebIdentity != nil:
		if l.WebIdentity.RoleARN == "" || l.WebIdentity.Token == nil {
			return nil, errors.New("WebIdentity needs a RoleARN and a Token")
		}
		src = s.WebIdentity(*l.WebIdentity)
	case l.SAML != nil:
		src = s.SAML(*l.SAML)
	case l.SessionToken != nil:
		src = s.SessionToken(base, *l.SessionToken)
	}
	if l.AccountGuard != nil {
		src = s.Guard(src, *l.AccountGuard)
	}
	return src, nil
}
