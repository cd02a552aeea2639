package emulator

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

type paramKind int

const (
	kindInteger paramKind = iota + 1
	kindString
	kindStringList
	kindIntegerList
	kindFilterList // Filters: [{"Name": …, "Values": […]}], flat Filters.N.Name, Filters.N.Values.M
)

// paramSpec lists an action's parameters and their types.
type paramSpec map[string]paramKind

// boundParams are an action's parameters, typed. Absent parameters are
// absent from the maps.
type boundParams struct {
	ints    map[string]int64
	strings map[string]string
	lists   map[string][]string
	filters map[string][]filter
	intList map[string][]int64
}

func (p *boundParams) integer(name string) (int64, bool) {
	v, ok := p.ints[name]
	return v, ok
}

// bindParams types the request's action parameters against spec, from a JSON
// body or from flattened name=value pairs alike.
func bindParams(req *apiRequest, spec paramSpec) (*boundParams, *apiError) {
	p := &boundParams{ints: map[string]int64{}, strings: map[string]string{}, lists: map[string][]string{}, filters: map[string][]filter{}, intList: map[string][]int64{}}
	if req.jsonParams != nil {
		return p, bindJSON(p, req.jsonParams, spec)
	}
	return p, bindFlat(p, req.flatParams, spec)
}

func unknownParameter(name string) *apiError {
	return newError("UnknownParameter", "The parameter `%s` is not recognized.", name)
}

func wrongType(name, want, got string) *apiError {
	return newError("InvalidParameter", "The value type of parameter `%s` is incorrect: expected %s, got %s.", name, want, got)
}

func bindJSON(p *boundParams, m map[string]any, spec paramSpec) *apiError {
	for _, name := range sortedKeys(m) {
		kind, ok := spec[name]
		if !ok {
			return unknownParameter(name)
		}
		v := m[name]
		if v == nil {
			continue // null is the same as leaving the parameter out
		}
		switch kind {
		case kindInteger:
			num, ok := v.(json.Number)
			if !ok {
				return wrongType(name, "an integer", jsonKind(v))
			}
			n, err := jsonInteger(num)
			if err != nil {
				return newError("InvalidParameterValue", "The value of parameter `%s` is invalid: %s is not a 64-bit integer.", name, num)
			}
			p.ints[name] = n
		case kindString:
			str, ok := v.(string)
			if !ok {
				return wrongType(name, "a string", jsonKind(v))
			}
			p.strings[name] = str
		case kindStringList:
			arr, ok := v.([]any)
			if !ok {
				return wrongType(name, "an array of strings", jsonKind(v))
			}
			list := make([]string, len(arr))
			for i, e := range arr {
				str, ok := e.(string)
				if !ok {
					return wrongType(fmt.Sprintf("%s[%d]", name, i), "a string", jsonKind(e))
				}
				list[i] = str
			}
			p.lists[name] = list
		case kindIntegerList:
			arr, ok := v.([]any)
			if !ok {
				return wrongType(name, "an array of integers", jsonKind(v))
			}
			list := make([]int64, len(arr))
			for i, e := range arr {
				num, ok := e.(json.Number)
				n, err := jsonInteger(num)
				if !ok || err != nil {
					return wrongType(fmt.Sprintf("%s[%d]", name, i), "an integer", jsonKind(e))
				}
				list[i] = n
			}
			p.intList[name] = list
		case kindFilterList:
			fs, err := jsonFilters(name, v)
			if err != nil {
				return err
			}
			p.filters[name] = fs
		}
	}
	return nil
}

// jsonInteger accepts integers, including ones written with a fraction or
// exponent that is still integral (1e2, 10.0).
func jsonInteger(num json.Number) (int64, error) {
	if n, err := num.Int64(); err == nil {
		return n, nil
	}
	f, err := num.Float64()
	if err != nil || f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, fmt.Errorf("not an integer")
	}
	return int64(f), nil
}

func bindFlat(p *boundParams, m map[string]string, spec paramSpec) *apiError {
	elements := map[string]map[int]string{}
	flatFilters := map[string]map[string]string{}
	for _, key := range sortedKeys(m) {
		base, suffix, dotted := strings.Cut(key, ".")
		kind, ok := spec[base]
		isList := kind == kindStringList || kind == kindIntegerList
		if !ok || (dotted && !isList && kind != kindFilterList) {
			return unknownParameter(key)
		}
		v := m[key]
		switch kind {
		case kindFilterList:
			if !dotted {
				return newError("InvalidParameter", "The parameter `%s` is a list: send it as %s.0.Name, %s.0.Values.0, ….", key, key, key)
			}
			if flatFilters[base] == nil {
				flatFilters[base] = map[string]string{}
			}
			flatFilters[base][suffix] = v
		case kindInteger:
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
					return newError("InvalidParameterValue", "The value of parameter `%s` is invalid: %s is not a 64-bit integer.", key, v)
				}
				return wrongType(key, "an integer", strconv.Quote(v))
			}
			p.ints[key] = n
		case kindString:
			p.strings[key] = v
		case kindStringList, kindIntegerList:
			if !dotted {
				return newError("InvalidParameter", "The parameter `%s` is a list: send it as %s.0, %s.1, … (or %s.1, %s.2, …).", key, key, key, key, key)
			}
			i, err := strconv.Atoi(suffix)
			if err != nil || i < 0 || strconv.Itoa(i) != suffix {
				return newError("InvalidParameter", "The parameter `%s` is malformed: a list element is written %s.N with N a number.", key, base)
			}
			if elements[base] == nil {
				elements[base] = map[int]string{}
			}
			elements[base][i] = v
		}
	}
	for base, byIndex := range elements {
		idx := make([]int, 0, len(byIndex))
		for i := range byIndex {
			idx = append(idx, i)
		}
		slices.Sort(idx)
		first := idx[0]
		if first > 1 || idx[len(idx)-1] != first+len(idx)-1 {
			return newError("InvalidParameter", "The elements of `%s` must be numbered contiguously from 0 or from 1; got %s.", base, formatIndexes(base, idx))
		}
		list := make([]string, len(idx))
		for j, i := range idx {
			list[j] = byIndex[i]
		}
		if spec[base] == kindIntegerList {
			ints := make([]int64, len(list))
			for j, v := range list {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return wrongType(base+"."+strconv.Itoa(idx[j]), "an integer", strconv.Quote(v))
				}
				ints[j] = n
			}
			p.intList[base] = ints
			continue
		}
		p.lists[base] = list
	}
	for base, fm := range flatFilters {
		fs, err := flatFilterList(base, fm)
		if err != nil {
			return err
		}
		p.filters[base] = fs
	}
	return nil
}

func formatIndexes(base string, idx []int) string {
	parts := make([]string, 0, min(len(idx), 5))
	for j, i := range idx {
		if j == 5 {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, base+"."+strconv.Itoa(i))
	}
	return strings.Join(parts, ", ")
}
