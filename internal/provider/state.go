package provider

import (
	"fmt"
	"math"
	"slices"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
)

// encodeState returns the data source's state in the msgpack form Terraform
// exchanges: the configuration as given, the region actually read, and the
// computed attributes from res.
//
// It writes the computed attributes straight from res. Building them as
// tftypes values first and encoding those costs, for a region of 100,000
// instances, a tree of 300,000 values and an attribute path per element,
// most of the provider's memory (BENCHMARKS.md). The configured attributes
// are small and go through the library's encoder. Attribute names come from
// stateType, so the encoding cannot drift from the schema; state_test.go
// checks it against the library's encoding of the same values.
func encodeState(stateType tftypes.Object, config tftypes.Value, region, id string, res *cvm.Result) ([]byte, error) {
	var configured map[string]tftypes.Value
	if err := config.As(&configured); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(stateType.AttributeTypes))
	for name := range stateType.AttributeTypes {
		names = append(names, name)
	}
	slices.Sort(names) // as Terraform's own encoder orders attributes

	// About 60 bytes an instance: its ID and state in the list (with the
	// attribute names) and in the map.
	w := msgpackWriter{buf: make([]byte, 0, 512+64*len(res.Instances))}
	w.mapLen(len(names))
	for _, name := range names {
		w.str(name)
		switch name {
		case "id":
			w.str(id)
		case "region":
			w.str(region)
		case "instances":
			w.arrayLen(len(res.Instances))
			for _, s := range res.Instances {
				w.mapLen(2)
				w.str("instance_id")
				w.str(s.InstanceID)
				w.str("state")
				w.str(s.State)
			}
		case "states":
			w.mapLen(len(res.Instances))
			for _, s := range res.Instances {
				w.str(s.InstanceID)
				w.str(s.State)
			}
		case "state_counts":
			counts := map[string]int{}
			for _, s := range res.Instances {
				counts[s.State]++
			}
			states := make([]string, 0, len(counts))
			for state := range counts {
				states = append(states, state)
			}
			slices.Sort(states)
			w.mapLen(len(states))
			for _, state := range states {
				w.str(state)
				w.uint(uint64(counts[state]))
			}
		case "missing_instance_ids":
			w.arrayLen(len(res.Missing))
			for _, id := range res.Missing {
				w.str(id)
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
			w.buf = append(w.buf, dv.MsgPack...)
		}
	}
	return w.buf, nil
}

// msgpackWriter writes the msgpack forms the state needs, each in its
// shortest encoding (https://github.com/msgpack/msgpack/blob/master/spec.md).
type msgpackWriter struct{ buf []byte }

func (w *msgpackWriter) str(s string) {
	n := len(s)
	switch {
	case n < 32:
		w.buf = append(w.buf, 0xa0|byte(n))
	case n <= math.MaxUint8:
		w.buf = append(w.buf, 0xd9, byte(n))
	case n <= math.MaxUint16:
		w.buf = append(w.buf, 0xda, byte(n>>8), byte(n))
	default:
		w.buf = append(w.buf, 0xdb, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	w.buf = append(w.buf, s...)
}

func (w *msgpackWriter) arrayLen(n int) { w.header(n, 0x90, 0xdc, 0xdd) }

func (w *msgpackWriter) mapLen(n int) { w.header(n, 0x80, 0xde, 0xdf) }

// header writes an array or map length: fix (under 16), 16-bit or 32-bit.
func (w *msgpackWriter) header(n int, fix, b16, b32 byte) {
	switch {
	case n < 16:
		w.buf = append(w.buf, fix|byte(n))
	case n <= math.MaxUint16:
		w.buf = append(w.buf, b16, byte(n>>8), byte(n))
	default:
		w.buf = append(w.buf, b32, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

func (w *msgpackWriter) uint(n uint64) {
	switch {
	case n < 128:
		w.buf = append(w.buf, byte(n))
	case n <= math.MaxUint8:
		w.buf = append(w.buf, 0xcc, byte(n))
	case n <= math.MaxUint16:
		w.buf = append(w.buf, 0xcd, byte(n>>8), byte(n))
	case n <= math.MaxUint32:
		w.buf = append(w.buf, 0xce, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	default:
		w.buf = append(w.buf, 0xcf, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32), byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}
