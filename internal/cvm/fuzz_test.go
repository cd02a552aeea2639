package cvm

import (
	"encoding/json"
	"testing"
)

func FuzzValidInstanceID(f *testing.F) {
	for _, s := range []string{"ins-r8hr2upy", "ins-1122", "INS-R8HR2UPY", " ins-r8hr2upy", "", "ins-r8hr2upyy", "ins-\x00\x00\x00\x00\x00\x00\x00\x00", "ins-ŝŝŝŝ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if got, want := ValidInstanceID(id), instanceIDPattern.MatchString(id); got != want {
			t.Fatalf("ValidInstanceID(%q) = %v, but the documented pattern says %v", id, got, want)
		}
	})
}

// FuzzDecodePage feeds arbitrary answers to the decoder: it must never
// panic, and whatever it accepts must hold only well-formed statuses and a
// TotalCount.
func FuzzDecodePage(f *testing.F) {
	for _, s := range []string{
		`{"Response":{"TotalCount":2,"InstanceStatusSet":[{"InstanceId":"ins-r8hr2upy","InstanceState":"RUNNING"},{"InstanceId":"ins-5d8a23rs","InstanceState":"STOPPED"}],"RequestId":"6ef60bec-0242-43af-bb20-270359fb54a7"}}`,
		`{"Response":{"Error":{"Code":"InternalError","Message":"x"},"RequestId":"r"}}`,
		`{"Response":{"TotalCount":-1,"InstanceStatusSet":[]}}`,
		`{"Response":{"InstanceStatusSet":null}}`,
		`{"Response":{"TotalCount":1,"InstanceStatusSet":[{"InstanceId":"bad","InstanceState":""}]}}`,
		`{"Response":{"TotalCount":1e30}}`,
		`{"Response":{"TotalCount":3,"InstanceStatusSet":[{"Instance`,
		`<html>502 Bad Gateway</html>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var a describeAnswer
		if err := json.Unmarshal(body, &a); err != nil || a.Response.Error != nil {
			return
		}
		p, err := decodePage(&a)
		if err != nil {
			return
		}
		if p.total < 0 || p.total > maxTotalCount || len(p.instances) > PageSize {
			t.Fatalf("accepted TotalCount %d with %d statuses", p.total, len(p.instances))
		}
		for _, s := range p.instances {
			if !ValidInstanceID(s.InstanceID) || s.State == "" {
				t.Fatalf("accepted a malformed status %+v", s)
			}
		}
	})
}
