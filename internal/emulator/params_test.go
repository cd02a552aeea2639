package emulator_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

func TestFlatParameters(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances()})
	v1 := func(extra map[string]string) apiAnswer {
		p := map[string]string{"Action": cvmAction, "Version": cvmVersion, "Region": testRegion}
		for k, v := range extra {
			p[k] = v
		}
		return do(t, v1Call{params: p}.request(t, s))
	}
	for name, tc := range map[string]struct {
		params map[string]string
		code   string
	}{
		"0-based":         {map[string]string{"InstanceIds.0": "ins-r8hr2upy", "InstanceIds.1": "ins-5d8a23rs"}, "Success"},
		"1-based":         {map[string]string{"InstanceIds.1": "ins-r8hr2upy", "InstanceIds.2": "ins-5d8a23rs"}, "Success"},
		"gap":             {map[string]string{"InstanceIds.0": "ins-r8hr2upy", "InstanceIds.2": "ins-5d8a23rs"}, "InvalidParameter"},
		"starts at 2":     {map[string]string{"InstanceIds.2": "ins-r8hr2upy"}, "InvalidParameter"},
		"no index":        {map[string]string{"InstanceIds": "ins-r8hr2upy"}, "InvalidParameter"},
		"bad index":       {map[string]string{"InstanceIds.x": "ins-r8hr2upy"}, "InvalidParameter"},
		"Offset not int":  {map[string]string{"Offset": "zero"}, "InvalidParameter"},
		"Limit too big":   {map[string]string{"Limit": "1000"}, "InvalidParameterValue.LimitExceeded"},
		"Limit negative":  {map[string]string{"Limit": "-1"}, "InvalidParameterValue"},
		"unknown":         {map[string]string{"Zone": "x"}, "UnknownParameter"},
		"scalar with dot": {map[string]string{"Offset.0": "1"}, "UnknownParameter"},
		"malformed ID":    {map[string]string{"InstanceIds.0": "i-123"}, "InvalidInstanceId.Malformed"},
		"Language":        {map[string]string{"Language": "en-US", "RequestClient": "SDK_X"}, "Success"},
	} {
		wantCodeNamed(t, name, v1(tc.params), tc.code)
	}
	a := v1(map[string]string{"InstanceIds.1": "ins-5d8a23rs", "InstanceIds.2": "ins-r8hr2upy"})
	if !slices.Equal(a.ids(), []string{"ins-5d8a23rs", "ins-r8hr2upy"}) {
		t.Errorf("order %v", a.ids())
	}
}

// FuzzFlatParameters feeds arbitrary query strings to the flattened
// parameter parser: it never panics, and the lists it accepts are exactly
// the contiguous elements it was given.
func FuzzFlatParameters(f *testing.F) {
	for _, q := range []string{
		"InstanceIds.0=ins-r8hr2upy&InstanceIds.1=ins-5d8a23rs&Limit=10",
		"InstanceIds.1=a&InstanceIds.2=b&Offset=0",
		"InstanceIds.0=a&InstanceIds.2=b",
		"InstanceIds=a", "InstanceIds.-1=a", "InstanceIds.01=a", "InstanceIds.99999999999999999999=a",
		"Limit=9223372036854775808", "Limit=-9223372036854775808", "Offset=%zz", "a=1&a=2", "=&&=",
	} {
		f.Add(q)
	}
	spec := emulator.ParamSpecOf(cvmAction)
	f.Fuzz(func(t *testing.T, query string) {
		values, aerr := emulator.ParseFlat(query, "query string")
		if aerr != nil {
			if aerr.Code == "" || aerr.Message == "" {
				t.Fatalf("error without code or message: %+v", aerr)
			}
			return
		}
		p := emulator.NewBoundParams()
		if aerr := emulator.BindFlat(p, values, spec); aerr != nil {
			if aerr.Code == "" || aerr.Message == "" {
				t.Fatalf("error without code or message: %+v", aerr)
			}
			return
		}
		for name, list := range p.Lists() {
			n := 0
			for k := range values {
				if strings.HasPrefix(k, name+".") {
					n++
				}
			}
			if len(list) != n {
				t.Fatalf("%s: bound %d elements of %d given", name, len(list), n)
			}
		}
	})
}
