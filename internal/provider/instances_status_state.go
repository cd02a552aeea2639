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
		size += 2*(len(s.InstanceID)+len(s.State)) + 1 + 18 + 4*5
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
				enc.keep(enc.enc.EncodeMapLen(2))
				enc.str("instance_id")
				enc.str(s.InstanceID)
				enc.str("state")
				enc.str(s.State)
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

func stateCounts(instances []cvm.InstanceStatus) map[string]int64 {
	counts := map[string]int64{}
	for _, s := range instances {
		counts[s.State]++
	}
	return counts
}
