package emulator_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

type taskAnswer struct {
	Response struct {
		Error             *struct{ Code, Message string }
		TotalCount        int
		RepairTaskInfoSet []map[string]any
	}
}

func describeTaskInfo(t *testing.T, s *emulator.Server, region, body string) taskAnswer {
	t.Helper()
	resp, err := http.DefaultClient.Do(tc3Call{action: "DescribeTaskInfo", version: cvmVersion, region: region, body: body}.request(t, s))
	if err != nil {
		t.Fatal(err)
	}
	defer closeQuietly(resp.Body)
	raw, _ := io.ReadAll(resp.Body)
	var a taskAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	return a
}

func (a taskAnswer) code() string {
	if a.Response.Error != nil {
		return a.Response.Error.Code
	}
	return "Success"
}

func (a taskAnswer) taskIDs() []string {
	var out []string
	for _, task := range a.Response.RepairTaskInfoSet {
		id, _ := task["TaskId"].(string)
		out = append(out, id)
	}
	return out
}

// taskWorld: tasks created at today's 00:00:00 (UTC+8), yesterday and in
// an hour, on instances of two regions.
func taskWorld(t *testing.T) *emulator.Server {
	t.Helper()
	clk := emutest.NewClock()
	cst := time.FixedZone("UTC+8", 8*3600)
	now := clk.Now().In(cst)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, cst)
	at := func(t time.Time) string { return t.Format("2006-01-02 15:04:05") }
	return emutest.Listen(t, emulator.Config{Now: clk.Now, Regions: map[string][]emulator.Instance{
		testRegion: {{InstanceId: "ins-r8hr2upy", InstanceState: "RUNNING", Readiness: emulator.Readiness{MaintenanceTasks: []emulator.MaintenanceTask{
			{TaskId: "rep-today001", TaskTypeId: 101, TaskStatus: 1, CreateTime: at(today)},
			{TaskId: "rep-older001", TaskTypeId: 107, TaskStatus: 4, CreateTime: at(today.AddDate(0, 0, -1)), AuthTime: at(today.Add(-time.Hour))},
		}}}, {InstanceId: "ins-7ab2c4de", InstanceState: "RUNNING"}},
		"ap-tokyo": {{InstanceId: "ins-5d8a23rs", InstanceState: "RUNNING", Readiness: emulator.Readiness{MaintenanceTasks: []emulator.MaintenanceTask{
			{TaskId: "rep-tokyo001", TaskTypeId: 103, TaskStatus: 3, CreateTime: at(today), EndTime: at(now.Add(-time.Second))},
			{TaskId: "rep-future01", TaskTypeId: 103, TaskStatus: 1, CreateTime: at(now.Add(time.Hour))},
		}}}},
	}})
}

func TestDescribeTaskInfo(t *testing.T) {
	s := taskWorld(t)
	a := describeTaskInfo(t, s, testRegion, `{}`)
	if a.code() != "Success" || a.Response.TotalCount != 2 || !slices.Equal(a.taskIDs(), []string{"rep-today001", "rep-tokyo001"}) {
		t.Fatalf("default window (today 00:00:00 to now): %s %d %v", a.code(), a.Response.TotalCount, a.taskIDs())
	}
	first := a.Response.RepairTaskInfoSet[0]
	for k, want := range map[string]any{
		"InstanceId": "ins-r8hr2upy", "Alias": "ins-r8hr2upy", "TaskTypeId": 101.0, "TaskTypeName": "实例运行隐患",
		"TaskStatus": 1.0, "DeviceStatus": 1.0, "OperateStatus": 1.0, "AuthTime": nil, "EndTime": nil,
		"Region": testRegion, "Zone": testRegion + "-1", "Product": "CVM",
	} {
		if got, ok := first[k]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, want)
		}
	}
	for name, tc := range map[string]struct {
		body string
		ids  []string
	}{
		"older with StartDate": {`{"StartDate": "2000-01-01 00:00:00"}`, []string{"rep-older001", "rep-today001", "rep-tokyo001"}},
		"future with EndDate":  {`{"EndDate": "2999-01-01 00:00:00"}`, []string{"rep-today001", "rep-tokyo001", "rep-future01"}},
		"status":               {`{"StartDate": "2000-01-01 00:00:00", "TaskStatus": [4, 3]}`, []string{"rep-older001", "rep-tokyo001"}},
		"type":                 {`{"TaskTypeIds": [103]}`, []string{"rep-tokyo001"}},
		"instance":             {`{"StartDate": "2000-01-01 00:00:00", "InstanceIds": ["ins-r8hr2upy"]}`, []string{"rep-older001", "rep-today001"}},
		"alias and task":       {`{"Aliases": ["ins-5d8a23rs"], "TaskIds": ["rep-tokyo001"]}`, []string{"rep-tokyo001"}},
		"descending":           {`{"Order": 1, "StartDate": "2000-01-01 00:00:00"}`, []string{"rep-tokyo001", "rep-today001", "rep-older001"}},
		"by AuthTime":          {`{"OrderField": "AuthTime", "Order": 1, "StartDate": "2000-01-01 00:00:00"}`, []string{"rep-older001", "rep-tokyo001", "rep-today001"}},
		"page":                 {`{"StartDate": "2000-01-01 00:00:00", "Offset": 1, "Limit": 1}`, []string{"rep-today001"}},
		"other product":        {`{"Product": "CDH"}`, nil},
	} {
		a := describeTaskInfo(t, s, testRegion, tc.body)
		if a.code() != "Success" || !slices.Equal(a.taskIDs(), tc.ids) {
			t.Errorf("%s: %s %v, want %v", name, a.code(), a.taskIDs(), tc.ids)
		}
	}
}

func TestDescribeTaskInfoErrors(t *testing.T) {
	s := taskWorld(t)
	for name, body := range map[string]string{
		"limit 101":   `{"Limit": 101}`,
		"status 7":    `{"TaskStatus": [7]}`,
		"type 100":    `{"TaskTypeIds": [100]}`,
		"start date":  `{"StartDate": "2026-12-04"}`,
		"order field": `{"OrderField": "TaskId"}`,
		"order 2":     `{"Order": 2}`,
		"product":     `{"Product": "LH"}`,
		"bad id":      `{"InstanceIds": ["ins-1"]}`,
	} {
		if got := describeTaskInfo(t, s, testRegion, body).code(); got != "InvalidParameterValue" {
			t.Errorf("%s: %s, want InvalidParameterValue", name, got)
		}
	}
	if got := describeTaskInfo(t, s, "ap-tokyo", `{}`).code(); got != "UnsupportedRegion" {
		t.Errorf("ap-tokyo: %s, want UnsupportedRegion (the page lists ap-guangzhou only)", got)
	}
	if got := describeTaskInfo(t, s, testRegion, `{"TaskStatus": ["1"]}`).code(); got != "InvalidParameter" {
		t.Errorf("string status: %s", got)
	}
}

// TestDescribeTaskInfoFlatIntegerLists: TaskStatus.N in a query string
// binds like the JSON list; a non-integer element is InvalidParameter.
func TestDescribeTaskInfoFlatIntegerLists(t *testing.T) {
	s := taskWorld(t)
	get := func(q url.Values) taskAnswer {
		t.Helper()
		resp, err := http.DefaultClient.Do(tc3Call{method: "GET", action: "DescribeTaskInfo", version: cvmVersion, region: testRegion, query: q.Encode()}.request(t, s))
		if err != nil {
			t.Fatal(err)
		}
		defer closeQuietly(resp.Body)
		var a taskAnswer
		if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := get(url.Values{"StartDate": {"2000-01-01 00:00:00"}, "TaskStatus.0": {"4"}, "TaskStatus.1": {"3"}})
	if a.code() != "Success" || !slices.Equal(a.taskIDs(), []string{"rep-older001", "rep-tokyo001"}) {
		t.Errorf("TaskStatus.0=4, .1=3: %s %v", a.code(), a.taskIDs())
	}
	if got := get(url.Values{"TaskStatus.0": {"one"}}).code(); got != "InvalidParameter" {
		t.Errorf("TaskStatus.0=one: %s", got)
	}
}
