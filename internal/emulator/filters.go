package emulator

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// filter is one element of an action's Filters: its Name, and the Values
// any one of which matches (filters themselves must all match).
type filter struct {
	Name   string
	Values []string
}

// jsonFilters binds a JSON Filters value: an array of {"Name", "Values"}.
func jsonFilters(name string, v any) ([]filter, *apiError) {
	arr, ok := v.([]any)
	if !ok {
		return nil, wrongType(name, "an array of filters", jsonKind(v))
	}
	out := make([]filter, len(arr))
	for i, e := range arr {
		at := name + "[" + strconv.Itoa(i) + "]"
		obj, ok := e.(map[string]any)
		if !ok {
			return nil, wrongType(at, `an object {"Name": …, "Values": […]}`, jsonKind(e))
		}
		for _, k := range sortedKeys(obj) {
			switch k {
			case "Name":
				s, ok := obj[k].(string)
				if !ok {
					return nil, wrongType(at+".Name", "a string", jsonKind(obj[k]))
				}
				out[i].Name = s
			case "Values":
				vals, ok := obj[k].([]any)
				if !ok {
					return nil, wrongType(at+".Values", "an array of strings", jsonKind(obj[k]))
				}
				for j, x := range vals {
					s, ok := x.(string)
					if !ok {
						return nil, wrongType(at+".Values["+strconv.Itoa(j)+"]", "a string", jsonKind(x))
					}
					out[i].Values = append(out[i].Values, s)
				}
			default:
				return nil, unknownParameter(at + "." + k)
			}
		}
	}
	return out, nil
}

// flatFilterList binds Filters.N.Name and Filters.N.Values.M, given as the
// map from "N.Name" and "N.Values.M" to their values; N and M are numbered
// contiguously from 0 or from 1, like any list.
func flatFilterList(base string, m map[string]string) ([]filter, *apiError) {
	names := map[int]string{}
	values := map[int]map[int]string{}
	for suffix, v := range m {
		parts := strings.Split(suffix, ".")
		n, ok := listIndex(parts[0])
		switch {
		case ok && len(parts) == 2 && parts[1] == "Name":
			names[n] = v
		case ok && len(parts) == 3 && parts[1] == "Values":
			j, ok := listIndex(parts[2])
			if !ok {
				return nil, unknownParameter(base + "." + suffix)
			}
			if values[n] == nil {
				values[n] = map[int]string{}
			}
			values[n][j] = v
		default:
			return nil, unknownParameter(base + "." + suffix)
		}
	}
	idx := contiguous(names, values)
	if idx == nil {
		return nil, newError("InvalidParameter", "The elements of `%s` must be numbered contiguously from 0 or from 1, each with a Name.", base)
	}
	out := make([]filter, 0, len(idx))
	for _, n := range idx {
		f := filter{Name: names[n]}
		vi := slices.Sorted(maps.Keys(values[n]))
		if len(vi) > 0 && (vi[0] > 1 || vi[len(vi)-1] != vi[0]+len(vi)-1) {
			return nil, newError("InvalidParameter", "The elements of `%s.%d.Values` must be numbered contiguously from 0 or from 1.", base, n)
		}
		for _, j := range vi {
			f.Values = append(f.Values, values[n][j])
		}
		out = append(out, f)
	}
	return out, nil
}

func listIndex(s string) (int, bool) {
	i, err := strconv.Atoi(s)
	return i, err == nil && i >= 0 && strconv.Itoa(i) == s
}

// contiguous is the sorted filter numbers when every filter has a Name and
// they run contiguously from 0 or 1; otherwise nil.
func contiguous(names map[int]string, values map[int]map[int]string) []int {
	for n := range values {
		if _, ok := names[n]; !ok {
			return nil
		}
	}
	idx := slices.Sorted(maps.Keys(names))
	if len(idx) == 0 || idx[0] > 1 || idx[len(idx)-1] != idx[0]+len(idx)-1 {
		return nil
	}
	return idx
}
