package provider

import (
	"context"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// The protocol server reads cvm_instances_status itself (server.go), its
// state encoded by encodeState. Terraform must not be able to tell: for
// every kind of read, it answers with the same state and the same
// diagnostics, attribute paths included, as the plugin framework's server
// does with a read done the framework's way through and through: the state
// built as tftypes values (libraryState, as TestEncodeStateMatchesTheLibrary
// builds it) and encoded by the framework. The data source's own Read
// decodes encodeState's bytes, so comparing with it would hold encodeState
// equal to itself.
func TestServerReadsAsTheFrameworkDoes(t *testing.T) {
	t.Parallel()
	e := emutest.Start(t, emulator.Config{
		Credentials: []emulator.Credential{{SecretID: accSecretID, SecretKey: accSecretKey}},
		Regions: map[string][]emulator.Instance{
			DefaultRegion: {inst("ins-r8hr2upy", "RUNNING"), inst("ins-5d8a23rs", "STOPPED"), inst("ins-0000abcd", "LAUNCH_FAILED")},
			"ap-shanghai": {inst("ins-sh000001", "RUNNING")},
		},
	}, emutest.Options{})
	good := map[string]any{"endpoint": e.URL, "region": DefaultRegion, "secret_id": accSecretID, "secret_key": accSecretKey}
	wrongKey := map[string]any{"endpoint": e.URL, "region": DefaultRegion, "secret_id": accSecretID, "secret_key": "not-the-key"}
	notAPI := map[string]any{"endpoint": e.URL + "/v3/", "region": DefaultRegion, "secret_id": accSecretID, "secret_key": accSecretKey}

	cases := map[string]struct {
		provider, data map[string]any
		wantStage      string
	}{
		"the whole region":         {good, map[string]any{}, ""},
		"IDs, duplicates, missing": {good, map[string]any{"instance_ids": []string{"ins-5d8a23rs", "ins-r8hr2upy", "ins-5d8a23rs", "ins-gone0000"}}, ""},
		"empty list":               {good, map[string]any{"instance_ids": []string{}}, ""},
		"region override":          {good, map[string]any{"region": "ap-shanghai"}, ""},
		"timeouts and waiting":     {good, map[string]any{"instance_ids": []string{"ins-r8hr2upy"}, "wait_for_states": []string{"RUNNING"}, "timeouts": map[string]any{"read": "1m"}}, ""},
		"waiting, steady":          {good, map[string]any{"instance_ids": []string{"ins-r8hr2upy"}, "wait_for_states": []string{"RUNNING", "STOPPED"}, "wait_stable_for": "0s"}, ""},
		"cannot reach the state":   {good, map[string]any{"instance_ids": []string{"ins-0000abcd"}, "wait_for_states": []string{"RUNNING"}}, "read"},
		"authentication failure":   {wrongKey, map[string]any{}, "read"},
		"wrong region":             {good, map[string]any{"region": "xx-nowhere"}, "read"},
		"endpoint not the API":     {notAPI, map[string]any{"instance_ids": []string{"ins-r8hr2upy"}}, "read"},
		"duplicates warn at read":  {good, map[string]any{"instance_ids": []string{"ins-r8hr2upy", "ins-r8hr2upy"}}, ""},
	}
	// RequestIds differ between two reads; everything else must not.
	requestID := regexp.MustCompile(`RequestId: [0-9a-f-]+`)
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			framework := runProtocolOn(t, providerserver.NewProtocol6WithError(libraryProvider{newProvider("test", testEnv(t, nil)), t}), tc.provider, tc.data)
			ours := runProtocolOn(t, NewServer("test", testEnv(t, nil)), tc.provider, tc.data)
			if framework.stage != tc.wantStage || ours.stage != tc.wantStage {
				t.Fatalf("stopped at %q (framework) and %q (ours), want %q:%s%s", framework.stage, ours.stage, tc.wantStage, framework, ours)
			}
			if !ours.state.Equal(framework.state) {
				t.Errorf("states differ:\nframework %s\nours      %s", framework.state, ours.state)
			}
			if tc.wantStage == "" && ours.state.IsNull() {
				t.Errorf("no state")
			}
			if strings.HasPrefix(name, "duplicates") && len(ours.diags) != 1 {
				t.Errorf("want the duplicate warning:%s", ours)
			}
			if len(ours.diags) != len(framework.diags) {
				t.Fatalf("diagnostics differ:\nframework%s\nours%s", framework, ours)
			}
			for i, want := range framework.diags {
				got := ours.diags[i]
				if got.Severity != want.Severity || got.Summary != want.Summary ||
					requestID.ReplaceAllString(got.Detail, "") != requestID.ReplaceAllString(want.Detail, "") ||
					attrPath(got.Attribute) != attrPath(want.Attribute) {
					t.Errorf("diagnostic %d differs:\nframework%s\nours%s", i, framework, ours)
				}
			}
		})
	}
}

// libraryProvider is the provider with cvm_instances_status read the
// framework's way (libraryInstancesStatus).
type libraryProvider struct {
	*CVMProvider
	t *testing.T
}

func (p libraryProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{func() datasource.DataSource { return &libraryInstancesStatus{t: p.t} }}
}

// libraryInstancesStatus is cvm_instances_status whose Read hands the
// framework the state as tftypes values, for the framework to encode: the
// same read (readInstancesStatus), none of encodeState.
type libraryInstancesStatus struct {
	instancesStatusDataSource
	t *testing.T
}

func (d *libraryInstancesStatus) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m instancesStatusModel
	if resp.Diagnostics.Append(req.Config.Get(ctx, &m)...); resp.Diagnostics.HasError() {
		return
	}
	out, diags := readInstancesStatus(ctx, d.data, m)
	if resp.Diagnostics.Append(diags...); resp.Diagnostics.HasError() {
		return
	}
	stateType, ok := resp.State.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		d.t.Fatal("the schema is not an object")
	}
	resp.State.Raw = libraryState(d.t, stateType, req.Config.Raw, out.region, out.id, out.res)
}

// Reads are routed by a table of the data sources that opt in with
// ReadEncoded: any other is read by the framework, and an unknown type name
// gets the framework's own answer. A read that carries ProviderMeta is the
// framework's too, opted in or not: only the framework decodes it.
func TestServerRoutesByWhatADataSourceImplements(t *testing.T) {
	t.Parallel()
	var framework, encoded atomic.Int64
	srv, err := NewServer("test", testEnv(t, nil), withDataSources(
		func() datasource.DataSource { return &plainDataSource{name: "_plain", reads: &framework} },
		func() datasource.DataSource {
			return &encodingDataSource{plainDataSource{name: "_encoded", reads: &framework}, &encoded}
		},
	))()
	if err != nil {
		t.Fatal(err)
	}
	configureForRouting(t, srv)
	dv := func(typ tftypes.Type, v tftypes.Value) *tfprotov6.DynamicValue {
		d, err := tfprotov6.NewDynamicValue(typ, v)
		if err != nil {
			t.Fatal(err)
		}
		return &d
	}
	cfg := dv(plainType, tftypes.NewValue(plainType, map[string]tftypes.Value{"n": tftypes.NewValue(tftypes.String, "x")}))
	meta := dv(tftypes.Object{}, tftypes.NewValue(tftypes.Object{}, map[string]tftypes.Value{}))
	for _, tc := range []struct {
		typeName                   string
		providerMeta               *tfprotov6.DynamicValue
		wantFramework, wantEncoded int64
	}{
		{"cvm_plain", nil, 1, 0},
		{"cvm_encoded", nil, 0, 1},
		{"cvm_encoded", meta, 1, 0},
	} {
		framework.Store(0)
		encoded.Store(0)
		resp, err := srv.ReadDataSource(t.Context(), &tfprotov6.ReadDataSourceRequest{TypeName: tc.typeName, Config: cfg, ProviderMeta: tc.providerMeta})
		if err != nil || len(resp.Diagnostics) != 0 {
			t.Fatalf("%s: %v %+v", tc.typeName, err, resp.Diagnostics)
		}
		if framework.Load() != tc.wantFramework || encoded.Load() != tc.wantEncoded {
			t.Errorf("%s (ProviderMeta %v): %d framework reads and %d encoded, want %d and %d",
				tc.typeName, tc.providerMeta != nil, framework.Load(), encoded.Load(), tc.wantFramework, tc.wantEncoded)
		}
	}
}

// configureForRouting configures the provider of srv with keys and an
// endpoint nothing listens on: enough for the fast path, which reads only
// with a configured client.
func configureForRouting(t *testing.T, srv tfprotov6.ProviderServer) {
	t.Helper()
	schemas, err := srv.GetProviderSchema(t.Context(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.ConfigureProvider(t.Context(), &tfprotov6.ConfigureProviderRequest{Config: dynamic(t, schemas.Provider.ValueType(),
		map[string]any{"endpoint": "http://127.0.0.1:9", "region": DefaultRegion, "secret_id": accSecretID, "secret_key": accSecretKey})})
	if err != nil || len(resp.Diagnostics) != 0 {
		t.Fatalf("configure: %v %+v", err, resp.Diagnostics)
	}
}

// When the provider defers (Configure sets resp.Deferred, as a provider may
// when its configuration is unknown and Terraform allows deferral), the
// framework answers cvm_instances_status's read as deferred, with an
// unknown state, and sends no request. The fast path must not answer it: it
// has no client, and would fail the read.
func TestServerLeavesADeferredProviderToTheFramework(t *testing.T) {
	t.Parallel()
	e := emutest.Start(t, emulator.Config{
		Credentials: []emulator.Credential{{SecretID: accSecretID, SecretKey: accSecretKey}},
		Regions:     seeded(inst("ins-aaaaaaaa", "RUNNING")),
	}, emutest.Options{})
	p := newProvider("test", testEnv(t, nil))
	srv, err := newServer(deferringProvider{p}, p)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	schemas, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	deferral := &tfprotov6.ConfigureProviderClientCapabilities{DeferralAllowed: true}
	cp, err := srv.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{ClientCapabilities: deferral, Config: dynamic(t, schemas.Provider.ValueType(),
		map[string]any{"endpoint": e.URL, "region": unknown, "secret_id": accSecretID, "secret_key": accSecretKey})})
	if err != nil || len(cp.Diagnostics) != 0 {
		t.Fatalf("configure: %v %+v", err, cp.Diagnostics)
	}
	dType := schemas.DataSourceSchemas["cvm_instances_status"].ValueType()
	rd, err := srv.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{
		TypeName:           "cvm_instances_status",
		Config:             dynamic(t, dType, map[string]any{"instance_ids": []string{"ins-aaaaaaaa"}}),
		ClientCapabilities: &tfprotov6.ReadDataSourceClientCapabilities{DeferralAllowed: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rd.Diagnostics) != 0 || rd.Deferred == nil || rd.Deferred.Reason != tfprotov6.DeferredReasonProviderConfigUnknown {
		t.Fatalf("diagnostics %+v, deferred %+v: want the framework's deferred answer, no diagnostic", rd.Diagnostics, rd.Deferred)
	}
	state, err := rd.State.Unmarshal(dType)
	if err != nil || state.IsKnown() {
		t.Errorf("state %v (%v), want unknown", state, err)
	}
	if got := e.Requests(); got != 0 {
		t.Errorf("%d requests reached the emulator, want none", got)
	}
}

// deferringProvider is the provider, deferring as the framework lets a
// provider do when its configuration holds unknown values.
type deferringProvider struct{ *CVMProvider }

func (p deferringProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	if req.ClientCapabilities.DeferralAllowed && !req.Config.Raw.IsFullyKnown() {
		resp.Deferred = &provider.Deferred{Reason: provider.DeferredReasonProviderConfigUnknown}
		return
	}
	p.CVMProvider.Configure(ctx, req, resp)
}

var plainType = tftypes.Object{AttributeTypes: map[string]tftypes.Type{"n": tftypes.String}}

// plainDataSource is a data source that does not opt in.
type plainDataSource struct {
	name  string
	reads *atomic.Int64
}

func (d *plainDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + d.name
}

func (d *plainDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = dsschema.Schema{Attributes: map[string]dsschema.Attribute{"n": dsschema.StringAttribute{Optional: true}}}
}

func (d *plainDataSource) Read(_ context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	d.reads.Add(1)
	resp.State.Raw = req.Config.Raw
}

// encodingDataSource opts in.
type encodingDataSource struct {
	plainDataSource
	encoded *atomic.Int64
}

func (d *encodingDataSource) ReadEncoded(_ context.Context, _ *providerData, config tfsdk.Config) ([]byte, diag.Diagnostics) {
	d.encoded.Add(1)
	dv, err := tfprotov6.NewDynamicValue(plainType, config.Raw)
	var diags diag.Diagnostics
	if err != nil {
		diags.AddError("encoding", err.Error())
	}
	return dv.MsgPack, diags
}

// Every other call goes to the framework: an unknown type name gets the
// framework's own answer.
func TestServerPassesOtherTypesToTheFramework(t *testing.T) {
	t.Parallel()
	srv, err := NewServer("test")()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.ReadDataSource(t.Context(), &tfprotov6.ReadDataSourceRequest{TypeName: "cvm_nothing"})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Summary != "Data Source Type Not Found" {
		t.Errorf("diagnostics %+v, want the framework's Data Source Type Not Found", resp.Diagnostics)
	}
}
