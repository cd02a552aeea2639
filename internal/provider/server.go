package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// instancesStatusTypeName is the data source's type name in the protocol.
const instancesStatusTypeName = "cvm_instances_status"

// NewServer returns a constructor of the provider's protocol 6 server, for
// tf6server.Serve and for terraform-plugin-testing's ProtoV6ProviderFactories.
//
// Every call but one goes to the plugin framework's server. ReadDataSource of
// cvm_instances_status is served here, from the same readInstancesStatus the
// framework's Read calls: after Read the framework deep-copies the state,
// walks every nested object for semantic equality and compares the two
// copies, which for a region of 100,000 instances costs more CPU and memory
// than the read itself (BENCHMARKS.md, "Where the time goes"). The state
// returned is the same value, encoded the same way. Validation, schemas and
// Configure stay with the framework.
func NewServer(version string, opts ...Option) func() (tfprotov6.ProviderServer, error) {
	return func() (tfprotov6.ProviderServer, error) {
		p := newProvider(version, opts...)
		fw, err := providerserver.NewProtocol6WithError(p)()
		if err != nil {
			return nil, err
		}
		var resp datasource.SchemaResponse
		NewInstancesStatusDataSource().Schema(context.Background(), datasource.SchemaRequest{}, &resp)
		if resp.Diagnostics.HasError() {
			return nil, fmt.Errorf("the %s schema: %v", instancesStatusTypeName, resp.Diagnostics)
		}
		return &server{
			ProviderServer: fw,
			provider:       p,
			schema:         resp.Schema,
			stateType:      resp.Schema.Type().TerraformType(context.Background()),
		}, nil
	}
}

type server struct {
	tfprotov6.ProviderServer // the framework's

	provider  *CVMProvider
	schema    schema.Schema
	stateType tftypes.Type
}

func (s *server) ReadDataSource(ctx context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	if req.TypeName != instancesStatusTypeName {
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
	config, err := req.Config.Unmarshal(s.stateType)
	if err != nil {
		resp.Diagnostics = []*tfprotov6.Diagnostic{{
			Severity: tfprotov6.DiagnosticSeverityError,
			Summary:  "Unreadable Configuration",
			Detail:   "The configuration Terraform sent for " + req.TypeName + " does not match its schema: " + err.Error(),
		}}
		return resp, nil //nolint:nilerr // reported to the user as a diagnostic, not as an RPC failure
	}

	state, diags := readInstancesStatus(ctx, s.provider.configured.Load(), tfsdk.Config{Raw: config, Schema: s.schema})
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
