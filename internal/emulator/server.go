package emulator

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/clock"
)

// Defaults applied by New.
const (
	DefaultSecretID          = "AKIDemulator"
	DefaultSecretKey         = "emulator-secret"
	DefaultCAMRoleName       = "emulator-cvm-role"
	DefaultTempCredentialTTL = 2 * time.Hour
	legacyGatewayPath        = "/v2/index.php"
	adminPrefix              = "/_emulator/"
	shutdownGracePeriod      = 5 * time.Second
)

// Server is the emulated API service. It is an http.Handler; Listen or Start
// also serve it on a local port.
type Server struct {
	cfg     Config
	log     *slog.Logger
	auth    atomic.Pointer[authState]
	limiter *rateLimiter
	temp    *tempStore
	mfaUsed usedCodes // TOTP steps spent, per MFA device
	stats   statsCollector
	clock   *clock.Shifted // Config.Now, shifted by SetClockOffset

	// reloadMu serializes Reload, which replaces regions, then auth.
	reloadMu sync.Mutex

	mu      sync.RWMutex // guards regions
	regions map[string]*regionStore

	faultMu    sync.Mutex // guards faults, faultCodes, rng and churn
	faults     Faults
	faultCodes []string
	rng        *rand.Rand
	churn      churnSchedule
	churnEvery atomic.Int64 // faults.ChurnEvery, read without faultMu on every request

	// Lifecycle. closing is closed by Close to abort delays; lifeMu guards
	// closed and the in-flight count.
	lifeMu   sync.RWMutex
	closed   bool
	inflight sync.WaitGroup
	closing  chan struct{}
	httpSrv  *http.Server
	url      string
	serveWG  sync.WaitGroup

	// Connections accepted that have not sent a request yet; Close drops
	// them, as http.Server.Shutdown would wait five seconds for each.
	connMu   sync.Mutex
	newConns map[net.Conn]struct{}
	dropNew  bool
}

// New validates cfg and returns a Server that is not yet listening.
func New(cfg Config) (*Server, error) {
	auth, err := authStateOf(cfg)
	if err != nil {
		return nil, err
	}
	if err := validateRegions("Regions", cfg.Regions, nil); err != nil {
		return nil, err
	}
	switch {
	case cfg.Latency < 0:
		return nil, fmt.Errorf("invalid Latency: negative duration %s", cfg.Latency)
	case math.IsNaN(cfg.RateLimit) || math.IsInf(cfg.RateLimit, 0) || cfg.RateLimit < 0:
		return nil, fmt.Errorf("RateLimit: %v is not a rate; use 0 for unlimited or a positive number of requests per second", cfg.RateLimit)
	case cfg.TempCredentialTTL < 0:
		return nil, fmt.Errorf("TempCredentialTTL: negative duration %s", cfg.TempCredentialTTL)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.CAMRoleName == "" {
		cfg.CAMRoleName = DefaultCAMRoleName
	}
	if strings.ContainsAny(cfg.CAMRoleName, "/?#") {
		return nil, fmt.Errorf("CAMRoleName: %q cannot be part of a URL path", cfg.CAMRoleName)
	}
	if cfg.TempCredentialTTL == 0 {
		cfg.TempCredentialTTL = DefaultTempCredentialTTL
	}
	s := &Server{
		cfg:      cfg,
		log:      cfg.Logger,
		limiter:  newRateLimiter(cfg.RateLimit),
		temp:     newTempStore(),
		regions:  make(map[string]*regionStore),
		rng:      rand.New(rand.NewPCG(uint64(cfg.Seed), 0x6376_6d2d_656d_7531)),
		clock:    clock.NewShifted(cfg.Now),
		closing:  make(chan struct{}),
		newConns: make(map[net.Conn]struct{}),
	}
	s.auth.Store(auth)
	s.stats.reset()
	now := s.now()
	for region, list := range cfg.Regions {
		s.regions[region] = newRegionStore(list, now)
	}
	return s, nil
}

// now is the emulator's clock: Config.Now shifted by SetClockOffset.
func (s *Server) now() time.Time {
	return s.clock.Now()
}

// SetClockOffset shifts the emulator's clock by d (signature expiry,
// transitions, temporary credential expiry).
func (s *Server) SetClockOffset(d time.Duration) {
	s.clock.SetOffset(d)
	s.log.Info("clock offset set", "offset", d.String())
}

// Reload replaces the permanent credentials and the identity with cfg's, and
// the instances of the regions cfg.Regions names (as SetInstances does,
// transitions counting from now). When anything in cfg is invalid nothing
// changes. Temporary credentials already issued stay valid; the other Config
// fields are ignored.
//
// Reloads are serialized, so that two of them cannot leave the instances of
// one beside the credentials of the other.
func (s *Server) Reload(cfg Config) error {
	auth, err := authStateOf(cfg)
	if err != nil {
		return err
	}
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	if err := s.SetInstances(cfg.Regions); err != nil {
		return err
	}
	s.auth.Store(auth)
	s.log.Info("credentials and identity replaced", "credentials", len(auth.creds))
	return nil
}

// authStateOf checks the credentials and identity of cfg: the default
// credential when it has none.
func authStateOf(cfg Config) (*authState, error) {
	creds := cfg.Credentials
	if len(creds) == 0 {
		creds = []Credential{{SecretID: DefaultSecretID, SecretKey: DefaultSecretKey}}
	}
	return newAuthState(creds, cfg.Identity, "Credentials", "Identity", cfg.oidcKeys)
}

// RevokeTemporaryCredentials makes every temporary credential issued so far
// fail with AuthFailure.TokenFailure.
func (s *Server) RevokeTemporaryCredentials() {
	n := s.temp.revokeAll()
	s.log.Info("temporary credentials revoked", "count", n)
}

// SetInstances replaces the instances of the regions named in regions (other
// regions keep theirs). Transitions count from now.
func (s *Server) SetInstances(regions map[string][]Instance) error {
	return s.setInstances("Regions", regions)
}

func (s *Server) setInstances(root string, regions map[string][]Instance) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	taken := make(map[string]string)
	for name, rs := range s.regions {
		if _, replaced := regions[name]; replaced {
			continue
		}
		for id := range rs.byID {
			taken[id] = name
		}
	}
	if err := validateRegions(root, regions, taken); err != nil {
		return err
	}
	now := s.now()
	for name, list := range regions {
		s.regions[name] = newRegionStore(list, now)
		s.log.Info("instances loaded", "region", name, "count", len(list))
	}
	return nil
}

// regionSupported reports whether the API accepts region.
func (s *Server) regionSupported(region string) bool {
	for _, r := range documentedRegions {
		if r == region {
			return true
		}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.regions[region]
	return ok
}

// ServeHTTP routes API requests (/ and the legacy /v2/index.php), the admin
// API (/_emulator/…) and the metadata credential endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.lifeMu.RLock()
	if s.closed {
		s.lifeMu.RUnlock()
		writeJSONError(w, http.StatusServiceUnavailable, "the emulator is shutting down")
		return
	}
	s.inflight.Add(1)
	s.lifeMu.RUnlock()
	defer s.inflight.Done()

	switch p := r.URL.Path; {
	case p == "/" || p == "" || p == legacyGatewayPath:
		s.serveAPI(w, r)
	case strings.HasPrefix(p, adminPrefix):
		s.serveAdmin(w, r)
	case p == metadataPrefix || strings.HasPrefix(p, metadataPrefix+"/"):
		s.serveMetadata(w, r)
	default:
		writeJSONError(w, http.StatusNotFound, "no such path %q: the API is served at / (and the legacy gateway at %s), the admin API under %s, credentials under %s/", p, legacyGatewayPath, adminPrefix, metadataPrefix)
	}
}

// serveAPI answers one API request: parse, decide faults, process, wait the
// latency, write.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	s.stats.request()
	now := s.now()
	requestID := newRequestID()

	s.applyTimedChurn(now)
	req, perr := parseRequest(r)
	action := req.common["Action"]
	def, known := actions[action]
	var fx faultDraw
	if known {
		fx = s.drawFaults(action)
	}

	var (
		body []byte
		code string
		who  *requester // nil when a fault answers instead
	)
	switch fx.outcome {
	case outcomeReset:
		code = "ConnectionReset"
	case outcome502:
		code = "HTTP502"
	case outcome504:
		code = "HTTP504"
	default:
		var result answer
		var aerr *apiError
		who = &requester{}
		result, aerr = s.process(req, perr, def, known, &fx, now, who)
		if aerr != nil {
			code = aerr.Code
			body = envelope(errorBody{Error: aerr, RequestId: requestID})
		} else {
			code = "Success"
			result.setRequestID(requestID)
			body = envelope(result)
		}
	}
	actionKey := action
	if !known {
		actionKey = "(unknown)"
	}
	s.stats.record(actionKey, code, who)

	latency := s.cfg.Latency
	if fx.hasLat {
		latency = fx.latency
	}
	delay := latency + fx.extra
	attrs := []slog.Attr{
		slog.String("request_id", requestID),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("action", action),
		slog.String("region", req.common["Region"]),
		slog.String("signature", signatureName(req)),
	}
	if who != nil {
		attrs = append(attrs, who.logAttrs(def.unsigned)...)
	}
	attrs = append(attrs,
		slog.String("code", code),
		slog.Duration("delay", delay),
		slog.Duration("server_time", time.Since(started)),
	)
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "api request", attrs...)
	if !s.sleep(r.Context(), delay) {
		// Drop the connection rather than let net/http send an empty 200.
		dropConnection(w)
		return
	}
	switch {
	case fx.outcome == outcomeReset:
		resetConnection(w)
	case fx.outcome == outcome502:
		writeGatewayError(w, http.StatusBadGateway)
	case fx.outcome == outcome504:
		writeGatewayError(w, http.StatusGatewayTimeout)
	case fx.truncate:
		writeTruncated(w, body)
	default:
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", fmt.Sprint(len(body)))
		h.Set("X-TC-RequestId", requestID)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	}
}

// process runs the checks in the service's order, then the action; it
// fills in who as far as it learns who sent the request.
func (s *Server) process(req *apiRequest, perr *apiError, def actionDef, known bool, fx *faultDraw, now time.Time, who *requester) (answer, *apiError) {
	if perr != nil {
		return nil, perr
	}
	action := req.common["Action"]
	switch {
	case action == "":
		return nil, newError("MissingParameter", "The request is missing the required parameter `Action`.")
	case !known:
		return nil, newError("InvalidAction", "The action `%s` is not found; this emulator serves %s.", action, strings.Join(actionNames(), ", "))
	}
	switch v := req.common["Version"]; {
	case v == "":
		return nil, newError("MissingParameter", "The request is missing the required parameter `Version`.")
	case v != def.version:
		return nil, newError("NoSuchVersion", "The API version `%s` of action %s does not exist; use %s.", v, action, def.version)
	}
	region := req.common["Region"]
	if region == "" && def.needsRegion {
		which := "the region of the instances, such as ap-guangzhou"
		if def.service == "sts" {
			which = "STS is global, so any region, such as ap-guangzhou, will do"
		}
		return nil, newError("MissingParameter", "The request is missing a required parameter `Region`. Send X-TC-Region (or Region) with %s: %s.", action, which)
	}
	if region != "" && !s.regionSupported(region) {
		return nil, newError("UnsupportedRegion", "The region `%s` is not supported by %s.", region, action)
	}
	// One state for the whole request, so that a Reload meanwhile cannot
	// accept a key of the new credentials and charge it to the old accounts.
	auth := s.auth.Load()
	var (
		sec  secret // unsigned actions have none, and share one bucket per action
		aerr *apiError
	)
	if def.unsigned {
		aerr = checkUnsigned(req, now)
	} else {
		who.secretID, sec, aerr = s.authenticate(auth, req, def.service, now)
		if sec.key != "" { // the signature verified, whatever the token
			who.signer = &sec.origin
		}
	}
	if aerr != nil {
		return nil, aerr
	}
	if s.limiter != nil {
		if ok, seen := s.limiter.allow(sec.who.AccountId, action, now); !ok {
			return nil, newError("RequestLimitExceeded", "%s", s.limiter.message(seen))
		}
	}
	if fx.outcome == outcomeError {
		return nil, s.injectedError(fx.code)
	}
	params, aerr := bindParams(req, def.params)
	if aerr != nil {
		return nil, aerr
	}
	c := &call{action: action, params: params, region: region, secretID: who.secretID, now: now, faults: fx, auth: auth,
		caller: sec.who, temporary: sec.temporary, who: who}
	return def.handle(s, c)
}

func signatureName(req *apiRequest) string {
	if req.authorization == "SKIP" {
		return "SKIP" // unsigned, as AssumeRoleWithWebIdentity is sent
	}
	switch req.kind {
	case signatureTC3:
		return tc3Algorithm
	case signatureV1:
		if req.common["SignatureMethod"] == methodSHA256 {
			return methodSHA256
		}
		return methodSHA1
	}
	return ""
}

// sleep waits d unless the client goes away or the server closes; it reports
// whether the answer should still be written.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.closing:
		return false
	}
}
