// Package provider is the Terraform glue of the cvm provider: the provider
// and data source schemas, their validation, and the mapping between
// Terraform values and the CVM client in internal/cvm. It does not sign,
// page, retry or sleep: the client does.
package provider

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
)

// Environment variables, named as the official Tencent Cloud provider names
// them, so that existing environments work unchanged.
const (
	EnvSecretID            = "TENCENTCLOUD_SECRET_ID"
	EnvSecretKey           = "TENCENTCLOUD_SECRET_KEY"
	EnvSecurityToken       = "TENCENTCLOUD_SECURITY_TOKEN"
	EnvRegion              = "TENCENTCLOUD_REGION"
	EnvProfile             = "TENCENTCLOUD_PROFILE"
	EnvSharedCredentials   = "TENCENTCLOUD_SHARED_CREDENTIALS_DIR"
	EnvCAMRoleName         = "TENCENTCLOUD_CAM_ROLE_NAME"
	EnvAssumeRoleARN       = "TENCENTCLOUD_ASSUME_ROLE_ARN"
	EnvAssumeRoleSession   = "TENCENTCLOUD_ASSUME_ROLE_SESSION_NAME"
	EnvAssumeRoleDuration  = "TENCENTCLOUD_ASSUME_ROLE_SESSION_DURATION"
	EnvDomain              = "TENCENTCLOUD_DOMAIN"
	EnvProtocol            = "TENCENTCLOUD_PROTOCOL"
	EnvEndpoint            = "TENCENTCLOUD_CVM_ENDPOINT"
	EnvRateLimit           = "TENCENTCLOUD_CVM_RATE_LIMIT"
	EnvMaxRetries          = "TENCENTCLOUD_CVM_MAX_RETRIES"
	EnvRequestTimeout      = "TENCENTCLOUD_CVM_REQUEST_TIMEOUT"
	DefaultRegion          = "ap-guangzhou"
	DefaultSessionName     = "terraform-provider-cvm"
	DefaultSessionDuration = 7200
)

var (
	_ provider.Provider                   = (*CVMProvider)(nil)
	_ provider.ProviderWithValidateConfig = (*CVMProvider)(nil)
)

// CVMProvider is the cvm provider.
type CVMProvider struct {
	version string
	opts    options
	// configured is what Configure handed to the data sources, kept for
	// the protocol server's own read path (server.go).
	configured atomic.Pointer[providerData]
}

// Option changes how the provider builds its client. Options exist for
// tests: production configuration comes from the provider block and the
// environment only.
type Option func(*options)

type options struct {
	stsEndpoint string
	metadataURL string
	httpClient  *http.Client
	tune        []func(*cvm.Config)
}

// WithSTSEndpoint sends AssumeRole to url instead of the public STS endpoint.
func WithSTSEndpoint(url string) Option { return func(o *options) { o.stsEndpoint = url } }

// WithMetadataURL reads CAM role credentials from url instead of the
// instance metadata service.
func WithMetadataURL(url string) Option { return func(o *options) { o.metadataURL = url } }

// WithHTTPClient makes every request through hc.
func WithHTTPClient(hc *http.Client) Option { return func(o *options) { o.httpClient = hc } }

// WithClientConfig lets a test adjust the client configuration (retry
// delays, poll intervals) after the provider has built it. Several apply in
// order.
func WithClientConfig(f func(*cvm.Config)) Option {
	return func(o *options) { o.tune = append(o.tune, f) }
}

// New returns a constructor of the provider, as providerserver expects. The
// provider binary serves NewServer, which wraps it.
func New(version string, opts ...Option) func() provider.Provider {
	return func() provider.Provider { return newProvider(version, opts...) }
}

func newProvider(version string, opts ...Option) *CVMProvider {
	p := &CVMProvider{version: version}
	for _, o := range opts {
		o(&p.opts)
	}
	return p
}

// providerModel is the provider block.
type providerModel struct {
	Region               types.String     `tfsdk:"region"`
	SecretID             types.String     `tfsdk:"secret_id"`
	SecretKey            types.String     `tfsdk:"secret_key"`
	SecurityToken        types.String     `tfsdk:"security_token"`
	Profile              types.String     `tfsdk:"profile"`
	SharedCredentialsDir types.String     `tfsdk:"shared_credentials_dir"`
	CAMRoleName          types.String     `tfsdk:"cam_role_name"`
	AssumeRole           *assumeRoleModel `tfsdk:"assume_role"`
	Domain               types.String     `tfsdk:"domain"`
	Protocol             types.String     `tfsdk:"protocol"`
	Endpoint             types.String     `tfsdk:"endpoint"`
	RateLimit            types.Float64    `tfsdk:"rate_limit"`
	MaxRetries           types.Int64      `tfsdk:"max_retries"`
	RequestTimeout       types.String     `tfsdk:"request_timeout"`
}

type assumeRoleModel struct {
	RoleARN         types.String `tfsdk:"role_arn"`
	SessionName     types.String `tfsdk:"session_name"`
	SessionDuration types.Int64  `tfsdk:"session_duration"`
	Policy          types.String `tfsdk:"policy"`
	ExternalID      types.String `tfsdk:"external_id"`
}

// providerData is what data sources receive from Configure.
type providerData struct {
	client         *cvm.Client
	region         string
	requestTimeout time.Duration // for error messages
	maxRetries     int
}

func (p *CVMProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "cvm"
	resp.Version = p.version
}

func (p *CVMProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The cvm provider reads the states of Tencent Cloud CVM instances " +
			"(API 3.0 `DescribeInstancesStatus`) so that configurations can show them, gate deploys on them " +
			"in preconditions and watch them in `check` blocks. It accepts the credentials, profiles and " +
			"environment variables of the official `tencentcloudstack/tencentcloud` provider.",
		Attributes: map[string]schema.Attribute{
			"region": schema.StringAttribute{
				MarkdownDescription: "Region whose instances are read, unless a data source names its own. " +
					"Falls back to `TENCENTCLOUD_REGION`, then the region of the shared profile, then `ap-guangzhou`.",
				Optional:   true,
				Validators: []validator.String{regionRule},
			},
			"secret_id": schema.StringAttribute{
				MarkdownDescription: "API secret ID (`AKID…`). Falls back to `TENCENTCLOUD_SECRET_ID`. Set together with `secret_key`.",
				Optional:            true,
			},
			"secret_key": schema.StringAttribute{
				MarkdownDescription: "API secret key. Falls back to `TENCENTCLOUD_SECRET_KEY`. Prefer the environment variable or a profile over a literal in configuration.",
				Optional:            true,
				Sensitive:           true,
			},
			"security_token": schema.StringAttribute{
				MarkdownDescription: "Security token of temporary credentials, sent with every request. Falls back to `TENCENTCLOUD_SECURITY_TOKEN`.",
				Optional:            true,
				Sensitive:           true,
			},
			"profile": schema.StringAttribute{
				MarkdownDescription: "tccli profile to read credentials (and the region) from when no keys are given. Falls back to `TENCENTCLOUD_PROFILE`, then `default`.",
				Optional:            true,
				Validators:          []validator.String{notEmpty{}},
			},
			"shared_credentials_dir": schema.StringAttribute{
				MarkdownDescription: "Directory of the tccli profiles: `<profile>.credential` (JSON `secretId`, `secretKey`, optional `token`) and `<profile>.configure` (region). " +
					"Falls back to `TENCENTCLOUD_SHARED_CREDENTIALS_DIR`, then `~/.tccli`.",
				Optional:   true,
				Validators: []validator.String{notEmpty{}},
			},
			"cam_role_name": schema.StringAttribute{
				MarkdownDescription: "CAM role bound to the CVM instance Terraform runs on: its temporary credentials are read from the instance metadata service and refreshed before they expire. " +
					"Used when no keys and no profile are found. Falls back to `TENCENTCLOUD_CAM_ROLE_NAME`.",
				Optional:   true,
				Validators: []validator.String{notEmpty{}},
			},
			"domain": schema.StringAttribute{
				MarkdownDescription: "Root domain of the API, as in the official provider (default `tencentcloudapi.com`): the CVM endpoint becomes `cvm.<domain>` and STS `sts.<domain>`. Falls back to `TENCENTCLOUD_DOMAIN`. `endpoint` takes precedence for CVM.",
				Optional:            true,
				Validators:          []validator.String{domainRule},
			},
			"protocol": schema.StringAttribute{
				MarkdownDescription: "`HTTPS` (default) or `HTTP`, for endpoints built from `domain`. Plain HTTP is refused unless the host is a loopback address. Falls back to `TENCENTCLOUD_PROTOCOL`.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.OneOfCaseInsensitive("HTTPS", "HTTP")},
			},
			"endpoint": schema.StringAttribute{
				MarkdownDescription: "Full URL of the CVM API, for example `http://127.0.0.1:9100` for the local `cvm-emulator`. " +
					"Plain `http` is accepted only for loopback hosts, because credentials and tokens travel in the request. Falls back to `TENCENTCLOUD_CVM_ENDPOINT`.",
				Optional:   true,
				Validators: []validator.String{endpointValidator{}},
			},
			"rate_limit": schema.Float64Attribute{
				MarkdownDescription: fmt.Sprintf("The most `DescribeInstancesStatus` requests per second this provider sends, %s, default %d. "+
					"It is a ceiling shared by every read of this provider configuration in one run, whatever their regions. "+
					"Each provider configuration (each alias) is a process of its own with its own ceiling, and other runs and tools using the same account have theirs: "+
					"the service allows 40 per second per account, so keep the sum of what may run at once within that. Falls back to `%s`.",
					rateLimitRange, cvm.DefaultRateLimit, EnvRateLimit),
				Optional:   true,
				Validators: []validator.Float64{rateLimitRange},
			},
			"max_retries": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("How often one request is retried after throttling, service errors, timeouts or network failures, with exponential backoff and jitter: %s, default %d; "+
					"0 sends each request once. Answers that no retry can change (a wrong key, a wrong endpoint path, an untrusted certificate) fail at once. Falls back to `%s`.",
					maxRetriesRange, cvm.DefaultMaxRetries, EnvMaxRetries),
				Optional:   true,
				Validators: []validator.Int64{maxRetriesRange},
			},
			"request_timeout": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("How long one attempt of a request may wait for a complete answer before it is abandoned and retried, as %s. Default `\"%s\"`. "+
					"A whole read, every attempt and wait included, is bounded by the data source's `timeouts.read`. Falls back to `%s`.",
					requestTimeoutRange, short(cvm.DefaultRequestTimeout), EnvRequestTimeout),
				Optional:   true,
				Validators: []validator.String{requestTimeoutRange},
			},
		},
		Blocks: map[string]schema.Block{
			"assume_role": schema.SingleNestedBlock{
				MarkdownDescription: "Assume a CAM role with STS `AssumeRole` on top of whichever base credential was found; the role's temporary credentials are refreshed before they expire. " +
					"Without this block, `TENCENTCLOUD_ASSUME_ROLE_ARN` (with `TENCENTCLOUD_ASSUME_ROLE_SESSION_NAME` and `TENCENTCLOUD_ASSUME_ROLE_SESSION_DURATION`) has the same effect.",
				Attributes: map[string]schema.Attribute{
					"role_arn": schema.StringAttribute{
						MarkdownDescription: "ARN of the role, `qcs::cam::uin/<account>:roleName/<name>`. Required in the block.",
						Optional:            true,
						Validators:          []validator.String{roleARNRule},
					},
					"session_name": schema.StringAttribute{
						MarkdownDescription: "Name of the role session, shown in CloudAudit. Default `" + DefaultSessionName + "`.",
						Optional:            true,
						Validators:          []validator.String{sessionNameRule},
					},
					"session_duration": schema.Int64Attribute{
						MarkdownDescription: "Lifetime of the temporary credentials in seconds, at most 43200. Default 7200.",
						Optional:            true,
						Validators:          []validator.Int64{sessionDurationRange},
					},
					"policy": schema.StringAttribute{
						MarkdownDescription: "A CAM policy (JSON) that further restricts the role's permissions for this session.",
						Optional:            true,
					},
					"external_id": schema.StringAttribute{
						MarkdownDescription: "External ID required by the role's trust policy, if any.",
						Optional:            true,
					},
				},
			},
		},
	}
}

func (p *CVMProvider) ValidateConfig(ctx context.Context, req provider.ValidateConfigRequest, resp *provider.ValidateConfigResponse) {
	var ar *assumeRoleModel
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("assume_role"), &ar)...)
	if ar != nil && ar.RoleARN.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("assume_role").AtName("role_arn"), "Missing Role ARN",
			"The assume_role block needs role_arn, the ARN of the role to assume, such as qcs::cam::uin/100000000001:roleName/deployer.")
	}
}

func (p *CVMProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !checkKnown(&resp.Diagnostics, cfg) {
		return
	}

	s := settingsFrom(cfg, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	// Secrets must never reach a log line, whatever logs them.
	for _, secret := range []string{s.creds.SecretKey, s.creds.SecurityToken} {
		if secret != "" {
			ctx = tflog.MaskMessageStrings(ctx, secret)
			ctx = tflog.MaskAllFieldValuesStrings(ctx, secret)
		}
	}

	s.creds.MetadataURL = p.opts.metadataURL
	s.creds.HTTPClient = p.opts.httpClient
	base, profile, err := cvm.ResolveCredentials(s.creds)
	if err != nil {
		resp.Diagnostics.AddError("No Usable Tencent Cloud Credentials", err.Error())
		return
	}
	region := s.region
	if region == "" && profile != nil && profile.Region != "" {
		region = profile.Region
		if msg := regionRule.problem(region); msg != "" {
			resp.Diagnostics.AddError("Invalid Region In Profile",
				fmt.Sprintf("The profile %q names the region %s. Fix the profile's .configure file or set region.", profile.Name, msg))
			return
		}
	}
	if region == "" {
		region = DefaultRegion
	}

	clientCfg := cvm.Config{
		Endpoint:       s.endpoint,
		STSEndpoint:    s.stsEndpoint,
		Credentials:    base,
		AssumeRole:     s.assumeRole,
		RateLimit:      s.rateLimit,
		MaxRetries:     s.maxRetries,
		RequestTimeout: s.requestTimeout,
		HTTPClient:     p.opts.httpClient,
		UserAgent:      "terraform-provider-cvm/" + p.version,
		Logger:         newTflogLogger(),
	}
	if s.maxRetries == 0 {
		clientCfg.MaxRetries = -1 // none; the client reads 0 as its default
	}
	if p.opts.stsEndpoint != "" {
		clientCfg.STSEndpoint = p.opts.stsEndpoint
	}
	for _, tune := range p.opts.tune {
		tune(&clientCfg)
	}
	client, err := cvm.New(clientCfg)
	if err != nil {
		resp.Diagnostics.AddError("Invalid Provider Configuration", err.Error())
		return
	}
	tflog.Debug(ctx, "configured the CVM client", map[string]any{
		"region": region, "endpoint": s.endpoint, "credentials": client.CredentialSourceName(),
		"rate_limit": clientCfg.RateLimit, "max_retries": s.maxRetries, "request_timeout": s.requestTimeout.String(),
	})
	data := &providerData{client: client, region: region, requestTimeout: s.requestTimeout, maxRetries: s.maxRetries}
	p.configured.Store(data)
	resp.DataSourceData = data
}

// checkKnown refuses unknown values: the client is built once, at configure
// time, and cannot wait for values known only after apply.
func checkKnown(diags interface {
	AddAttributeError(path.Path, string, string)
}, cfg providerModel) bool {
	known := true
	check := func(name string, unknown bool) {
		if unknown {
			known = false
			diags.AddAttributeError(path.Root(name), "Unknown Provider Attribute Value",
				fmt.Sprintf("The provider cannot be configured because %s depends on a value that is known only after apply. "+
					"Set it to a value known at plan time, or pass it through an environment variable.", name))
		}
	}
	check("region", cfg.Region.IsUnknown())
	check("secret_id", cfg.SecretID.IsUnknown())
	check("secret_key", cfg.SecretKey.IsUnknown())
	check("security_token", cfg.SecurityToken.IsUnknown())
	check("profile", cfg.Profile.IsUnknown())
	check("shared_credentials_dir", cfg.SharedCredentialsDir.IsUnknown())
	check("cam_role_name", cfg.CAMRoleName.IsUnknown())
	check("domain", cfg.Domain.IsUnknown())
	check("protocol", cfg.Protocol.IsUnknown())
	check("endpoint", cfg.Endpoint.IsUnknown())
	check("rate_limit", cfg.RateLimit.IsUnknown())
	check("max_retries", cfg.MaxRetries.IsUnknown())
	check("request_timeout", cfg.RequestTimeout.IsUnknown())
	if ar := cfg.AssumeRole; ar != nil {
		check("assume_role.role_arn", ar.RoleARN.IsUnknown())
		check("assume_role.session_name", ar.SessionName.IsUnknown())
		check("assume_role.session_duration", ar.SessionDuration.IsUnknown())
		check("assume_role.policy", ar.Policy.IsUnknown())
		check("assume_role.external_id", ar.ExternalID.IsUnknown())
	}
	return known
}

// settings are the provider's inputs after merging configuration,
// environment and defaults, in that order.
type settings struct {
	region         string
	creds          cvm.CredentialSettings
	assumeRole     *cvm.AssumeRole
	endpoint       string
	stsEndpoint    string
	rateLimit      float64
	maxRetries     int
	requestTimeout time.Duration
}

type diagAdder interface {
	AddAttributeError(path.Path, string, string)
}

func settingsFrom(cfg providerModel, diags diagAdder) settings {
	var s settings
	s.region = stringOr(cfg.Region, EnvRegion)
	if s.region != "" {
		if msg := regionRule.problem(s.region); msg != "" {
			diags.AddAttributeError(path.Root("region"), "Invalid Region", fmt.Sprintf("%s (from %s).", msg, origin(cfg.Region, EnvRegion)))
		}
	}

	s.creds = cvm.CredentialSettings{
		SecretID:             stringOr(cfg.SecretID, EnvSecretID),
		SecretKey:            stringOr(cfg.SecretKey, EnvSecretKey),
		SecurityToken:        stringOr(cfg.SecurityToken, EnvSecurityToken),
		Profile:              stringOr(cfg.Profile, EnvProfile),
		SharedCredentialsDir: stringOr(cfg.SharedCredentialsDir, EnvSharedCredentials),
		CAMRoleName:          stringOr(cfg.CAMRoleName, EnvCAMRoleName),
	}
	s.creds.ProfileExplicit = s.creds.Profile != "" || s.creds.SharedCredentialsDir != ""

	domain := stringOr(cfg.Domain, EnvDomain)
	protocol := stringOr(cfg.Protocol, EnvProtocol)
	if protocol != "" && !strings.EqualFold(protocol, "https") && !strings.EqualFold(protocol, "http") {
		diags.AddAttributeError(path.Root("protocol"), "Invalid Protocol",
			fmt.Sprintf("%q (from %s) is not a supported protocol: use HTTPS (or HTTP for a loopback emulator).", protocol, origin(cfg.Protocol, EnvProtocol)))
	}
	s.endpoint = stringOr(cfg.Endpoint, EnvEndpoint)
	if s.endpoint == "" {
		s.endpoint = cvm.ServiceURL("cvm", domain, protocol)
	}
	s.stsEndpoint = cvm.ServiceURL("sts", domain, protocol)
	if _, err := cvm.ParseEndpoint(s.endpoint); err != nil {
		diags.AddAttributeError(path.Root("endpoint"), "Invalid Endpoint",
			fmt.Sprintf("The CVM endpoint (from %s) is not usable: %s", origin(cfg.Endpoint, EnvEndpoint, "domain and protocol"), err))
	}

	s.rateLimit = cvm.DefaultRateLimit
	if !cfg.RateLimit.IsNull() {
		s.rateLimit = cfg.RateLimit.ValueFloat64()
	} else if v, ok := os.LookupEnv(EnvRateLimit); ok && v != "" {
		f, msg := rateLimitRange.parse(v)
		if msg != "" {
			diags.AddAttributeError(path.Root("rate_limit"), "Invalid Rate Limit", fmt.Sprintf("%s: %s.", EnvRateLimit, msg))
		}
		s.rateLimit = f
	}

	s.maxRetries = cvm.DefaultMaxRetries
	if !cfg.MaxRetries.IsNull() {
		s.maxRetries = int(cfg.MaxRetries.ValueInt64())
	} else if v, ok := os.LookupEnv(EnvMaxRetries); ok && v != "" {
		n, msg := maxRetriesRange.parse(v)
		if msg != "" {
			diags.AddAttributeError(path.Root("max_retries"), "Invalid Max Retries", fmt.Sprintf("%s: %s.", EnvMaxRetries, msg))
		}
		s.maxRetries = int(n)
	}

	s.requestTimeout = cvm.DefaultRequestTimeout
	if v := stringOr(cfg.RequestTimeout, EnvRequestTimeout); v != "" {
		d, msg := requestTimeoutRange.parse(v)
		if msg != "" {
			diags.AddAttributeError(path.Root("request_timeout"), "Invalid Request Timeout", fmt.Sprintf("%s: %s.", origin(cfg.RequestTimeout, EnvRequestTimeout), msg))
		}
		s.requestTimeout = d
	}

	s.assumeRole = assumeRoleFrom(cfg.AssumeRole, diags)
	return s
}

func assumeRoleFrom(m *assumeRoleModel, diags diagAdder) *cvm.AssumeRole {
	ar := &cvm.AssumeRole{SessionName: DefaultSessionName, DurationSeconds: DefaultSessionDuration}
	if m != nil {
		ar.RoleARN = m.RoleARN.ValueString()
		if !m.SessionName.IsNull() {
			ar.SessionName = m.SessionName.ValueString()
		}
		if !m.SessionDuration.IsNull() {
			ar.DurationSeconds = m.SessionDuration.ValueInt64()
		}
		ar.Policy, ar.ExternalID = m.Policy.ValueString(), m.ExternalID.ValueString()
		if ar.RoleARN == "" {
			diags.AddAttributeError(path.Root("assume_role").AtName("role_arn"), "Missing Role ARN",
				"The assume_role block needs role_arn, the ARN of the role to assume.")
			return nil
		}
		return ar
	}
	arn := os.Getenv(EnvAssumeRoleARN)
	if arn == "" {
		return nil
	}
	if msg := roleARNRule.problem(arn); msg != "" {
		diags.AddAttributeError(path.Root("assume_role"), "Invalid Role ARN", fmt.Sprintf("%s: %s.", EnvAssumeRoleARN, msg))
		return nil
	}
	ar.RoleARN = arn
	if v := os.Getenv(EnvAssumeRoleSession); v != "" {
		if msg := sessionNameRule.problem(v); msg != "" {
			diags.AddAttributeError(path.Root("assume_role"), "Invalid Session Name", fmt.Sprintf("%s: %s.", EnvAssumeRoleSession, msg))
			return nil
		}
		ar.SessionName = v
	}
	if v := os.Getenv(EnvAssumeRoleDuration); v != "" {
		n, msg := sessionDurationRange.parse(v)
		if msg != "" {
			diags.AddAttributeError(path.Root("assume_role"), "Invalid Session Duration", fmt.Sprintf("%s: %s.", EnvAssumeRoleDuration, msg))
			return nil
		}
		ar.DurationSeconds = int64(n)
	}
	return ar
}

// stringOr is the configured value, else the environment variable's.
func stringOr(v types.String, env string) string {
	if !v.IsNull() {
		return v.ValueString()
	}
	return os.Getenv(env)
}

// origin names where a value came from, for error messages.
func origin(v types.String, env string, fallback ...string) string {
	switch {
	case !v.IsNull():
		return "the provider configuration"
	case os.Getenv(env) != "":
		return env
	case len(fallback) > 0:
		return fallback[0]
	}
	return "the default"
}

func (p *CVMProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{NewInstancesStatusDataSource}
}

func (p *CVMProvider) Resources(context.Context) []func() resource.Resource { return nil }

// endpointValidator refuses endpoints the client would refuse, at validate time.
type endpointValidator struct{}

func (endpointValidator) Description(context.Context) string {
	return "must be an https URL, or an http URL to a loopback address"
}

func (v endpointValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (endpointValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := cvm.ParseEndpoint(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Endpoint", err.Error())
	}
}
