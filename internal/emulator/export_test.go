package emulator

// What package emulator_test needs of the emulator's internals: the
// signing functions the tests sign with by hand and hold to the official
// known answers, the parsers the fuzz tests drive, and windows onto state
// the black-box tests cannot observe from outside.

import (
	"crypto/rsa"
	"time"
)

// Signing (signature.go, auth.go).
var (
	TC3Date               = tc3Date
	TC3CanonicalRequest   = tc3CanonicalRequest
	TC3StringToSign       = tc3StringToSign
	TC3SigningKey         = tc3SigningKey
	TC3Sign               = tc3Sign
	SHA256Hex             = sha256Hex
	V1Sign                = v1Sign
	V1StringToSign        = v1StringToSign
	ParseTC3Authorization = parseTC3Authorization
)

// The parts of an Authorization header parseTC3Authorization read.
func (a tc3Authorization) SecretID() string      { return a.secretID }
func (a tc3Authorization) Date() string          { return a.date }
func (a tc3Authorization) Service() string       { return a.service }
func (a tc3Authorization) SignedHeaders() string { return a.signedHeaders }
func (a tc3Authorization) Signature() string     { return a.signature }

const (
	STSVersion      = stsVersion
	MethodSHA1      = methodSHA1
	MethodSHA256    = methodSHA256
	MaxChurnCatchUp = maxChurnCatchUp
)

// Requests and parameters (request.go, params.go, response.go).
type (
	APIRequest = apiRequest
	APIError   = apiError
)

var (
	NewRequestID    = newRequestID
	ParseRequest    = parseRequest
	ParseFlat       = parseFlat
	BindFlat        = bindFlat
	InstanceProblem = instanceProblem
)

// ParamSpecOf is the parameters action takes.
func ParamSpecOf(action string) paramSpec { return actions[action].params }

// NewBoundParams is an empty boundParams, for BindFlat.
func NewBoundParams() *boundParams {
	return &boundParams{ints: map[string]int64{}, strings: map[string]string{}, lists: map[string][]string{}}
}

// Lists are the list parameters bound.
func (p *boundParams) Lists() map[string][]string { return p.lists }

// Authentication (identity.go, auth.go).
var (
	NewAuthState     = newAuthState
	AccountPrincipal = accountPrincipal
)

// AuthStateForTest is the credentials and identity the server judges by now.
func (s *Server) AuthStateForTest() *authState { return s.auth.Load() }

// AuthenticateForTest authenticates req against st, as process does.
func (s *Server) AuthenticateForTest(st *authState, req *apiRequest, service string, now time.Time) (string, secret, *apiError) {
	return s.authenticate(st, req, service, now)
}

// NowForTest is the emulator's clock.
func (s *Server) NowForTest() time.Time { return s.now() }

// Who is who signs with the key; Temporary, whether it is a temporary one.
func (k secret) Who() principal  { return k.who }
func (k secret) Temporary() bool { return k.temporary }

// OIDCKey is the public key of OIDC provider id.
func (st *authState) OIDCKey(id string) *rsa.PublicKey { return st.oidc[id].key }

// HasNewConnForTest reports whether the server holds a connection from
// remote that has not sent a request yet (trackConn).
func (s *Server) HasNewConnForTest(remote string) bool {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	for c := range s.newConns {
		if c.RemoteAddr().String() == remote {
			return true
		}
	}
	return false
}

// TOTPCodeForTest is the emulator's own TOTP code of secret at time at, for
// the tests of package emulator_test to hold against emutest.TOTPCode: two
// implementations that agree with RFC 6238's known answers.
func TOTPCodeForTest(secret string, at time.Time) string {
	key, err := decodeTOTPSecret(secret)
	if err != nil {
		panic(err)
	}
	return totpCode(key, at)
}

// InstanceAtForTest is an instance's state and Readiness at the emulator's
// current time, as the actions see them.
func (s *Server) InstanceAtForTest(region, id string) (string, Readiness, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rs := s.regions[region]
	if rs == nil || rs.byID[id] == nil {
		return "", Readiness{}, false
	}
	rec, now := rs.byID[id], s.now()
	return rec.stateAt(now), rec.readinessAt(now), true
}
