package cvm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for Config fields left zero.
const (
	DefaultEndpoint    = "https://cvm.tencentcloudapi.com"
	DefaultSTSEndpoint = "https://sts.tencentcloudapi.com"
	// DefaultSTSRegion is the X-TC-Region of STS calls when Config names
	// none: every STS action's page marks Region required, and STS, a
	// global service, answers in any region. It is the official provider's
	// default region.
	DefaultSTSRegion      = "ap-guangzhou"
	DefaultRateLimit      = 20
	DefaultMaxRetries     = 8
	DefaultConcurrency    = 32
	DefaultRequestTimeout = 30 * time.Second
	DefaultRetryBaseDelay = 250 * time.Millisecond
	DefaultRetryMaxDelay  = 10 * time.Second
	DefaultPollInterval   = 2 * time.Second
	DefaultMaxPoll        = 30 * time.Second
	DefaultMissingGrace   = 30 * time.Second
	DefaultListRestarts   = 3

	// PageSize is the largest Limit, and the most IDs one request may name.
	PageSize = 100

	cvmVersion = "2017-03-12"
)

// Config configures a Client. Zero fields take the defaults above.
type Config struct {
	Endpoint    string // CVM API URL
	STSEndpoint string // STS API URL, for every STS call
	// STSRegion is sent as X-TC-Region with every STS call, which the
	// service requires: the provider's region, or the one a TKE pod's
	// identity names. Default DefaultSTSRegion.
	STSRegion string
	// Credentials is the base credential. AssumeRole and SessionToken are
	// made with it; WebIdentity and SAML need none (it may then be nil).
	Credentials CredentialSource
	// At most one of these turns the base into the credential that signs
	// the reads.
	AssumeRole   *AssumeRole
	WebIdentity  *WebIdentity
	SAML         *SAML
	SessionToken *SessionToken
	// AccountGuard, when set, is checked with GetCallerIdentity before the
	// first read; a credential of another account reads nothing.
	AccountGuard *AccountGuard

	RateLimit   float64 // DescribeInstancesStatus requests per second, for all reads together
	MaxRetries  int     // retries after the first attempt of a request; 0 takes the default, -1 means none
	Concurrency int     // requests in flight at once for one read

	HTTPClient     *http.Client
	RequestTimeout time.Duration // per attempt
	RetryBaseDelay time.Duration
	RetryMaxDelay  time.Duration
	PollInterval   time.Duration // first interval between polls when waiting
	MaxPoll        time.Duration // longest interval between polls
	// MissingGrace is how long a wait keeps polling for an ID the service
	// has never reported before it gives up on it (at least two polls).
	MissingGrace time.Duration
	// ListRestarts bounds the extra pages a listing under churn may read, in
	// listings' worth: ListRestarts × the pages it planned.
	ListRestarts int
	Now          func() time.Time
	UserAgent    string
	// Logger receives one Debug record per request and per poll of a wait,
	// through its *Context methods, so that a handler can use the context.
	// Nil discards them.
	Logger *slog.Logger
}

// Client reads instance states. It is safe for concurrent use, and all reads
// through one Client, whatever their region, share its rate limiter: the
// service counts requests per account and action, and the configured rate
// is a ceiling for the whole run.
type Client struct {
	cfg      Config
	endpoint *url.URL
	creds    CredentialSource
	caller   *caller
	limiter  *RateLimiter
	sts      *stsClient

	accountMu      sync.Mutex
	accountChecked atomic.Bool // the guard passed: no lock needed from then on
	accountErr     error       // the guard refused, for good
}

// New checks cfg and returns a Client. It makes no request.
func New(cfg Config) (*Client, error) {
	federated := cfg.WebIdentity != nil || cfg.SAML != nil
	if cfg.Credentials == nil && !federated {
		return nil, ErrNoCredentials
	}
	setDefault(&cfg.Endpoint, DefaultEndpoint)
	setDefault(&cfg.STSEndpoint, DefaultSTSEndpoint)
	setDefault(&cfg.STSRegion, DefaultSTSRegion)
	setDefault(&cfg.RateLimit, DefaultRateLimit)
	setDefault(&cfg.MaxRetries, DefaultMaxRetries)
	setDefault(&cfg.Concurrency, DefaultConcurrency)
	setDefault(&cfg.RequestTimeout, DefaultRequestTimeout)
	setDefault(&cfg.RetryBaseDelay, DefaultRetryBaseDelay)
	setDefault(&cfg.RetryMaxDelay, DefaultRetryMaxDelay)
	setDefault(&cfg.PollInterval, DefaultPollInterval)
	setDefault(&cfg.MaxPoll, DefaultMaxPoll)
	setDefault(&cfg.MissingGrace, DefaultMissingGrace)
	setDefault(&cfg.ListRestarts, DefaultListRestarts)
	if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.HTTPClient = apiHTTPClient(cfg.HTTPClient)
	if cfg.RateLimit < 0 || cfg.Concurrency < 0 || cfg.RequestTimeout < 0 {
		return nil, errors.New("rate limit, concurrency and request timeout must not be negative")
	}

	endpoint, err := ParseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("CVM endpoint: %w", err)
	}
	c := &Client{
		cfg:      cfg,
		endpoint: endpoint,
		creds:    cfg.Credentials,
		limiter:  NewRateLimiter(cfg.RateLimit),
		caller: &caller{
			httpClient: cfg.HTTPClient,
			timeout:    cfg.RequestTimeout,
			now:        cfg.Now,
			language:   "en-US",
			userAgent:  cfg.UserAgent,
		},
	}
	sts, err := ParseEndpoint(cfg.STSEndpoint)
	if err != nil {
		return nil, fmt.Errorf("STS endpoint: %w", err)
	}
	c.sts = &stsClient{endpoint: sts, caller: c.caller, region: cfg.STSRegion}
	set := 0
	for _, on := range []bool{cfg.AssumeRole != nil, cfg.WebIdentity != nil, cfg.SAML != nil, cfg.SessionToken != nil} {
		if on {
			set++
		}
	}
	if set > 1 {
		return nil, errors.New("at most one of AssumeRole, WebIdentity, SAML and SessionToken may be set")
	}
	switch {
	case cfg.AssumeRole != nil:
		if cfg.AssumeRole.RoleARN == "" {
			return nil, errors.New("AssumeRole needs a RoleARN")
		}
		c.creds = c.sts.assumeRole(cfg.Credentials, *cfg.AssumeRole)
	case cfg.WebIdentity != nil:
		if cfg.WebIdentity.RoleARN == "" || cfg.WebIdentity.Token == nil {
			return nil, errors.New("WebIdentity needs a RoleARN and a Token")
		}
		c.creds = c.sts.webIdentity(*cfg.WebIdentity)
	case cfg.SAML != nil:
		c.creds = c.sts.saml(*cfg.SAML)
	case cfg.SessionToken != nil:
		c.creds = c.sts.sessionToken(cfg.Credentials, *cfg.SessionToken)
	}
	return c, nil
}

// CallerIdentity asks STS who the credential that signs the reads is.
func (c *Client) CallerIdentity(ctx context.Context) (CallerIdentity, error) {
	cred, err := c.creds.Credential(ctx)
	if err != nil {
		return CallerIdentity{}, &CredentialError{Source: c.creds.Name(), Err: err}
	}
	return c.sts.callerIdentity(ctx, cred)
}

// checkAccount runs the AccountGuard once, before the first read. A refusal
// is final; a failure to ask is retried like any request, and asked again
// by the next read when it persists.
func (c *Client) checkAccount(ctx context.Context) error {
	if c.cfg.AccountGuard == nil || c.accountChecked.Load() {
		return nil
	}
	c.accountMu.Lock()
	defer c.accountMu.Unlock()
	if c.accountChecked.Load() || c.accountErr != nil {
		return c.accountErr
	}
	for attempt := 1; ; attempt++ {
		id, err := c.CallerIdentity(ctx)
		if err == nil {
			if c.accountErr = c.cfg.AccountGuard.check(id); c.accountErr == nil {
				c.accountChecked.Store(true)
			}
			return c.accountErr
		}
		var apiErr *APIError
		if ctx.Err() != nil || !errors.As(err, &apiErr) || !apiErr.Retryable() || attempt > c.cfg.MaxRetries {
			return fmt.Errorf("checking the account of the credential: %w", err)
		}
		if err := sleep(ctx, c.backoff(attempt)); err != nil {
			return err
		}
	}
}

// apiHTTPClient is hc (or a client with a transport of its own) that does
// not follow redirects: a signed request is meant for one host and path, and
// a redirect answered by something other than the API is reported instead.
func apiHTTPClient(hc *http.Client) *http.Client {
	var c http.Client
	if hc != nil {
		c = *hc
	} else {
		// A transport of its own, so that idle connections and settings
		// are not shared with whatever else the process does.
		transport := http.DefaultTransport
		if t, ok := transport.(*http.Transport); ok {
			transport = t.Clone()
		}
		c.Transport = transport
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// ErrNoCredentials is returned by New when Config has no Credentials.
var ErrNoCredentials = errors.New("no Tencent Cloud credentials")

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// CredentialSourceName says where the client's credentials come from.
func (c *Client) CredentialSourceName() string { return c.creds.Name() }

// send makes one API request with retries. Each attempt waits for the rate
// limiter, takes the current credential and is signed afresh.
//
// A throttled attempt is sent again as soon as the limiter, which the
// throttle slowed down, allows: the limiter's pace is what keeps the account
// under its limit, and an exponential sleep on top would leave the rate that
// other processes sharing the account have released unused for seconds.
// Other retryable errors back off exponentially. Retries go before requests
// not yet sent, and a request is attempted at most 1 + MaxRetries times, so
// throttling that persists at the limiter's floor is reported within
// seconds, not waited out.
func (c *Client) send(ctx context.Context, region, action string, payload []byte, out answer, logAttrs ...slog.Attr) error {
	if err := c.checkAccount(ctx); err != nil {
		return err
	}
	var rejected *Credential // the last temporary credential the service refused
	for attempt := 1; ; attempt++ {
		permit, err := c.limiter.Wait(ctx, attempt > 1)
		if err != nil {
			return contextError(ctx, err)
		}
		cred, err := c.creds.Credential(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// STS throttling or failing for a moment is as transient as the
			// CVM API doing so, and retried the same way.
			var stsErr *APIError
			if errors.As(err, &stsErr) && stsErr.Retryable() && attempt <= c.cfg.MaxRetries {
				if err := sleep(ctx, c.backoff(attempt)); err != nil {
					return err
				}
				continue
			}
			return &CredentialError{Source: c.creds.Name(), Err: err}
		}
		start := time.Now()
		apiErr := c.caller.call(ctx, c.endpoint, "cvm", action, cvmVersion, region, cred, payload, out)
		c.logAttempt(ctx, action, region, attempt, time.Since(start), out, apiErr, logAttrs)
		if apiErr == nil {
			c.limiter.Succeeded()
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		apiErr.Attempts = attempt
		if apiErr.Throttled() {
			c.limiter.Throttled(permit)
			if attempt <= c.cfg.MaxRetries {
				continue
			}
			return apiErr
		}
		// A temporary credential can be revoked or expire early: fetch a new
		// one, straight away the first time. Each later rejection must be of
		// a different credential, and counts as a retry: the same credential
		// refused twice is not a matter of its age.
		if inv, ok := c.creds.(invalidator); ok && isCredentialRejection(apiErr.Code) {
			first := rejected == nil
			if first || (!sameCredential(*rejected, cred) && attempt <= c.cfg.MaxRetries) {
				rejected = &cred
				inv.InvalidateIf(cred)
				if !first {
					if err := sleep(ctx, c.backoff(attempt)); err != nil {
						return err
					}
				}
				continue
			}
		}
		if !apiErr.Retryable() || attempt > c.cfg.MaxRetries {
			return apiErr
		}
		if err := sleep(ctx, c.backoff(attempt)); err != nil {
			return err
		}
	}
}

func isCredentialRejection(code string) bool {
	switch code {
	case "AuthFailure.TokenFailure", "UnauthorizedOperation.InvalidToken", "AuthFailure.SecretIdNotFound", "AuthFailure.SignatureFailure":
		return true
	}
	return false
}

// backoff is exponential with full jitter: a uniformly random wait up to
// base·2^(attempt-1), capped, so that many clients retrying at once spread out.
func (c *Client) backoff(attempt int) time.Duration {
	ceiling := c.cfg.RetryBaseDelay << min(attempt-1, 20)
	if ceiling > c.cfg.RetryMaxDelay || ceiling <= 0 {
		ceiling = c.cfg.RetryMaxDelay
	}
	return rand.N(ceiling) + 1
}

// logAttempt logs one attempt, its fields always in the same order: the
// request's own (logAttrs), then the attempt's.
func (c *Client) logAttempt(ctx context.Context, action, region string, attempt int, latency time.Duration, out answer, apiErr *APIError, logAttrs []slog.Attr) {
	if !c.cfg.Logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := make([]slog.Attr, 0, len(logAttrs)+6)
	attrs = append(attrs, slog.String("action", action), slog.String("region", region))
	attrs = append(attrs, logAttrs...)
	attrs = append(attrs, slog.Int("attempt", attempt), slog.Int64("latency_ms", latency.Milliseconds()))
	msg := "CVM API request"
	if apiErr != nil {
		msg = "CVM API request failed"
		attrs = append(attrs, slog.String("code", apiErr.Code), slog.String("request_id", apiErr.RequestID))
	} else {
		attrs = append(attrs, slog.String("code", "Success"), slog.String("request_id", out.header().RequestID))
	}
	c.cfg.Logger.LogAttrs(ctx, slog.LevelDebug, msg, attrs...)
}

// CredentialError means no credential could be obtained for a request.
type CredentialError struct {
	Source string
	Err    error
}

func (e *CredentialError) Error() string { return "obtaining credentials: " + e.Err.Error() }
func (e *CredentialError) Unwrap() error { return e.Err }

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// contextError prefers the context's own error to the rate limiter's
// "would exceed context deadline", which is the same thing said early.
func contextError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if _, ok := ctx.Deadline(); ok {
		return context.DeadlineExceeded
	}
	return err
}
