package emulator

import (
	"crypto/rand"
	"net/http"
	"strings"
	"sync"
	"time"
)

// tempStore holds the temporary credentials issued by AssumeRole and the
// metadata endpoint.
type tempStore struct {
	mu    sync.Mutex
	creds map[string]*tempCredential
}

type tempCredential struct {
	id, key, token string
	expires        time.Time
	revoked        bool
	who            principal // what GetCallerIdentity answers for it
	origin         keyOrigin // what the stats say of it
}

// pruneAfter bounds the store: once it holds this many credentials, the ones
// expired for more than pruneGrace are forgotten (they then fail with
// AuthFailure.SecretIdNotFound instead of TokenFailure).
const (
	pruneAfter = 10000
	pruneGrace = time.Hour
)

func newTempStore() *tempStore { return &tempStore{creds: make(map[string]*tempCredential)} }

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomString returns n characters of alphabet from crypto/rand; issued
// secrets must not be predictable from the fault-injection seed.
func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// issue makes a credential for who; origin says which action issued it and
// for which role session (its account and temporary flag are set here).
func (t *tempStore) issue(now time.Time, ttl time.Duration, who principal, origin keyOrigin) tempCredential {
	origin.account, origin.temporary = who.AccountId, true
	c := &tempCredential{
		who:     who,
		origin:  origin,
		id:      "AKID" + randomString(alnum, 32),
		key:     randomString(alnum, 32),
		token:   randomString(alnum+"-_", 176),
		expires: now.Add(ttl).Truncate(time.Second),
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.creds) >= pruneAfter {
		for id, old := range t.creds {
			if now.Sub(old.expires) > pruneGrace {
				delete(t.creds, id)
			}
		}
	}
	t.creds[c.id] = c
	return *c
}

func (t *tempStore) lookup(id string) (secret, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c, ok := t.creds[id]
	if !ok {
		return secret{}, false
	}
	return secret{key: c.key, token: c.token, temporary: true, expires: c.expires, revoked: c.revoked, who: c.who, origin: c.origin}, true
}

func (t *tempStore) revokeAll() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.creds {
		c.revoked = true
	}
	return len(t.creds)
}

// metadataSessionName is the session name of metadata credentials, as
// GetCallerIdentity shows it (roleId:session).
const metadataSessionName = "cvm-instance"

// metadataPrefix is the path of the CVM metadata credential service.
const metadataPrefix = "/latest/meta-data/cam/security-credentials"

type metadataCredential struct {
	TmpSecretId  string `json:"TmpSecretId"`
	TmpSecretKey string `json:"TmpSecretKey"`
	ExpiredTime  int64  `json:"ExpiredTime"`
	Expiration   string `json:"Expiration"`
	Token        string `json:"Token"`
	Code         string `json:"Code"`
}

// serveMetadata answers the unsigned CVM metadata credential endpoints: the
// role name as plain text, and a fresh temporary credential for that role.
func (s *Server) serveMetadata(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, metadataPrefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	role := strings.TrimPrefix(rest, "/")
	switch {
	case rest == "" || rest == "/":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(s.cfg.CAMRoleName))
	case role == s.cfg.CAMRoleName:
		arn := "qcs::cam::uin/" + DefaultAccountID + ":roleName/" + role
		who := rolePrincipal(DefaultAccountID, arn, metadataSessionName, DefaultAccountID)
		c := s.temp.issue(s.now(), s.cfg.TempCredentialTTL, who, keyOrigin{issuedBy: "metadata", role: arn, session: metadataSessionName})
		s.log.Info("metadata credential issued", "role", role, "secret_id", c.id, "expires", c.expires.UTC().Format(time.RFC3339))
		writeJSON(w, http.StatusOK, metadataCredential{
			TmpSecretId:  c.id,
			TmpSecretKey: c.key,
			ExpiredTime:  c.expires.Unix(),
			Expiration:   c.expires.UTC().Format(time.RFC3339),
			Token:        c.token,
			Code:         "Success",
		})
	default:
		http.NotFound(w, r)
	}
}
