package emulator

import (
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
		limiter:  newRateLimiter(cfg.RateLimit, ownRateLimits()),
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
