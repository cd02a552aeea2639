package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/provider"
)

// memoryService answers listings of one region from pages encoded in
// advance, so that a profile of the provider's read holds the provider's work
// and nothing of a server's. It checks neither signatures nor rate: the
// emulator does that in the other benchmarks.
type memoryService struct {
	pages map[int][]byte // the answer for Offset = key, Limit = 100
}

// listingStride is how far apart the client's listing pages start: they
// overlap by one instance (cvm.ListingRequests).
const listingStride = cvm.PageSize - 1

func newMemoryService(instances []emulator.Instance) *memoryService {
	type status struct {
		InstanceID    string `json:"InstanceId"`
		InstanceState string `json:"InstanceState"`
	}
	m := &memoryService{pages: map[int][]byte{}}
	for off := 0; off == 0 || off < len(instances); off += listingStride {
		set := make([]status, 0, cvm.PageSize)
		for _, in := range instances[off:min(off+cvm.PageSize, len(instances))] {
			set = append(set, status{in.InstanceId, in.InstanceState})
		}
		body, err := json.Marshal(map[string]any{"Response": map[string]any{
			"TotalCount": len(instances), "InstanceStatusSet": set, "RequestId": "memory-" + strconv.Itoa(off),
		}})
		if err != nil {
			panic(err)
		}
		m.pages[off] = body
	}
	return m
}

func (m *memoryService) RoundTrip(req *http.Request) (*http.Response, error) {
	var params struct {
		InstanceIds []string
		Offset      int
		Limit       int
	}
	body, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(body, &params); err != nil {
		return nil, err
	}
	page, ok := m.pages[params.Offset]
	if len(params.InstanceIds) > 0 || params.Limit != cvm.PageSize || !ok {
		return nil, fmt.Errorf("memoryService serves the pages of a listing only, not %s", body)
	}
	return &http.Response{
		StatusCode:    http.StatusOK,
		Status:        "200 OK",
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(page)),
		ContentLength: int64(len(page)),
		Request:       req,
	}, nil
}

// providerRead is one configured provider server, as Terraform drives it.
type providerRead struct {
	srv    tfprotov6.ProviderServer
	config *tfprotov6.DynamicValue // the data source's configuration
}

const dataSourceType = "cvm_instances_status"

// newProviderRead starts the provider's protocol 6 server and configures it
// (rate_limit = 40 as in the plans, lifted by WithClientConfig: the memory
// service has no rate to respect).
func newProviderRead(ctx context.Context, tb testing.TB, service http.RoundTripper, region string) *providerRead {
	tb.Helper()
	srv, err := provider.NewServer("bench",
		provider.WithHTTPClient(&http.Client{Transport: service}),
		provider.WithClientConfig(func(c *cvm.Config) { c.RateLimit = 1e6 }),
	)()
	if err != nil {
		tb.Fatal(err)
	}
	schemas, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || hasError(schemas.Diagnostics) {
		tb.Fatalf("GetProviderSchema: %v %s", err, diagText(schemas.Diagnostics))
	}
	providerConfig := configValue(tb, schemas.Provider, map[string]tftypes.Value{
		"endpoint":   tftypes.NewValue(tftypes.String, "http://127.0.0.1:9"), // never dialled: the memory service answers
		"region":     tftypes.NewValue(tftypes.String, region),
		"secret_id":  tftypes.NewValue(tftypes.String, SecretID),
		"secret_key": tftypes.NewValue(tftypes.String, SecretKey),
		"rate_limit": tftypes.NewValue(tftypes.Number, RateLimit),
	})
	conf, err := srv.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{TerraformVersion: "1.11.4", Config: providerConfig})
	if err != nil || hasError(conf.Diagnostics) {
		tb.Fatalf("ConfigureProvider: %v %s", err, diagText(conf.Diagnostics))
	}
	return &providerRead{srv: srv, config: configValue(tb, schemas.DataSourceSchemas[dataSourceType], nil)}
}

// read validates the configuration and reads the data source, as a plan
// does, and returns the state Terraform would receive.
func (p *providerRead) read(ctx context.Context) ([]byte, error) {
	v, err := p.srv.ValidateDataResourceConfig(ctx, &tfprotov6.ValidateDataResourceConfigRequest{TypeName: dataSourceType, Config: p.config})
	if err != nil || hasError(v.Diagnostics) {
		return nil, fmt.Errorf("ValidateDataResourceConfig: %v %s", err, diagText(v.Diagnostics))
	}
	r, err := p.srv.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{TypeName: dataSourceType, Config: p.config})
	if err != nil || hasError(r.Diagnostics) {
		return nil, fmt.Errorf("ReadDataSource: %v %s", err, diagText(r.Diagnostics))
	}
	return r.State.MsgPack, nil
}

// configValue is a configuration of schema with the given attributes set and
// every other attribute and block null.
func configValue(tb testing.TB, schema *tfprotov6.Schema, set map[string]tftypes.Value) *tfprotov6.DynamicValue {
	tb.Helper()
	typ, ok := schema.ValueType().(tftypes.Object)
	if !ok {
		tb.Fatalf("schema type %s is not an object", schema.ValueType())
	}
	vals := make(map[string]tftypes.Value, len(typ.AttributeTypes))
	for name, t := range typ.AttributeTypes {
		vals[name] = tftypes.NewValue(t, nil)
		if v, ok := set[name]; ok {
			vals[name] = v
		}
	}
	dv, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, vals))
	if err != nil {
		tb.Fatal(err)
	}
	return &dv
}

// diagText renders diagnostics for a failure message.
func diagText(diags []*tfprotov6.Diagnostic) string {
	var out []string
	for _, d := range diags {
		out = append(out, fmt.Sprintf("%s: %s: %s", d.Severity, d.Summary, d.Detail))
	}
	return strings.Join(out, "; ")
}

func hasError(diags []*tfprotov6.Diagnostic) bool {
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			return true
		}
	}
	return false
}

// decodeInstances returns the instances attribute of a data source state.
func decodeInstances(tb testing.TB, schema *tfprotov6.Schema, state []byte) []tftypes.Value {
	tb.Helper()
	v, err := (&tfprotov6.DynamicValue{MsgPack: state}).Unmarshal(schema.ValueType())
	if err != nil {
		tb.Fatal(err)
	}
	var attrs map[string]tftypes.Value
	if err := v.As(&attrs); err != nil {
		tb.Fatal(err)
	}
	var list []tftypes.Value
	if err := attrs["instances"].As(&list); err != nil {
		tb.Fatal(err)
	}
	return list
}

// BenchmarkProviderRead is the provider's own work in a plan's read of a
// whole region: protocol decoding, the client's paging and JSON decoding,
// the conversion of the result to state and its msgpack encoding. Its CPU
// and memory profiles show where the provider process spends its time.
func BenchmarkProviderRead(b *testing.B) {
	for _, n := range []int{10_000, FullSize} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			skipUnlessFull(b, n)
			p := newProviderRead(b.Context(), b, newMemoryService(Instances(n)), Region(n))
			b.ReportAllocs()
			var size int
			for b.Loop() {
				state, err := p.read(b.Context())
				if err != nil {
					b.Fatal(err)
				}
				size = len(state)
			}
			b.ReportMetric(float64(size), "state-bytes")
		})
	}
}

// TestProviderReadHarness checks that the provider benchmark reads what it
// claims to: every instance of the region, in order, into the state.
func TestProviderReadHarness(t *testing.T) {
	const n = 1_000
	instances := Instances(n)
	p := newProviderRead(t.Context(), t, newMemoryService(instances), Region(n))
	state, err := p.read(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	schemas, err := p.srv.GetProviderSchema(t.Context(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	list := decodeInstances(t, schemas.DataSourceSchemas[dataSourceType], state)
	if len(list) != n {
		t.Fatalf("state holds %d instances, want %d", len(list), n)
	}
	for _, i := range []int{0, n / 2, n - 1} {
		var obj map[string]tftypes.Value
		var id string
		if err := list[i].As(&obj); err != nil {
			t.Fatal(err)
		}
		if err := obj["instance_id"].As(&id); err != nil {
			t.Fatal(err)
		}
		if id != instances[i].InstanceId {
			t.Errorf("instances[%d].instance_id = %s, want %s", i, id, instances[i].InstanceId)
		}
	}
}
