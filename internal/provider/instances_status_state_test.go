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
		"every check":        withReadiness(instances(40, "RUNNING", "STOPPED"), cvm.Checks{Operation: true, Restriction: true, Maintenance: true, Agent: true}),
		"some checks":        withReadiness(instances(20, "RUNNING"), cvm.Checks{Maintenance: true, Agent: true}),
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

// withReadiness gives instances every kind of detail, present or null, and
// reasons, as a read with checks would.
func withReadiness(instances []cvm.InstanceStatus, checks cvm.Checks) *cvm.Result {
	for i := range instances {
		d := &cvm.Details{Described: i%7 != 0, RestrictState: "NORMAL", IsolatedSource: "NOTISOLATED"}
		if i%3 == 0 {
			d.LatestOperation, d.LatestOperationState, d.LatestOperationError, d.LatestOperationRequestID = "ResetInstance", "FAILED", "image not found", "req-1"
			d.RestrictState, d.IsolatedSource, d.ExpiredTime = "EXPIRED", "EXPIRE", "2026-11-30T16:00:00Z"
		}
		for j := range i % 4 {
			d.MaintenanceTasks = append(d.MaintenanceTasks, cvm.MaintenanceTask{TaskID: fmt.Sprintf("rep-%08d", j), TypeID: int64(101 + j), TypeName: "维修", Status: "SCHEDULED",
				CreatedTime: "2025-03-01 10:00:00", AuthTime: strings.Repeat("2025-03-02 10:00:00", j%2)})
		}
		if i%5 != 0 {
			d.Agent = &cvm.Agent{Status: []string{"Online", "Offline"}[i%2], Version: strings.Repeat("1.1.0", i%3), LastHeartbeat: "2026-12-04T09:00:00Z"}
		}
		instances[i].Details = d
		if i%2 == 1 {
			instances[i].Reasons = []string{"state " + instances[i].State, "no TAT agent reported"}
		}
	}
	return &cvm.Result{Instances: instances, Checks: checks, Missing: []string{"ins-gone0001"}}
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
		instances[i] = libraryInstance(instanceType, s, res.Checks)
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
	notReadyType, _ := objType.AttributeTypes["not_ready"].(tftypes.Map)
	notReady := map[string]tftypes.Value{}
	for id, reasons := range res.NotReady(region) {
		notReady[id] = stringList(reasons)
	}
	attrs["not_ready"] = tftypes.NewValue(notReadyType, notReady)
	return tftypes.NewValue(objType, attrs)
}

// libraryInstance is an element of instances built as tftypes values: every
// readiness attribute null unless its check is included and the service
// gave a value.
func libraryInstance(typ tftypes.Object, s cvm.InstanceStatus, checks cvm.Checks) tftypes.Value {
	str := func(included bool, v string) tftypes.Value {
		if !included || v == "" {
			return tftypes.NewValue(tftypes.String, nil)
		}
		return tftypes.NewValue(tftypes.String, v)
	}
	d := cvm.Details{}
	if s.Details != nil {
		d = *s.Details
	}
	agent := cvm.Agent{}
	if d.Agent != nil {
		agent = *d.Agent
	}
	op, restr := checks.Operation && d.Described, checks.Restriction && d.Described
	tasksType, _ := typ.AttributeTypes["maintenance_tasks"].(tftypes.List)
	tasks := tftypes.NewValue(tasksType, nil)
	if checks.Maintenance {
		taskType, _ := tasksType.ElementType.(tftypes.Object)
		list := []tftypes.Value{}
		for _, t := range d.MaintenanceTasks {
			list = append(list, tftypes.NewValue(taskType, map[string]tftypes.Value{
				"task_id": str(true, t.TaskID), "type_id": tftypes.NewValue(tftypes.Number, new(big.Float).SetInt64(t.TypeID)),
				"type_name": str(true, t.TypeName), "status": str(true, t.Status), "created_time": str(true, t.CreatedTime), "auth_time": str(true, t.AuthTime),
			}))
		}
		tasks = tftypes.NewValue(tasksType, list)
	}
	return tftypes.NewValue(typ, map[string]tftypes.Value{
		"instance_id":                 tftypes.NewValue(tftypes.String, s.InstanceID),
		"state":                       tftypes.NewValue(tftypes.String, s.State),
		"ready":                       tftypes.NewValue(tftypes.Bool, s.Ready()),
		"reasons":                     stringList(s.Reasons),
		"latest_operation":            str(op, d.LatestOperation),
		"latest_operation_state":      str(op, d.LatestOperationState),
		"latest_operation_error":      str(op, d.LatestOperationError),
		"latest_operation_request_id": str(op, d.LatestOperationRequestID),
		"restrict_state":              str(restr, d.RestrictState),
		"isolated_source":             str(restr, d.IsolatedSource),
		"expired_time":                str(restr, d.ExpiredTime),
		"maintenance_tasks":           tasks,
		"agent_status":                str(checks.Agent, agent.Status),
		"agent_version":               str(checks.Agent, agent.Version),
		"agent_last_heartbeat":        str(checks.Agent, agent.LastHeartbeat),
	})
}

func stringList(list []string) tftypes.Value {
	values := make([]tftypes.Value, len(list))
	for i, s := range list {
		values[i] = tftypes.NewValue(tftypes.String, s)
	}
	return tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, values)
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
