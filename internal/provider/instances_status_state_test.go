package provider

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
)

// encodeState writes msgpack itself. Its output must decode to exactly the
// value the library builds and encodes from the same result, at every size
// where msgpack changes its encoding: strings of 31/32, 255/256 and
// 65535/65536 bytes, arrays and maps of 15/16 and 65535/65536 elements,
// counts of 127/128, 255/256 and 65535/65536.
func TestEncodeStateMatchesTheLibrary(t *testing.T) {
	t.Parallel()
	var schemaResp datasource.SchemaResponse
	newInstancesStatusDataSource().Schema(context.Background(), datasource.SchemaRequest{}, &schemaResp)
	stateType, ok := schemaResp.Schema.Type().TerraformType(context.Background()).(tftypes.Object)
	if !ok {
		t.Fatal("the schema is not an object")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	instances := func(n int, states ...string) []cvm.InstanceStatus {
		out := make([]cvm.InstanceStatus, n)
		for i := range out {
			out[i] = cvm.InstanceStatus{InstanceID: fmt.Sprintf("ins-%08x", i), State: states[rng.IntN(len(states))]}
		}
		return out
	}
	configs := map[string]map[string]any{
		"listing":         {},
		"IDs and waiting": {"instance_ids": []string{"ins-00000001", "ins-00000002"}, "region": "ap-shanghai", "wait_for_states": []string{"RUNNING", "STOPPED"}, "timeouts": map[string]any{"read": "10m"}},
		"empty IDs":       {"instance_ids": []string{}},
	}
	results := map[string]*cvm.Result{
		"nothing":            {},
		"one":                {Instances: instances(1, "RUNNING"), Missing: []string{"ins-gone0000"}},
		"15 of one state":    {Instances: instances(15, "RUNNING")},
		"16, four states":    {Instances: instances(16, "RUNNING", "STOPPED", "PENDING", "SHUTDOWN")},
		"every state, 300":   {Instances: instances(300, cvm.States...)},
		"127 and 128":        {Instances: append(instances(127, "RUNNING"), instances(128, "STOPPED")...)},
		"long strings":       {Instances: []cvm.InstanceStatus{{InstanceID: strings.Repeat("a", 31), State: strings.Repeat("b", 32)}, {InstanceID: strings.Repeat("c", 255), State: strings.Repeat("d", 256)}, {InstanceID: strings.Repeat("e", 65535), State: strings.Repeat("f", 65536)}}},
		"65,535 instances":   {Instances: instances(65535, "RUNNING")},
		"70,000, 17 missing": {Instances: instances(70000, "RUNNING", "STOPPED"), Missing: strings.Fields(strings.Repeat("ins-gone0000 ", 17))},
	}
	// The configuration is encoded by the library either way; the large
	// results need only one configuration.
	large := map[string]bool{"65,535 instances": true, "70,000, 17 missing": true}
	for cname, config := range configs {
		for rname, res := range results {
			if large[rname] && cname != "listing" {
				continue
			}
			t.Run(cname+"/"+rname, func(t *testing.T) {
				t.Parallel()
				// Instance IDs are unique in a result; the long-string case
				// reuses "ins-%08x" IDs nowhere else.
				cfg := toValue(t, stateType, config)
				got, err := encodeState(stateType, cfg, readResult{region: "ap-guangzhou", id: "ap-guangzhou/all", res: res})
				if err != nil {
					t.Fatal(err)
				}
				decoded, err := (&tfprotov6.DynamicValue{MsgPack: got}).Unmarshal(stateType)
				if err != nil {
					t.Fatalf("the encoding does not decode: %v", err)
				}
				want := libraryState(t, stateType, cfg, "ap-guangzhou", "ap-guangzhou/all", res)
				if !decoded.Equal(want) {
					diffs, _ := decoded.Diff(want)
					if len(diffs) > 3 {
						diffs = diffs[:3]
					}
					t.Errorf("decoded state differs from the library's: %v", diffs)
				}
			})
		}
	}
}

// libraryState builds the state as tftypes values, the library's way.
func libraryState(t *testing.T, objType tftypes.Object, config tftypes.Value, region, id string, res *cvm.Result) tftypes.Value {
	t.Helper()
	var attrs map[string]tftypes.Value
	if err := config.As(&attrs); err != nil {
		t.Fatal(err)
	}
	listType, _ := objType.AttributeTypes["instances"].(tftypes.List)
	instanceType, _ := listType.ElementType.(tftypes.Object)
	instances := make([]tftypes.Value, len(res.Instances))
	states := make(map[string]tftypes.Value, len(res.Instances))
	counts := map[string]int64{}
	for i, s := range res.Instances {
		instances[i] = tftypes.NewValue(instanceType, map[string]tftypes.Value{
			"instance_id": tftypes.NewValue(tftypes.String, s.InstanceID),
			"state":       tftypes.NewValue(tftypes.String, s.State),
		})
		states[s.InstanceID] = tftypes.NewValue(tftypes.String, s.State)
		counts[s.State]++
	}
	countValues := make(map[string]tftypes.Value, len(counts))
	for state, n := range counts {
		countValues[state] = tftypes.NewValue(tftypes.Number, new(big.Float).SetInt64(n))
	}
	missing := make([]tftypes.Value, len(res.Missing))
	for i, id := range res.Missing {
		missing[i] = tftypes.NewValue(tftypes.String, id)
	}
	attrs["id"] = tftypes.NewValue(tftypes.String, id)
	attrs["region"] = tftypes.NewValue(tftypes.String, region)
	attrs["instances"] = tftypes.NewValue(listType, instances)
	attrs["states"] = tftypes.NewValue(objType.AttributeTypes["states"], states)
	attrs["state_counts"] = tftypes.NewValue(objType.AttributeTypes["state_counts"], countValues)
	attrs["missing_instance_ids"] = tftypes.NewValue(objType.AttributeTypes["missing_instance_ids"], missing)
	return tftypes.NewValue(objType, attrs)
}

// FuzzEncodeState: whatever strings a result holds, and however many, the
// encoding decodes to the library's value.
func FuzzEncodeState(f *testing.F) {
	f.Add("ins-r8hr2upy", "RUNNING", "ap-guangzhou", uint16(1), uint8(0))
	f.Add("", "", "", uint16(0), uint8(3))
	f.Add(strings.Repeat("x", 300), "STOPPED\x00\xff", "ap-shanghai", uint16(70), uint8(17))
	var schemaResp datasource.SchemaResponse
	newInstancesStatusDataSource().Schema(context.Background(), datasource.SchemaRequest{}, &schemaResp)
	stateType, ok := schemaResp.Schema.Type().TerraformType(context.Background()).(tftypes.Object)
	if !ok {
		f.Fatal("the schema is not an object")
	}
	f.Fuzz(func(t *testing.T, id, state, region string, n uint16, missing uint8) {
		res := &cvm.Result{}
		for i := range int(n) % 2000 {
			// Unique IDs, as a result's are; states vary with i.
			res.Instances = append(res.Instances, cvm.InstanceStatus{InstanceID: fmt.Sprintf("%s%d", id, i), State: state[:i%(len(state)+1)]})
		}
		for i := range int(missing) {
			res.Missing = append(res.Missing, fmt.Sprintf("%s-missing-%d", id, i))
		}
		cfg := toValue(t, stateType, map[string]any{"region": region})
		got, err := encodeState(stateType, cfg, readResult{region: region, id: id, res: res})
		if err != nil {
			t.Fatal(err)
		}
		decoded, err := (&tfprotov6.DynamicValue{MsgPack: got}).Unmarshal(stateType)
		if err != nil {
			t.Fatalf("the encoding does not decode: %v", err)
		}
		if want := libraryState(t, stateType, cfg, region, id, res); !decoded.Equal(want) {
			t.Fatalf("decoded state differs from the library's")
		}
	})
}

// BenchmarkEncodeState encodes the state of a 100,000-instance listing.
func BenchmarkEncodeState(b *testing.B) {
	var schemaResp datasource.SchemaResponse
	newInstancesStatusDataSource().Schema(context.Background(), datasource.SchemaRequest{}, &schemaResp)
	stateType, _ := schemaResp.Schema.Type().TerraformType(context.Background()).(tftypes.Object)
	res := &cvm.Result{Instances: make([]cvm.InstanceStatus, 100_000)}
	for i := range res.Instances {
		res.Instances[i] = cvm.InstanceStatus{InstanceID: fmt.Sprintf("ins-%08x", i), State: cvm.States[i%len(cvm.States)]}
	}
	attrs := map[string]tftypes.Value{}
	for name, typ := range stateType.AttributeTypes {
		attrs[name] = tftypes.NewValue(typ, nil)
	}
	cfg := tftypes.NewValue(stateType, attrs)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeState(stateType, cfg, readResult{region: "ap-guangzhou", id: "ap-guangzhou/all", res: res}); err != nil {
			b.Fatal(err)
		}
	}
}
