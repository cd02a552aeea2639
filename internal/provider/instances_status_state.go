package provider

import (
	"bytes"
	"fmt"
	"maps"
	"slices"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
)

// The state of cvm_instances_status, written as msgpack straight from the
// result by encodeState, for both ways of reading (ReadEncoded, and Read,
// which decodes it). TestEncodeStateMatchesTheLibrary holds it equal to the
// value the library builds from the same result.

// encodeState returns the state in the msgpack form Terraform exchanges: the
// configuration as given, and the computed attributes written straight from
// out. Building them as tftypes values first costs, for a region of 100,000
// instances, a tree of 300,000 values and an attribute path per element,
// most of the provider's memory (BENCHMARKS.md). Attribute names come from
// stateType, so the encoding cannot drift from the schema.
func encodeState(stateType tftypes.Object, config tftypes.Value, out readResult) ([]byte, error) {
	var configured map[string]tftypes.Value
	if err := config.As(&configured); err != nil {
		return nil, err
	}
	names := slices.Sorted(maps.Keys(stateType.AttributeTypes)) // as Terraform's own encoder orders them
	instances := out.res.Instances

	// Each instance's ID and state are written twice, in the list (with the
	// attribute names, 18 bytes) and in the map, each string with a header
	// of at most 5 bytes: allocate that once rather than grow by doubling.
	size := 1024
	for _, s := range instances {
		size += 2*(len(s.InstanceID)+len(s.State)) + 1 + instanceNamesSize + 4*5 + len(instanceNullNames)
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	enc := stickyEncoder{enc: msgpack.NewEncoder(buf)}
	enc.keep(enc.enc.EncodeMapLen(len(names)))
	for _, name := range names {
		enc.str(name)
		switch name {
		case "id":
			enc.str(out.id)
		case "region":
			enc.str(out.region)
		case "instances":
			enc.keep(enc.enc.EncodeArrayLen(len(instances)))
			for _, s := range instances {
				enc.instance(s, out.res.Checks)
			}
		case "states":
			enc.keep(enc.enc.EncodeMapLen(len(instances)))
			for _, s := range instances {
				enc.str(s.InstanceID)
				enc.str(s.State)
			}
		case "state_counts":
			counts := stateCounts(instances)
			enc.keep(enc.enc.EncodeMapLen(len(counts)))
			for _, state := range slices.Sorted(maps.Keys(counts)) {
				enc.str(state)
				enc.keep(enc.enc.EncodeInt(counts[state]))
			}
		case "not_ready":
			notReady := out.res.NotReady(out.region)
			enc.keep(enc.enc.EncodeMapLen(len(notReady)))
			for _, id := range slices.Sorted(maps.Keys(notReady)) {
				enc.str(id)
				enc.strs(notReady[id])
			}
		case "missing_instance_ids":
			enc.keep(enc.enc.EncodeArrayLen(len(out.res.Missing)))
			for _, id := range out.res.Missing {
				enc.str(id)
			}
		default:
			v, ok := configured[name]
			if !ok {
				return nil, fmt.Errorf("the configuration has no attribute %q", name)
			}
			dv, err := tfprotov6.NewDynamicValue(stateType.AttributeTypes[name], v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			_, err = buf.Write(dv.MsgPack)
			enc.keep(err)
		}
	}
	return buf.Bytes(), enc.err
}

// stickyEncoder keeps the first error of a run of writes, which into a
// bytes.Buffer never fail: every write's error goes to keep, and encodeState
// returns the first at the end instead of checking each.
type stickyEncoder struct {
	enc *msgpack.Encoder
	err error
}

func (e *stickyEncoder) keep(err error) {
	if e.err == nil {
		e.err = err
	}
}

func (e *stickyEncoder) str(s string) { e.keep(e.enc.EncodeString(s)) }

// optStr writes s, or null when the check that reads it was not included
// or the service gave no value.
func (e *stickyEncoder) optStr(included bool, s string) {
	if !included || s == "" {
		e.keep(e.enc.EncodeNil())
		return
	}
	e.str(s)
}

func (e *stickyEncoder) strs(list []string) {
	e.keep(e.enc.EncodeArrayLen(len(list)))
	for _, s := range list {
		e.str(s)
	}
}

// instanceNullNames are the readiness attributes of an element of
// instances, null unless their check is included; instanceNamesSize is
// roughly what all the element's names take.
var instanceNullNames = []string{
	"agent_last_heartbeat", "agent_status", "agent_version", "expired_time", "isolated_source",
	"latest_operation", "latest_operation_error", "latest_operation_request_id", "latest_operation_state",
	"maintenance_tasks", "restrict_state",
}

const instanceNamesSize = 280

// instance writes one element of instances, its attributes in the order
// Terraform's encoder writes them (sorted by name).
func (e *stickyEncoder) instance(s cvm.InstanceStatus, checks cvm.Checks) {
	d := s.Details
	if d == nil {
		d = &cvm.Details{}
	}
	described := (checks.Operation || checks.Restriction) && d.Described
	var agent cvm.Agent
	if d.Agent != nil {
		agent = *d.Agent
	}
	e.keep(e.enc.EncodeMapLen(len(instanceNullNames) + 4))
	e.str("agent_last_heartbeat")
	e.optStr(checks.Agent, agent.LastHeartbeat)
	e.str("agent_status")
	e.optStr(checks.Agent, agent.Status)
	e.str("agent_version")
	e.optStr(checks.Agent, agent.Version)
	e.str("expired_time")
	e.optStr(checks.Restriction && described, d.ExpiredTime)
	e.str("instance_id")
	e.str(s.InstanceID)
	e.str("isolated_source")
	e.optStr(checks.Restriction && described, d.IsolatedSource)
	e.str("latest_operation")
	e.optStr(checks.Operation && described, d.LatestOperation)
	e.str("latest_operation_error")
	e.optStr(checks.Operation && described, d.LatestOperationError)
	e.str("latest_operation_request_id")
	e.optStr(checks.Operation && described, d.LatestOperationRequestID)
	e.str("latest_operation_state")
	e.optStr(checks.Operation && described, d.LatestOperationState)
	e.str("maintenance_tasks")
	if !checks.Maintenance {
		e.keep(e.enc.EncodeNil())
	} else {
		e.keep(e.enc.EncodeArrayLen(len(d.MaintenanceTasks)))
		for _, t := range d.MaintenanceTasks {
			e.keep(e.enc.EncodeMapLen(6))
			e.str("auth_time")
			e.optStr(true, t.AuthTime)
			e.str("created_time")
			e.str(t.CreatedTime)
			e.str("status")
			e.str(t.Status)
			e.str("task_id")
			e.str(t.TaskID)
			e.str("type_id")
			e.keep(e.enc.EncodeInt(t.TypeID))
			e.str("type_name")
			e.str(t.TypeName)
		}
	}
	e.str("ready")
	e.keep(e.enc.EncodeBool(s.Ready()))
	e.str("reasons")
	e.strs(s.Reasons)
	e.str("restrict_state")
	e.optStr(checks.Restriction && described, d.RestrictState)
	e.str("state")
	e.str(s.State)
}

func stateCounts(instances []cvm.InstanceStatus) map[string]int64 {
	counts := map[string]int64{}
	for _, s := range instances {
		counts[s.State]++
	}
	return counts
}
