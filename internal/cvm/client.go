package cvm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// Defaults for Config fields left zero.
const (
	DefaultEndpoint       = "https://cvm.tencentcloudapi.com"
	DefaultRateLimit      = 20
	DefaultMaxRetries     = 8
	DefaultConcurrency    = 32
	DefaultRequestTimeout = tcapi.DefaultRequestTimeout
	DefaultRetryBaseDelay = tcapi.DefaultRetryBaseDelay
	DefaultRetryMaxDelay  = tcapi.DefaultRetryMaxDelay
	DefaultPollInterval   = 2 * time.Second
	DefaultMaxPoll        = 30 * time.Second
	DefaultMissingGrace   = 30 * time.Second
	DefaultListRestarts   = 3

	// PageSize is the largest Limit, and the most IDs one request may name.
	PageSize = 100

	cvmVersion = "2017-03-12"
	// actionDescribe is the one action this client calls.
	actionDescribe = "DescribeInstancesStatus"
)

// Config configures a Client. Zero fields take the defaults above.
type Config struct {
	Endpoint string // CVM API URL
	// Credentials signs every request; the credentials package makes it
	// (keys, profiles, roles, and the account guard around them).
	Credentials tcapi.CredentialSource
	// Agents reads the TAT agents for reads that include the agent check;
	// TAT is a service of its own, which the caller (the provider, through
	// the tat package) builds and hands over, so that cvm does not depend
	// on it. Nil: no agent source.
	Agents AgentSource

	RateLimit float64 // DescribeInstancesStatus requests per second, for all reads together
	// MaxRetries is how many times a failed request is sent again after its
	// first attempt: nil takes DefaultMaxRetries, new(0) sends each request once.
	MaxRetries  *int
	Concurrency int // requests in flight at once for one read

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
// service counts DescribeInstancesStatus requests per account, and the
// configured rate is a ceiling for the whole run.
type Client struct {
	cfg      Config
	endpoint *url.URL
	creds    tcapi.CredentialSource
	api      *tcapi.Client
	limiters *tcapi.Limiters
}

// New checks cfg and returns a Client. It makes no request.
func New(cfg Config) (*Client, error) {
	if cfg.Credentials == nil {
		return nil, errNoCredentials
	}
	setDefault(&cfg.Endpoint, DefaultEndpoint)
	setDefault(&cfg.RateLimit, DefaultRateLimit)
	if cfg.MaxRetries == nil {
		cfg.MaxRetries = new(DefaultMaxRetries)
	}
	setDefault(&cfg.Concurrency, DefaultConcurrency)
	setDefault(&cfg.PollInterval, DefaultPollInterval)
	setDefault(&cfg.MaxPoll, DefaultMaxPoll)
	setDefault(&cfg.MissingGrace, DefaultMissingGrace)
	setDefault(&cfg.ListRestarts, DefaultListRestarts)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RateLimit < 0 || cfg.Concurrency < 0 || cfg.RequestTimeout < 0 {
		return nil, errors.New("rate limit, concurrency and request timeout must not be negative")
	}
	if *cfg.MaxRetries < 0 {
		return nil, errors.New("max retries must not be negative: 0 sends each request once")
	}
	// The client's own, so that its transport can be closed and inspected.
	cfg.HTTPClient = tcapi.NewHTTPClient(cfg.HTTPClient)
	endpoint, err := tcapi.ParseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("CVM endpoint: %w", err)
	}
	return &Client{
		cfg:      cfg,
		endpoint: endpoint,
		creds:    cfg.Credentials,
		api: tcapi.New(tcapi.Config{
			HTTPClient:     cfg.HTTPClient,
			RequestTimeout: cfg.RequestTimeout,
			MaxRetries:     *cfg.MaxRetries,
			RetryBaseDelay: cfg.RetryBaseDelay,
			RetryMaxDelay:  cfg.RetryMaxDelay,
			Now:            cfg.Now,
			UserAgent:      cfg.UserAgent,
			Logger:         cfg.Logger,
		}),
		// The service counts DescribeInstancesStatus per account, whatever
		// the region: one limiter for all regions, as the emulator and the
		// benchmarks' bounds (pages / the account's rate) assume.
		limiters: tcapi.NewLimiters(map[string]tcapi.ActionRate{
			actionDescribe: {PerSecond: cfg.RateLimit, AcrossRegions: true},
			// The detail actions' documented rates, per account too.
			actionDescribeInstances: {PerSecond: DescribeInstancesRate, AcrossRegions: true},
			actionDescribeTaskInfo:  {PerSecond: DescribeTaskInfoRate, AcrossRegions: true},
		}),
	}, nil
}

// errNoCredentials is returned by New when Config has no Credentials.
var errNoCredentials = errors.New("no Tencent Cloud credentials")

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// CredentialSourceName says where the client's credentials come from.
func (c *Client) CredentialSourceName() string { return c.creds.Name() }

// send calls a CVM action in region with retries (tcapi.Client.Send).
func (c *Client) send(ctx context.Context, region, action string, params any, out tcapi.Answer, logAttrs ...slog.Attr) error {
	payload, err := json.Marshal(params)
	if err != nil {
		return err
	}
	req := tcapi.Request{Endpoint: c.endpoint, Service: "cvm", Version: cvmVersion, Action: action, Region: region, Payload: payload, LogAttrs: logAttrs}
	return c.api.Send(ctx, req, c.creds, c.limiters.For(action, region), out)
}
