package emulator_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

func readinessRegion() map[string][]emulator.Instance {
	return map[string][]emulator.Instance{testRegion: {
		{InstanceId: "ins-r8hr2upy", InstanceState: "RUNNING"},
		{InstanceId: "ins-5d8a23rs", InstanceState: "RUNNING", Readiness: emulator.Readiness{
			LatestOperation: strp("ResetInstance"), LatestOperationState: strp("FAILED"), LatestOperationErrorMsg: strp("disk busy"),
			RestrictState: strp("EXPIRED"), IsolatedSource: strp("EXPIRE"), ExpiredTime: strp("2026-12-31T16:00:00Z"),
		}},
		{InstanceId: "ins-7ab2c4de", InstanceState: "STOPPED"},
	}}
}

func describeInstances(t *testing.T, s *emulator.Server, body string) apiAnswer {
	t.Helper()
	return do(t, tc3Call{action: "DescribeInstances", version: cvmVersion, region: testRegion, body: body}.request(t, s))
}

func instanceIDs(a apiAnswer) []string {
	var out []string
	for _, in := range a.Response.InstanceSet {
		id, _ := in["InstanceId"].(string)
		out = append(out, id)
	}
	return out
}

func TestDescribeInstancesFields(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: readinessRegion()})
	a := describeInstances(t, s, `{"InstanceIds": ["ins-5d8a23rs", "ins-r8hr2upy", "ins-5d8a23rs", "ins-zzzzzzzz"]}`)
	wantCode(t, a, "Success")
	if *a.Response.TotalCount != 2 || !slices.Equal(instanceIDs(a), []string{"ins-5d8a23rs", "ins-r8hr2upy"}) {
		t.Fatalf("by ID: %d %v", *a.Response.TotalCount, instanceIDs(a))
	}
	failed, plain := a.Response.InstanceSet[0], a.Response.InstanceSet[1]
	for k, want := range map[string]any{
		"InstanceState": "RUNNING", "LatestOperation": "ResetInstance", "LatestOperationState": "FAILED",
		"LatestOperationErrorMsg": "disk busy", "LatestOperationRequestId": nil, "RestrictState": "EXPIRED",
		"IsolatedSource": "EXPIRE", "ExpiredTime": "2026-12-31T16:00:00Z", "InstanceChargeType": "PREPAID",
	} {
		if got, ok := failed[k]; !ok || got != want {
			t.Errorf("failed instance %s = %v (present %v), want %v", k, got, ok, want)
		}
	}
	for k, want := range map[string]any{
		"LatestOperation": nil, "LatestOperationState": nil, "LatestOperationErrorMsg": nil, "LatestOperationRequestId": nil,
		"RestrictState": "NORMAL", "IsolatedSource": "NOTISOLATED", "ExpiredTime": nil, "InstanceName": "ins-r8hr2upy",
	} {
		if got, ok := plain[k]; !ok || got != want {
			t.Errorf("plain instance %s = %v (present %v), want %v", k, got, ok, want)
		}
	}
	if z, _ := plain["Placement"].(map[string]any); z["Zone"] != testRegion+"-1" {
		t.Errorf("Placement %v", plain["Placement"])
	}
	if ct, _ := plain["CreatedTime"].(string); !strings.HasSuffix(ct, "Z") || len(ct) != 20 {
		t.Errorf("CreatedTime %q", ct)
	}
}

func TestDescribeInstancesFiltersAndPaging(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: readinessRegion()})
	for name, tc := range map[string]struct {
		body  string
		total int
		ids   []string
	}{
		"all":             {`{}`, 3, []string{"ins-5d8a23rs", "ins-7ab2c4de", "ins-r8hr2upy"}},
		"page":            {`{"Offset": 1, "Limit": 1}`, 3, []string{"ins-7ab2c4de"}},
		"past the end":    {`{"Offset": 5}`, 3, nil},
		"state":           {`{"Filters": [{"Name": "instance-state", "Values": ["STOPPED"]}]}`, 1, []string{"ins-7ab2c4de"}},
		"id":              {`{"Filters": [{"Name": "instance-id", "Values": ["ins-r8hr2upy", "ins-7ab2c4de"]}]}`, 2, []string{"ins-7ab2c4de", "ins-r8hr2upy"}},
		"filters are and": {`{"Filters": [{"Name": "instance-id", "Values": ["ins-r8hr2upy", "ins-7ab2c4de"]}, {"Name": "instance-state", "Values": ["RUNNING"]}]}`, 1, []string{"ins-r8hr2upy"}},
	} {
		a := describeInstances(t, s, tc.body)
		wantCodeNamed(t, name, a, "Success")
		if a.Response.TotalCount == nil || *a.Response.TotalCount != tc.total || !slices.Equal(instanceIDs(a), tc.ids) {
			t.Errorf("%s: %v %v, want %d %v", name, a.Response.TotalCount, instanceIDs(a), tc.total, tc.ids)
		}
	}

	// The same filters flattened in a query string.
	q := url.Values{"Filters.0.Name": {"instance-state"}, "Filters.0.Values.0": {"STOPPED"}, "Filters.0.Values.1": {"RUNNING"}, "Limit": {"2"}}
	a := do(t, tc3Call{method: "GET", action: "DescribeInstances", version: cvmVersion, region: testRegion, query: q.Encode()}.request(t, s))
	wantCode(t, a, "Success")
	if *a.Response.TotalCount != 3 || len(a.Response.InstanceSet) != 2 {
		t.Errorf("flat filters: %d %v", *a.Response.TotalCount, instanceIDs(a))
	}
}

func TestDescribeInstancesErrors(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: readinessRegion()})
	many := `"ins-r8hr2upy"` + strings.Repeat(`, "ins-r8hr2upy"`, 100)
	for name, tc := range map[string]struct{ body, code string }{
		"ids and filters":   {`{"InstanceIds": ["ins-r8hr2upy"], "Filters": [{"Name": "instance-state", "Values": ["RUNNING"]}]}`, "InvalidParameter"},
		"unknown filter":    {`{"Filters": [{"Name": "zone", "Values": ["ap-guangzhou-3"]}]}`, "InvalidFilter"},
		"filter no values":  {`{"Filters": [{"Name": "instance-state", "Values": []}]}`, "InvalidFilter"},
		"six values":        {`{"Filters": [{"Name": "instance-state", "Values": ["A", "B", "C", "D", "E", "F"]}]}`, "InvalidFilterValue.LimitExceeded"},
		"bad filter id":     {`{"Filters": [{"Name": "instance-id", "Values": ["ins-1"]}]}`, "InvalidParameterValue.InstanceIdMalformed"},
		"filter field":      {`{"Filters": [{"Name": "instance-id", "Value": ["ins-r8hr2upy"]}]}`, "UnknownParameter"},
		"filter not object": {`{"Filters": ["instance-id"]}`, "InvalidParameter"},
		"malformed id":      {`{"InstanceIds": ["ins-1"]}`, "InvalidInstanceId.Malformed"},
		"101 ids":           {`{"InstanceIds": [` + many + `]}`, "InvalidParameterValue.LimitExceeded"},
		"limit 101":         {`{"Limit": 101}`, "InvalidParameterValue.LimitExceeded"},
		"limit 0":           {`{"Limit": 0}`, "InvalidParameterValue"},
		"negative offset":   {`{"Offset": -1}`, "InvalidParameterValue"},
	} {
		wantCodeNamed(t, name, describeInstances(t, s, tc.body), tc.code)
	}
	q := url.Values{"Filters.0.Name": {"instance-state"}, "Filters.2.Values.0": {"STOPPED"}}
	a := do(t, tc3Call{method: "GET", action: "DescribeInstances", version: cvmVersion, region: testRegion, query: q.Encode()}.request(t, s))
	wantCode(t, a, "InvalidParameter")
}

// TestDescribeInstancesOwnRateLimit: DescribeInstances keeps its documented
// 40 requests/s whatever --rate-limit says, in its own bucket per account.
func TestDescribeInstancesOwnRateLimit(t *testing.T) {
	clk := emutest.NewClock()
	s := emutest.Listen(t, emulator.Config{Regions: readinessRegion(), RateLimit: 1, Now: clk.Now})
	for i := range 40 {
		if a := describeInstances(t, s, `{"Limit": 1}`); a.code() != "Success" {
			t.Fatalf("request %d: %s", i+1, a.code())
		}
	}
	a := describeInstances(t, s, `{"Limit": 1}`)
	wantCode(t, a, "RequestLimitExceeded")
	if !strings.Contains(a.Response.Error.Message, "frequency limit `40`") {
		t.Errorf("message %q", a.Response.Error.Message)
	}
	// DescribeInstancesStatus still has its own bucket, at --rate-limit.
	st := do(t, tc3Call{action: cvmAction, version: cvmVersion, region: testRegion, body: `{}`}.request(t, s))
	wantCode(t, st, "Success")
}

// TestDescribeInstancesFaults: injected errors reach DescribeInstances,
// and Faults.Actions tells it from DescribeInstancesStatus.
func TestDescribeInstancesFaults(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: readinessRegion()})
	setFaults(t, s, emulator.Faults{Errors: map[string]float64{"InternalError": 1}, Actions: []string{"DescribeInstances"}})
	wantCode(t, describeInstances(t, s, `{}`), "InternalError")
	wantCode(t, do(t, tc3Call{action: cvmAction, version: cvmVersion, region: testRegion, body: `{}`}.request(t, s)), "Success")
}

// TestReadinessThroughAdminInstances: PUT /_emulator/instances takes the
// readiness fields and their transitions, timed from the PUT.
func TestReadinessThroughAdminInstances(t *testing.T) {
	clk := emutest.NewClock()
	s := emutest.Listen(t, emulator.Config{Now: clk.Now})
	code, out := admin(t, s, "PUT", "/_emulator/instances", `{"ap-guangzhou": [{"InstanceId": "ins-r8hr2upy", "InstanceState": "RUNNING",
  "LatestOperation": "StartInstances", "LatestOperationState": "OPERATING",
  "Transitions": [{"After": "2s", "LatestOperationState": "SUCCESS"}]}]}`)
	if code != 200 {
		t.Fatalf("PUT: %d %v", code, out)
	}
	op := func() any {
		a := describeInstances(t, s, `{}`)
		wantCode(t, a, "Success")
		return a.Response.InstanceSet[0]["LatestOperationState"]
	}
	if got := op(); got != "OPERATING" {
		t.Errorf("at PUT: %v", got)
	}
	clk.Advance(2 * time.Second)
	if got := op(); got != "SUCCESS" {
		t.Errorf("2 s later: %v", got)
	}
	if code, out := admin(t, s, "PUT", "/_emulator/instances", `{"ap-guangzhou": [{"InstanceId": "ins-r8hr2upy", "InstanceState": "RUNNING", "RestrictState": "GONE"}]}`); code != 400 ||
		!strings.Contains(fmt.Sprint(out["error"]), `["ap-guangzhou"][0].RestrictState`) {
		t.Errorf("bad RestrictState: %d %v", code, out)
	}
}
