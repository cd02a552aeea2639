package emulator

import (
	"log/slog"
	"maps"
	"strings"
	"sync"
)

// keyOrigin is what the emulator knows of a key besides its secrets, as
// SignerStats shows it.
type keyOrigin struct {
	account   string
	temporary bool
	issuedBy  string // the STS action, or "metadata"
	role      string // the role ARN of a role session
	session   string
	provider  string // the OIDC ProviderId or SAML PrincipalArn that vouched
}

// requester is who sent an API request, as the log line and the stats name
// it; never a secret key or token.
type requester struct {
	secretID string     // the SecretId the request named; "" unsigned
	signer   *keyOrigin // set once the signature verified
	// The unsigned actions have no SecretId: by names the identity
	// provider that vouched ("OIDC provider github"), role the role asked
	// for, as far as the request got.
	by, role string
}

// vouchedBy records who an unsigned request relies on, and for which role.
func (r *requester) vouchedBy(kind, id, role string) {
	if id != "" {
		r.by = kind + " provider " + id
	}
	r.role = role
}

// logAttrs name the requester in the api request line: the SecretId of a
// signed request, the provider and role of an unsigned one.
func (r *requester) logAttrs(unsigned bool) []slog.Attr {
	if !unsigned {
		return []slog.Attr{slog.String("secret_id", r.secretID)}
	}
	var out []slog.Attr
	if r.by != "" {
		out = append(out, slog.String("by", r.by))
	}
	if r.role != "" {
		out = append(out, slog.String("role", r.role))
	}
	return out
}

// statsCollector is the mutable side of Stats.
type statsCollector struct {
	mu         sync.Mutex
	requests   int64
	throttled  int64
	byAction   map[string]int64
	byCode     map[string]int64
	bySecretID map[string]*SignerStats
}

func (c *statsCollector) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests, c.throttled = 0, 0
	c.byAction = map[string]int64{}
	c.byCode = map[string]int64{}
	c.bySecretID = map[string]*SignerStats{}
}

func (c *statsCollector) request() {
	c.mu.Lock()
	c.requests++
	c.mu.Unlock()
}

// record counts an answered request; who is nil when the request never
// reached authentication (a fault drawn instead).
func (c *statsCollector) record(action, code string, who *requester) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byAction[action]++
	c.byCode[code]++
	if strings.HasPrefix(code, "RequestLimitExceeded") {
		c.throttled++
	}
	if who == nil || who.signer == nil {
		return
	}
	st := c.bySecretID[who.secretID]
	if st == nil {
		o := who.signer
		st = &SignerStats{ByCode: map[string]int64{}, Account: o.account, Temporary: o.temporary,
			IssuedBy: o.issuedBy, Role: o.role, Session: o.session, Provider: o.provider}
		c.bySecretID[who.secretID] = st
	}
	st.Requests++
	st.ByCode[code]++
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	bySecretID := make(map[string]SignerStats, len(s.stats.bySecretID))
	for id, st := range s.stats.bySecretID {
		c := *st
		c.ByCode = maps.Clone(st.ByCode)
		bySecretID[id] = c
	}
	return Stats{
		Requests:   s.stats.requests,
		Throttled:  s.stats.throttled,
		ByAction:   maps.Clone(s.stats.byAction),
		ByCode:     maps.Clone(s.stats.byCode),
		BySecretID: bySecretID,
	}
}

// ResetStats zeroes the counters.
func (s *Server) ResetStats() { s.stats.reset() }
