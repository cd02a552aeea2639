// Package provider is the Terraform glue of the cvm provider: the provider
// and data source schemas, their validation, and the mapping between
// Terraform values and the CVM client in internal/cvm. It does not sign,
// page, retry or sleep: the client does.
//
// Files: provider.go (this: the provider, its schema and Configure),
// settings.go (configuration, environment and defaults merged),
// credentials.go (which credential, in which order), validators.go (every
// rule on a value, written once), known.go (values known only after apply),
// data_source_instances_status.go and instances_status_*.go (the data
// source, its read and its state), diagnostics.go (errors a user can act
// on), logging.go (the client's logs into tflog) and server.go (the
// protocol server and its fast read path).
package provider

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"os"
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

var (
	_ provider.Provider                   = (*CVMProvider)(nil)
	_ provider.ProviderWithValidateConfig = (*CVMProvider)(nil)
)

// CVMProvider is the cvm provider.
type CVMProvider struct {
	version string
	opts    options
	// configured is what Configure built. Both ways of reading reach it
	// here: the framework's, through the data source's Configure, and the
	// protocol server's fast path (server.go), which bypasses Configure.
	configured configuredClient
}

// configuredClient holds what Configure built, once it has run.
type configuredClient struct{ atomic.Pointer[providerData] }

// providerData is what Configure builds: the client and what messages
// about its reads refer to.
type providerData struct {
	client         *cvm.Client
	region         string
	requestTimeout time.Duration
	maxRetries     int
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
	env         func(string) (string, bool)
	dataSources []func() datasource.DataSource
}

// WithSTSEndpoint sends STS calls to url instead of the public STS endpoint.
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

// WithEnvironment makes the provider read its environment variables (and
// HOME) through lookup instead of the process environment, so that tests
// can run in parallel, each with an environment of its own.
func WithEnvironment(lookup func(string) (string, bool)) Option {
	return func(o *options) { o.env = lookup }
}

// withDataSources serves more data sources, for tests of the protocol
// server's routing.
func withDataSources(ds ...func() datasource.DataSource) Option {
	return func(o *options) { o.dataSources = append(o.dataSources, ds...) }
}

// New returns a constructor of the provider, as providerserver expects. The
// provider binary serves NewServer, which wraps it.
func New(version string, opts ...Option) func() provider.Provider {
	return func() provider.Provider { return newProvider(version, opts...) }
}

func newProvider(version string, opts ...Option) *CVMProvider {
	p := &CVMProvider{version: version, opts: options{env: os.LookupEnv}}
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

// ValidateConfig checks what the attributes' own validators cannot: an
// assume_role block needs its role_arn.
func (p *CVMProvider) ValidateConfig(ctx context.Context, req provider.ValidateConfigRequest, resp *provider.ValidateConfigResponse) {
	var ar *assumeRoleModel
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("assume_role"), &ar)...)
	if ar != nil && ar.RoleARN.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("assume_role").AtName("role_arn"), "Missing Role ARN",
			"The assume_role block needs role_arn, the ARN of the role to assume: "+roleARNRule.rule+".")
	}
}

// Configure merges the provider block with the environment and the
// defaults, finds the credential and builds the one client every read uses.
func (p *CVMProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	if refuseUnknown(&resp.Diagnostics, req.Config.Raw) {
		return
	}
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	s := settingsFrom(cfg, p.opts.env, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	// Secrets must never reach a log line, whatever logs them.
	for _, secret := range []string{s.creds.secretKey, s.creds.securityToken} {
		if secret != "" {
			ctx = tflog.MaskMessageStrings(ctx, secret)
			ctx = tflog.MaskAllFieldValuesStrings(ctx, secret)
		}
	}

	base, profile, err := baseCredential(s.creds, p.opts.metadataURL, p.opts.httpClient)
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
	region = cmp.Or(region, DefaultRegion)

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
	p.configured.Store(&providerData{client: client, region: region, requestTimeout: s.requestTimeout, maxRetries: s.maxRetries})
	resp.DataSourceData = &p.configured
}

func (p *CVMProvider) DataSources(context.Context) []func() datasource.DataSource {
	return append([]func() datasource.DataSource{NewInstancesStatusDataSource}, p.opts.dataSources...)
}

func (p *CVMProvider) Resources(context.Context) []func() resource.Resource { return nil }

// diagAdder is what reports an error at an attribute: diag.Diagnostics, or a
// test's recorder.
type diagAdder interface {
	AddAttributeError(path.Path, string, string)
}
