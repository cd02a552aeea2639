package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// dataSourceWithReadEncoded is a data source that can return its state
// already encoded as msgpack. The protocol server sends those bytes for it
// instead of asking the framework to read it: after Read the framework
// deep-copies the state, walks every nested object for semantic equality and
// compares the two copies, which for a region of 100,000 instances costs more
// CPU and memory than the read itself (BENCHMARKS.md, "Where the time
// goes"). A data source opts in by implementing it; any other is read by the
// framework. Its answer must be the one its Read gives, which is simplest
// when Read decodes ReadEncoded's state, as cvm_instances_status's does.
type dataSourceWithReadEncoded interface {
	datasource.DataSource
	// ReadEncoded reads with data, the provider's configured client (nil
	// before Configure), what config asks for.
	ReadEncoded(ctx context.Context, data *providerData, config tfsdk.Config) ([]byte, diag.Diagnostics)
}

// fastRead is how the server reads one data source that opts in: the data
// source, and the schema its configuration is decoded with.
type fastRead struct {
	reader    dataSourceWithReadEncoded
	schema    schema.Schema
	stateType tftypes.Type
}

// NewServer returns a constructor of the provider's protocol 6 server, for
// tf6server.Serve and for terraform-plugin-testing's ProtoV6ProviderFactories.
//
// It is the plugin framework's server, except that ReadDataSource of each
// data source that implements dataSourceWithReadEncoded is answered here
// from ReadEncoded (the fast path), with the configured client taken from
// the provider as the data source's own Read takes it. Validation, schemas
// and Configure stay with the framework.
//
// The fast path reads with the client Configure built and knows nothing else
// of the protocol. Reads that need more are left to the framework
// (usesFramework), which implements them:
//   - provider-level deferral: when Terraform allows deferral
//     (ClientCapabilities.DeferralAllowed) and the provider's Configure sets
//     resp.Deferred because its configuration is unknown, the framework
//     answers every read of the run as deferred, with an unknown state.
//     Configure then builds no client, so the framework reads. This
//     provider does not defer today (refuseUnknown refuses unknown values
//     instead); the server follows the framework if it ever does.
//   - ProviderMeta: the framework decodes the provider_meta block for data
//     sources that read it. This provider declares no provider_meta schema,
//     so Terraform sends none; a read that carries one is the framework's.
func NewServer(version string, opts ...Option) func() (tfprotov6.ProviderServer, error) {
	return func() (tfprotov6.ProviderServer, error) {
		p := newProvider(version, opts...)
		return newServer(p, p)
	}
}

// newServer serves fw, which is p or, in tests, p wrapped, through the
// framework, with the fast path for p's data sources.
func newServer(fw provider.Provider, p *CVMProvider) (tfprotov6.ProviderServer, error) {
	ctx := context.Background()
	framework, err := providerserver.NewProtocol6WithError(fw)()
	if err != nil {
		return nil, err
	}
	var meta provider.MetadataResponse
	p.Metadata(ctx, provider.MetadataRequest{}, &meta)
	reads := map[string]fastRead{}
	for _, newDataSource := range p.DataSources(ctx) {
		r, ok := newDataSource().(dataSourceWithReadEncoded)
		if !ok {
			continue
		}
		var name datasource.MetadataResponse
		r.Metadata(ctx, datasource.MetadataRequest{ProviderTypeName: meta.TypeName}, &name)
		var sch datasource.SchemaResponse
		r.Schema(ctx, datasource.SchemaRequest{}, &sch)
		if sch.Diagnostics.HasError() {
			return nil, fmt.Errorf("the %s schema: %v", name.TypeName, sch.Diagnostics)
		}
		reads[name.TypeName] = fastRead{reader: r, schema: sch.Schema, stateType: sch.Schema.Type().TerraformType(ctx)}
	}
	actions, ok := framework.(tfprotov6.ActionServer)
	if !ok {
		return nil, fmt.Errorf("the framework's server (%T) serves no actions", framework)
	}
	return &server{ProviderServer: framework, actions: actions, provider: p, reads: reads}, nil
}

func (s *server) ValidateActionConfig(ctx context.Context, req *tfprotov6.ValidateActionConfigRequest) (*tfprotov6.ValidateActionConfigResponse, error) {
	return s.actions.ValidateActionConfig(ctx, req)
}

func (s *server) PlanAction(ctx context.Context, req *tfprotov6.PlanActionRequest) (*tfprotov6.PlanActionResponse, error) {
	return s.actions.PlanAction(ctx, req)
}

func (s *server) InvokeAction(ctx context.Context, req *tfprotov6.InvokeActionRequest) (*tfprotov6.InvokeActionServerStream, error) {
	return s.actions.InvokeAction(ctx, req)
}

// The framework's server answers the action RPCs too, but they are not in
// tfprotov6.ProviderServer (terraform-plugin-go keeps them in an interface
// of their own until its next major version), so embedding the interface
// would hide them: tf6server would find no actions and answer Terraform
// 1.14's InvokeAction with "not implemented". server forwards them.
var _ actionProviderServer = (*server)(nil)

// actionProviderServer is a provider server that serves actions, as
// tf6server looks for one (tfprotov6.ProviderServerWithActions, deprecated
// only because its methods are to move into ProviderServer).
type actionProviderServer interface {
	tfprotov6.ProviderServer
	tfprotov6.ActionServer
}

type server struct {
	tfprotov6.ProviderServer // the framework's
	actions                  tfprotov6.ActionServer

	provider *CVMProvider
	reads    map[string]fastRead // by data source type name
}

// usesFramework says whether a read needs what only the framework
// implements (NewServer lists it). A provider that deferred has no client:
// Configure builds one only when it configures.
func (s *server) usesFramework(req *tfprotov6.ReadDataSourceRequest) bool {
	return s.provider.configured.Load() == nil || req.ProviderMeta != nil
}

func (s *server) ReadDataSource(ctx context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	r, ok := s.reads[req.TypeName]
	if !ok || s.usesFramework(req) {
		return s.ProviderServer.ReadDataSource(ctx, req)
	}
	ctx = tflog.SetField(ctx, "tf_data_source_type", req.TypeName)
	resp := &tfprotov6.ReadDataSourceResponse{}
	if req.Config == nil {
		resp.Diagnostics = []*tfprotov6.Diagnostic{{
			Severity: tfprotov6.DiagnosticSeverityError,
			Summary:  "Missing Configuration",
			Detail:   "Terraform sent no configuration for " + req.TypeName + ". This is a bug in Terraform or the provider; please report it.",
		}}
		return resp, nil
	}
	config, err := req.Config.Unmarshal(r.stateType)
	if err != nil {
		resp.Diagnostics = []*tfprotov6.Diagnostic{{
			Severity: tfprotov6.DiagnosticSeverityError,
			Summary:  "Unreadable Configuration",
			Detail:   "The configuration Terraform sent for " + req.TypeName + " does not match its schema: " + err.Error(),
		}}
		return resp, nil //nolint:nilerr // reported to the user as a diagnostic, not as an RPC failure
	}

	state, diags := r.reader.ReadEncoded(ctx, s.provider.configured.Load(), tfsdk.Config{Raw: config, Schema: r.schema})
	if !diags.HasError() {
		resp.State = &tfprotov6.DynamicValue{MsgPack: state}
	}
	resp.Diagnostics = protoDiagnostics(diags)
	return resp, nil
}

// protoDiagnostics converts framework diagnostics as the framework's server
// would, attribute paths included.
func protoDiagnostics(diags diag.Diagnostics) []*tfprotov6.Diagnostic {
	out := make([]*tfprotov6.Diagnostic, 0, len(diags))
	for _, d := range diags {
		pd := &tfprotov6.Diagnostic{
			Severity: tfprotov6.DiagnosticSeverityWarning,
			Summary:  d.Summary(),
			Detail:   d.Detail(),
		}
		if d.Severity() == diag.SeverityError {
			pd.Severity = tfprotov6.DiagnosticSeverityError
		}
		if dp, ok := d.(diag.DiagnosticWithPath); ok {
			pd.Attribute = attributePath(dp.Path())
		}
		out = append(out, pd)
	}
	return out
}

func attributePath(p path.Path) *tftypes.AttributePath {
	steps := p.Steps()
	if len(steps) == 0 {
		return nil
	}
	tp := tftypes.NewAttributePath()
	for _, step := range steps {
		switch s := step.(type) {
		case path.PathStepAttributeName:
			tp = tp.WithAttributeName(string(s))
		case path.PathStepElementKeyInt:
			tp = tp.WithElementKeyInt(int(s))
		case path.PathStepElementKeyString:
			tp = tp.WithElementKeyString(string(s))
		default:
			// Set elements are keyed by value; no attribute of this data
			// source is a set, so the path ends at the set itself.
			return tp
		}
	}
	return tp
}
