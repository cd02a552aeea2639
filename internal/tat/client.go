package tat

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
	DefaultEndpoint = "https://tat.tencentcloudapi.com"
	// DefaultRateLimit is DescribeAutomationAgentStatus's documented limit
	// in requests per second (older pages of the documentation say 20).
	DefaultRateLimit      = 60
	DefaultMaxRetries     = 8
	DefaultConcurrency    = 32
	DefaultRequestTimeout = tcapi.DefaultRequestTimeout
	DefaultRetryBaseDelay = tcapi.DefaultRetryBaseDelay
	DefaultRetryMaxDelay  = tcapi.DefaultRetryMaxDelay

	// PageSize is the largest Limit, and the most IDs one request may name.
	PageSize = 100

	service    = "tat"
	tatVersion = "2020-10-28"
	// ActionDescribeAgents is the one action this client calls.
	ActionDescribeAgents = "DescribeAutomationAgentStatus"
)

// Config configures a Client. Zero fields take the defaults above.
type Config struct {
	Endpoint string // TAT API URL; "" takes DefaultEndpoint
	// Credentials signs every request: the same source as the CVM
	// client's, so that both services are read as the same identity.
	Credentials tcapi.CredentialSource

	RateLimit float64 // DescribeAutomationAgentStatus requests per second, for all reads together
	// MaxRetries is how many times a failed request is sent again after its
	// first attempt: nil takes DefaultMaxRetries, new(0) sends each request once.
	MaxRetries  *int
	Concurrency int // requests in flight at once for one read

	HTTPClient     *http.Client
	RequestTimeout time.Duration // per attempt
	RetryBaseDelay time.Duration
	RetryMaxDelay  time.Duration
	Now            func() time.Time
	UserAgent      string
	// Logger receives one Debug record per request ("TAT API request"),
	// through its *Context methods. Nil discards them.
	Logger *slog.Logger
}

// Client reads TAT agents. It is safe for concurrent use.
type Client struct {
	cfg      Config
	endpoint *url.URL
	api      *tcapi.Client
	limiters *tcapi.Limiters
}

// New checks cfg and returns a Client. It makes no request.
func New(cfg Config) (*Client, error) {
	if cfg.Credentials == nil {
		return nil, errors.New("no Tencent Cloud credentials")
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = DefaultEndpoint
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = DefaultRateLimit
	}
	if cfg.MaxRetries == nil {
		cfg.MaxRetries = new(DefaultMaxRetries)
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.RateLimit < 0 || cfg.Concurrency < 0 || cfg.RequestTimeout < 0 {
		return nil, errors.New("rate limit, concurrency and request timeout must not be negative")
	}
	if *cfg.MaxRetries < 0 {
		return nil, errors.New("max retries must not be negative: 0 sends each request once")
	}
	endpoint, err := tcapi.ParseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("TAT endpoint: %w", err)
	}
	return &Client{
		cfg:      cfg,
		endpoint: endpoint,
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
		// One limiter for all regions, per account: the documentation
		// states the limit per action without saying whether each region
		// has its own, and the emulator counts it per account and action.
		// Sharing one across regions can only be slower than the service
		// allows, never throttled for guessing wrong; a read is in one
		// region anyway.
		limiters: tcapi.NewLimiters(map[string]tcapi.ActionRate{
			ActionDescribeAgents: {PerSecond: cfg.RateLimit, AcrossRegions: true},
		}),
	}, nil
}

// Endpoint is the URL the client sends its requests to.
func (c *Client) Endpoint() string { return c.endpoint.String() }

// send calls a TAT action in region with retries (tcapi.Client.Send).
func (c *Client) send(ctx context.Context, region, action string, params any, out tcapi.Answer, logAttrs ...slog.Attr) error {
	payload, err := json.Marshal(params)
	if err != nil {
		return err
	}
	req := tcapi.Request{Endpoint: c.endpoint, Service: service, Version: tatVersion, Action: action, Region: region, Payload: payload, LogAttrs: logAttrs}
	return c.api.Send(ctx, req, c.cfg.Credentials, c.limiters.For(action, region), out)
}
