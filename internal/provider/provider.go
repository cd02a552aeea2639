// Package provider is the Terraform glue of the cvm provider: the provider
// and data source schemas, their validation, and the mapping between
// Terraform values and the CVM client in internal/cvm. It does not sign,
// page, retry or sleep: the client does.
//
// Each file is named for what it holds, so that the directory listing is
// the index: data_source_<name>.go and <name>_*.go a data source,
// validators*.go the rules on values, settings*.go and credentials.go the
// glue from the provider block and the environment to the client's settings
// and credentials, tat_agents.go the TAT client as the CVM client's source
// of agents, server.go the protocol server Terraform talks to.
package provider

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
)

var (
	_ provider.Provider                   = (*CVMProvider)(nil)
	_ provider.ProviderWithValidateConfig = (*CVMProvider)(nil)
	_ provider.ProviderWithActions        = (*CVMProvider)(nil)
)

// CVMProvider is the cvm provider.
type CVMProvider struct {
	version string
	opts    options
	// configured is what Configure built, for the protocol server's fast
	// path (server.go), which bypasses the data sources' Configure; the
	// framework hands the same value to them as DataSourceData.
	configured atomic.Pointer[providerData]
}

// providerData is what Configure builds: the client and what messages
// about its reads refer to.
type providerData struct {
	client         *cvm.Client
	region         string
	requestTimeout time.Duration
	maxRetries     int
	interrupted    context.Context // nil, or ends when the user interrupts the run
}

// Option changes how the provider builds its client. Apart from
// WithInterrupt, which the binary passes, options exist for tests:
// production configuration comes from the provider block and the
// environment only.
type Option func(*options)

type options struct {
	httpClient  *http.Client
	tune        []func(*cvm.Config)
	env         func(string) (string, bool)
	dataSources []func() datasource.DataSource
	interrupted context.Context
}

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

// WithInterrupt ends every read, as cancelled, once ctx ends. The binary
// passes a context that ends on SIGINT: Terraform tells providers to stop
// when it is interrupted, except while `terraform apply` or `destroy`
// plans (it plans outside its interrupt handling, and waits for the plan
// to finish), so a read waiting for instance states would otherwise go on
// after a terminal's Ctrl-C, which reaches the provider too, until
// timeouts.read.
func WithInterrupt(ctx context.Context) Option {
	return func(o *options) { o.interrupted = ctx }
}

// withDataSources serves more data sources, for tests of the protocol
// server's routing.
func withDataSources(ds ...func() datasource.DataSource) Option {
	return func(o *options) { o.dataSources = append(o.dataSources, ds...) }
}

// newProvider returns the provider. The binary and the tests serve it
// through NewServer.
func newProvider(version string, opts ...Option) *CVMProvider {
	p := &CVMProvider{version: version, opts: options{env: os.LookupEnv}}
	for _, o := range opts {
		o(&p.opts)
	}
	return p
}

// providerModel is the provider block.
type providerModel struct {
	Region               types.String      `tfsdk:"region"`
	SecretID             types.String      `tfsdk:"secret_id"`
	SecretKey            types.String      `tfsdk:"secret_key"`
	SecurityToken        types.String      `tfsdk:"security_token"`
	Profile              types.String      `tfsdk:"profile"`
	SharedCredentialsDir types.String      `tfsdk:"shared_credentials_dir"`
	CAMRoleName          types.String      `tfsdk:"cam_role_name"`
	AssumeRole           *assumeRoleModel  `tfsdk:"assume_role"`
	Domain               types.String      `tfsdk:"domain"`
	Protocol             types.String      `tfsdk:"protocol"`
	Endpoint             types.String      `tfsdk:"endpoint"`
	RateLimit            types.Float64     `tfsdk:"rate_limit"`
	MaxRetries           types.Int64       `tfsdk:"max_retries"`
	RequestTimeout       types.String      `tfsdk:"request_timeout"`
	STSEndpoint          types.String      `tfsdk:"sts_endpoint"`
	TATEndpoint          types.String      `tfsdk:"tat_endpoint"`
	MetadataEndpoint     types.String      `tfsdk:"metadata_endpoint"`
	EnablePodOIDC        types.Bool        `tfsdk:"enable_pod_oidc"`
	AllowedAccountIDs    types.Set         `tfsdk:"allowed_account_ids"`
	ForbiddenAccountIDs  types.Set         `tfsdk:"forbidden_account_ids"`
	WebIdentity          *webIdentityModel `tfsdk:"assume_role_with_web_identity"`
	SAML                 *samlModel        `tfsdk:"assume_role_with_saml"`
	MFA                  *mfaModel         `tfsdk:"mfa_certification"`
}

type assumeRoleModel struct {
	RoleARN         types.String `tfsdk:"role_arn"`
	SessionName     types.String `tfsdk:"session_name"`
	SessionDuration types.Int64  `tfsdk:"session_duration"`
	Policy          types.String `tfsdk:"policy"`
	ExternalID      types.String `tfsdk:"external_id"`
	SourceIdentity  types.String `tfsdk:"source_identity"`
	SerialNumber    types.String `tfsdk:"serial_number"`
	TokenCode       types.String `tfsdk:"token_code"`
}

type webIdentityModel struct {
	ProviderID           types.String `tfsdk:"provider_id"`
	WebIdentityToken     types.String `tfsdk:"web_identity_token"`
	WebIdentityTokenFile types.String `tfsdk:"web_identity_token_file"`
	RoleARN              types.String `tfsdk:"role_arn"`
	RoleARNFile          types.String `tfsdk:"role_arn_file"`
	SessionName          types.String `tfsdk:"session_name"`
	SessionDuration      types.Int64  `tfsdk:"session_duration"`
	Audience             types.String `tfsdk:"audience"`
}

type samlModel struct {
	SAMLAssertion   types.String `tfsdk:"saml_assertion"`
	PrincipalARN    types.String `tfsdk:"principal_arn"`
	RoleARN         types.String `tfsdk:"role_arn"`
	SessionName     types.String `tfsdk:"session_name"`
	SessionDuration types.Int64  `tfsdk:"session_duration"`
}

type mfaModel struct {
	SerialNumber    types.String `tfsdk:"serial_number"`
	TokenCode       types.String `tfsdk:"token_code"`
	DurationSeconds types.Int64  `tfsdk:"duration_seconds"`
}

func (p *CVMProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "cvm"
	resp.Version = p.version
}

// ValidateConfig refuses what no single attribute's validator can see:
// credential sources that conflict, as `terraform validate` would be the
// first to say. Values from the environment are checked at Configure.
func (p *CVMProvider) ValidateConfig(_ context.Context, req provider.ValidateConfigRequest, resp *provider.ValidateConfigResponse) {
	// Read as raw values: an attribute that does not convert (max_retries =
	// 2.5) is its own validator's to report, once.
	top := objectAttrs(req.Config.Raw)
	set := func(attrs map[string]tftypes.Value, name string) bool {
		v, ok := attrs[name]
		return ok && !v.IsNull()
	}
	conflict := func(at path.Path, detail string) {
		resp.Diagnostics.AddAttributeError(at, "Conflicting Credential Sources", detail)
	}
	var podOIDC bool
	if v, ok := top["enable_pod_oidc"]; ok && v.IsKnown() && !v.IsNull() {
		_ = v.As(&podOIDC)
	}
	// At most one source of the identity that signs the reads.
	var roles []string
	for _, r := range []struct {
		name string
		set  bool
	}{
		{"assume_role", set(top, "assume_role")},
		{"assume_role_with_web_identity", set(top, "assume_role_with_web_identity")},
		{"assume_role_with_saml", set(top, "assume_role_with_saml")},
		{"enable_pod_oidc", podOIDC},
	} {
		if !r.set {
			continue
		}
		if len(roles) > 0 {
			conflict(path.Root(r.name), fmt.Sprintf("%s and %s both say whose identity signs the reads: keep one of them.", roles[0], r.name))
		}
		roles = append(roles, r.name)
	}
	if set(top, "mfa_certification") && len(roles) > 0 {
		conflict(path.Root("mfa_certification"), mfaConflict(roles[0]))
	}
	var camRole string
	if v, ok := top["cam_role_name"]; ok && v.IsKnown() && !v.IsNull() {
		_ = v.As(&camRole)
	}
	if camRole != "" && (set(top, "secret_id") || set(top, "secret_key")) {
		conflict(path.Root("cam_role_name"), "cam_role_name and secret_id/secret_key are two base credentials; the official provider would use the CAM role, this one the keys: keep one of them.")
	}
	if set(top, "allowed_account_ids") && set(top, "forbidden_account_ids") {
		conflict(path.Root("forbidden_account_ids"), "allowed_account_ids and forbidden_account_ids cannot both be set, as in the official provider: keep one of them.")
	}
	for _, guard := range []string{"allowed_account_ids", "forbidden_account_ids"} {
		for _, fed := range []string{"assume_role_with_saml", "assume_role_with_web_identity"} {
			if set(top, guard) && set(top, fed) {
				conflict(path.Root(guard), fmt.Sprintf("%s is not supported with %s, as in the official provider.", guard, fed))
			}
		}
	}
	web := objectAttrs(top["assume_role_with_web_identity"])
	at := path.Root("assume_role_with_web_identity")
	if set(web, "web_identity_token") && set(web, "web_identity_token_file") {
		conflict(at.AtName("web_identity_token_file"), "web_identity_token and web_identity_token_file are two tokens: keep one of them.")
	}
	if set(web, "role_arn") && set(web, "role_arn_file") {
		conflict(at.AtName("role_arn_file"), "role_arn and role_arn_file are two roles: keep one of them.")
	}
}

// objectAttrs are the attributes of an object value; none when it is null,
// unknown or not an object.
func objectAttrs(v tftypes.Value) map[string]tftypes.Value {
	var attrs map[string]tftypes.Value
	if !v.IsKnown() || v.IsNull() || v.As(&attrs) != nil {
		return nil
	}
	return attrs
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
	id, err := p.credentialConfig(s).Resolve()
	if err != nil {
		resp.Diagnostics.AddError("No Usable Tencent Cloud Credentials", err.Error())
		return
	}
	// Secrets must never reach a log line: this function's, and the
	// client's (newTflogLogger), which logs with each read's context.
	ctx = tflog.MaskLogStrings(ctx, id.Secrets...)
	profile := id.Profile
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
		RateLimit:      s.rateLimit,
		MaxRetries:     new(s.maxRetries), // 0: none
		RequestTimeout: s.requestTimeout,
		HTTPClient:     p.opts.httpClient,
		UserAgent:      "terraform-provider-cvm/" + p.version,
		Logger:         newTflogLogger(id.Secrets),
	}
	for _, tune := range p.opts.tune {
		tune(&clientCfg)
	}
	// STS requires a region on every call, as the official provider
	// sends its own; a TKE pod's identity names the one to use.
	clientCfg.Credentials, err = credentialChain(clientCfg, s.stsEndpoint, cmp.Or(id.STSRegion, region), id)
	if err != nil {
		resp.Diagnostics.AddError("Invalid Provider Configuration", err.Error())
		return
	}
	// TAT is read as the same identity, through the same transport and
	// with the same retries as CVM; a test may have supplied its own.
	if clientCfg.Agents == nil {
		if clientCfg.Agents, err = newTATAgents(clientCfg, s.tatEndpoint); err != nil {
			resp.Diagnostics.AddError("Invalid Provider Configuration", err.Error())
			return
		}
	}
	client, err := cvm.New(clientCfg)
	if err != nil {
		resp.Diagnostics.AddError("Invalid Provider Configuration", err.Error())
		return
	}
	tflog.Debug(ctx, "configured the CVM client", map[string]any{
		"region": region, "endpoint": s.endpoint, "tat_endpoint": s.tatEndpoint, "credentials": client.CredentialSourceName(),
		"rate_limit": clientCfg.RateLimit, "max_retries": s.maxRetries, "request_timeout": s.requestTimeout.String(),
	})
	data := &providerData{client: client, region: region, requestTimeout: s.requestTimeout, maxRetries: s.maxRetries,
		interrupted: p.opts.interrupted}
	p.configured.Store(data)
	resp.DataSourceData = data
	resp.ActionData = data
}

func (p *CVMProvider) DataSources(context.Context) []func() datasource.DataSource {
	return append([]func() datasource.DataSource{newInstancesStatusDataSource}, p.opts.dataSources...)
}

// Actions are served to Terraform 1.14 and later; older Terraform and
// OpenTofu do not ask for them, and everything else works there as ever.
func (p *CVMProvider) Actions(context.Context) []func() action.Action {
	return []func() action.Action{newInstancesWaitAction}
}

func (p *CVMProvider) Resources(context.Context) []func() resource.Resource { return nil }
