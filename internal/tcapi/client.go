package tcapi

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// Defaults for Config fields left zero.
const (
	DefaultRequestTimeout = 30 * time.Second
	DefaultRetryBaseDelay = 250 * time.Millisecond
	DefaultRetryMaxDelay  = 10 * time.Second
)

// Config configures a Client.
type Config struct {
	HTTPClient     *http.Client  // nil: a transport of the client's own
	RequestTimeout time.Duration // per attempt; 0 takes the default
	// MaxRetries is how many times a request is sent again after its first
	// attempt: 0 sends each request once.
	MaxRetries     int
	RetryBaseDelay time.Duration // 0 takes the default
	RetryMaxDelay  time.Duration // 0 takes the default
	Now            func() time.Time
	UserAgent      string
	// Logger receives one Debug record per attempt Send makes, through its
	// *Context methods, so that a handler can use the context. Nil discards
	// them.
	Logger *slog.Logger
}

// Client calls Tencent Cloud API 3.0 actions: it signs, sends, classifies
// failures and retries. It knows no service's actions and no credential
// source. It is safe for concurrent use.
type Client struct {
	cfg        Config
	httpClient *http.Client
	language   string
}

// New returns a Client for cfg. It makes no request.
func New(cfg Config) *Client {
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.RetryBaseDelay == 0 {
		cfg.RetryBaseDelay = DefaultRetryBaseDelay
	}
	if cfg.RetryMaxDelay == 0 {
		cfg.RetryMaxDelay = DefaultRetryMaxDelay
	}
	cfg.MaxRetries = max(cfg.MaxRetries, 0)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, httpClient: NewHTTPClient(cfg.HTTPClient), language: "en-US"}
}

// MaxRetries is how many times a failed request is sent again.
func (c *Client) MaxRetries() int { return c.cfg.MaxRetries }

// Now is the client's clock.
func (c *Client) Now() time.Time { return c.cfg.Now() }

// NewHTTPClient is hc (or a client with a transport of its own) that does
// not follow redirects: a signed request is meant for one host and path, and
// a redirect answered by something other than the API is reported instead.
func NewHTTPClient(hc *http.Client) *http.Client {
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

// Send makes one API request with retries. Each attempt waits for lim,
// takes the current credential from creds and is signed afresh.
//
// A throttled attempt is sent again as soon as the limiter, which the
// throttle slowed down, allows: the limiter's pace is what keeps the account
// under its limit, and an exponential sleep on top would leave the rate that
// other processes sharing the account have released unused for seconds.
// Other retryable errors back off exponentially. Retries go before requests
// not yet sent, and a request is attempted at most 1 + MaxRetries times, so
// throttling that persists at the limiter's floor is reported within
// seconds, not waited out.
func (c *Client) Send(ctx context.Context, r Request, creds CredentialSource, lim *RateLimiter, out Answer) error {
	if pre, ok := creds.(Preflighter); ok {
		if err := pre.Preflight(ctx); err != nil {
			return err
		}
	}
	var rejected *Credential // the last temporary credential the service refused
	for attempt := 1; ; attempt++ {
		permit, err := lim.Wait(ctx, attempt > 1)
		if err != nil {
			return contextError(ctx, err)
		}
		cred, err := creds.Credential(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// STS throttling or failing for a moment is as transient as the
			// service itself doing so, and retried the same way.
			var stsErr *APIError
			if errors.As(err, &stsErr) && stsErr.Retryable() && attempt <= c.cfg.MaxRetries {
				if err := Sleep(ctx, c.Backoff(attempt)); err != nil {
					return err
				}
				continue
			}
			return &CredentialError{Source: creds.Name(), Err: err}
		}
		start := time.Now()
		apiErr := c.Call(ctx, r, cred, out)
		c.logAttempt(ctx, r, attempt, time.Since(start), out, apiErr)
		if apiErr == nil {
			lim.Succeeded()
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		apiErr.Attempts = attempt
		if apiErr.Throttled() {
			lim.Throttled(permit)
			if attempt <= c.cfg.MaxRetries {
				continue
			}
			return apiErr
		}
		// A temporary credential can be revoked or expire early: fetch a new
		// one, straight away the first time. Each later rejection must be of
		// a different credential, and counts as a retry: the same credential
		// refused twice is not a matter of its age.
		if inv, ok := creds.(Invalidator); ok && isCredentialRejection(apiErr.Code) {
			first := rejected == nil
			if first || (!SameCredential(*rejected, cred) && attempt <= c.cfg.MaxRetries) {
				rejected = &cred
				inv.InvalidateIf(cred)
				if !first {
					if err := Sleep(ctx, c.Backoff(attempt)); err != nil {
						return err
					}
				}
				continue
			}
		}
		if !apiErr.Retryable() || attempt > c.cfg.MaxRetries {
			return apiErr
		}
		if err := Sleep(ctx, c.Backoff(attempt)); err != nil {
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

// Backoff is how long to wait before the retry that follows attempt:
// exponential with full jitter, a uniformly random wait up to
// base·2^(attempt-1), capped, so that many clients retrying at once spread out.
func (c *Client) Backoff(attempt int) time.Duration {
	ceiling := c.cfg.RetryBaseDelay << min(attempt-1, 20)
	if ceiling > c.cfg.RetryMaxDelay || ceiling <= 0 {
		ceiling = c.cfg.RetryMaxDelay
	}
	return rand.N(ceiling) + 1
}

// logAttempt logs one attempt, its fields always in the same order: the
// request's own (r.LogAttrs), then the attempt's.
func (c *Client) logAttempt(ctx context.Context, r Request, attempt int, latency time.Duration, out Answer, apiErr *APIError) {
	if !c.cfg.Logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := make([]slog.Attr, 0, len(r.LogAttrs)+6)
	attrs = append(attrs, slog.String("action", r.Action), slog.String("region", r.Region))
	attrs = append(attrs, r.LogAttrs...)
	attrs = append(attrs, slog.Int("attempt", attempt), slog.Int64("latency_ms", latency.Milliseconds()))
	msg := strings.ToUpper(r.Service) + " API request"
	if apiErr != nil {
		msg += " failed"
		attrs = append(attrs, slog.String("code", apiErr.Code), slog.String("request_id", apiErr.RequestID))
	} else {
		attrs = append(attrs, slog.String("code", "Success"), slog.String("request_id", out.Header().RequestID))
	}
	c.cfg.Logger.LogAttrs(ctx, slog.LevelDebug, msg, attrs...)
}

// Sleep waits for d or until ctx is done.
func Sleep(ctx context.Context, d time.Duration) error {
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
