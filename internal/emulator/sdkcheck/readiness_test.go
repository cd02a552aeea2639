package sdkcheck

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	cvm "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/cvm/v20170312"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

func strp(s string) *string { return &s }

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// emulatorTaskZone is the zone of DescribeTaskInfo's times in the emulator
// (UTC+8, the service's); written here again, as the emulator keeps it private.
var emulatorTaskZone = time.FixedZone("UTC+8", 8*3600)

// readinessData has one instance of each kind of unfitness beside a
// plain one: a failed operation, an open maintenance task, an offline agent.
func readinessData(clk *emutest.Clock) map[string][]emulator.Instance {
	today := clk.Now().In(emulatorTaskZone).Format("2006-01-02") + " 00:00:00"
	return map[string][]emulator.Instance{testRegion: {
		{InstanceId: "ins-r8hr2upy", InstanceState: "RUNNING", Readiness: emulator.Readiness{
			Agent: &emulator.Agent{AgentStatus: "Online", Version: "1.1.4", LastHeartbeatTime: "2026-12-04T10:00:00+08:00", Environment: "Linux"}}},
		{InstanceId: "ins-5d8a23rs", InstanceState: "RUNNING", Readiness: emulator.Readiness{
			LatestOperation: strp("ResetInstance"), LatestOperationState: strp("FAILED"), LatestOperationErrorMsg: strp("disk busy"),
			ExpiredTime: strp("2026-12-31T16:00:00Z"),
			Agent:       &emulator.Agent{AgentStatus: "Offline", Environment: "Linux"},
			MaintenanceTasks: []emulator.MaintenanceTask{
				{TaskId: "rep-xr36mn2a", TaskTypeId: 102, TaskStatus: 1, CreateTime: today},
			}}},
	}}
}

func TestSDKDescribeInstancesReadiness(t *testing.T) {
	clk := emutest.NewClock()
	s := emutest.Listen(t, emulator.Config{Regions: readinessData(clk), Now: clk.Now})
	c := sdkClient(t, s, defaultCred())
	req := cvm.NewDescribeInstancesRequest()
	req.Filters = []*cvm.Filter{{Name: strp("instance-state"), Values: []*string{strp("RUNNING")}}}
	resp, err := c.DescribeInstances(req)
	if err != nil {
		t.Fatal(err)
	}
	r := resp.Response
	if *r.TotalCount != 2 || len(r.InstanceSet) != 2 {
		t.Fatalf("TotalCount %d, %d instances", *r.TotalCount, len(r.InstanceSet))
	}
	failed, plain := r.InstanceSet[0], r.InstanceSet[1]
	if *failed.InstanceId != "ins-5d8a23rs" || *failed.LatestOperationState != "FAILED" || *failed.LatestOperation != "ResetInstance" ||
		*failed.LatestOperationErrorMsg != "disk busy" || failed.LatestOperationRequestId != nil || *failed.ExpiredTime != "2026-12-31T16:00:00Z" {
		t.Errorf("failed instance: %s", jsonOf(failed))
	}
	if plain.LatestOperationState != nil || plain.ExpiredTime != nil || *plain.RestrictState != "NORMAL" || *plain.IsolatedSource != "NOTISOLATED" ||
		*plain.InstanceState != "RUNNING" || *plain.Placement.Zone == "" {
		t.Errorf("plain instance: %s", jsonOf(plain))
	}

	byID := cvm.NewDescribeInstancesRequest()
	byID.InstanceIds = []*string{strp("ins-r8hr2upy")}
	byID.Filters = req.Filters
	if _, err := c.DescribeInstances(byID); sdkCode(err) != "InvalidParameter" {
		t.Errorf("InstanceIds with Filters: %v", err)
	}
}

func TestSDKDescribeTaskInfo(t *testing.T) {
	clk := emutest.NewClock()
	s := emutest.Listen(t, emulator.Config{Regions: readinessData(clk), Now: clk.Now})
	c := sdkClient(t, s, defaultCred())
	req := cvm.NewDescribeTaskInfoRequest()
	req.TaskStatus = []*int64{i64(1), i64(2), i64(4)}
	resp, err := c.DescribeTaskInfo(req)
	if err != nil {
		t.Fatal(err)
	}
	r := resp.Response
	if *r.TotalCount != 1 || len(r.RepairTaskInfoSet) != 1 {
		t.Fatalf("TotalCount %d, %d tasks", *r.TotalCount, len(r.RepairTaskInfoSet))
	}
	task := r.RepairTaskInfoSet[0]
	if *task.TaskId != "rep-xr36mn2a" || *task.InstanceId != "ins-5d8a23rs" || *task.TaskTypeId != 102 || *task.TaskTypeName != "实例运行异常" ||
		*task.TaskStatus != 1 || task.AuthTime != nil || *task.Region != testRegion {
		t.Errorf("task: %s", jsonOf(task))
	}
	req.TaskStatus = []*int64{i64(9)}
	if _, err := c.DescribeTaskInfo(req); sdkCode(err) != "InvalidParameterValue" {
		t.Errorf("TaskStatus 9: %v", err)
	}
}

// TestSDKDescribeAutomationAgentStatus goes through the SDK's common client
// (signing for service tat), as the proxy serves no tat module version that
// matches the cvm and common ones here.
func TestSDKDescribeAutomationAgentStatus(t *testing.T) {
	clk := emutest.NewClock()
	s := emutest.Listen(t, emulator.Config{Regions: readinessData(clk), Now: clk.Now})
	c := common.NewCommonClient(defaultCred(), testRegion, newProfile(s))
	call := func(params map[string]any) (map[string]any, error) {
		req := tchttp.NewCommonRequest("tat", "2020-10-28", "DescribeAutomationAgentStatus")
		if err := req.SetActionParameters(params); err != nil {
			return nil, err
		}
		resp := tchttp.NewCommonResponse()
		if err := c.Send(req, resp); err != nil {
			return nil, err
		}
		var out struct{ Response map[string]any }
		err := json.Unmarshal(resp.GetBody(), &out)
		return out.Response, err
	}
	r, err := call(map[string]any{"Filters": []map[string]any{{"Name": "agent-status", "Values": []string{"Offline"}}}})
	if err != nil {
		t.Fatal(err)
	}
	set, _ := r["AutomationAgentSet"].([]any)
	var ids []string
	for _, e := range set {
		m, _ := e.(map[string]any)
		id, _ := m["InstanceId"].(string)
		ids = append(ids, id)
	}
	if r["TotalCount"] != 1.0 || !slices.Equal(ids, []string{"ins-5d8a23rs"}) {
		t.Errorf("offline agents: %v", r)
	}
	_, err = call(map[string]any{"InstanceIds": []string{"ins-r8hr2upy"}, "Filters": []map[string]any{{"Name": "agent-status", "Values": []string{"Online"}}}})
	if sdkCode(err) != "InvalidParameter.ConflictParameter" {
		t.Errorf("InstanceIds with Filters: %v", err)
	}
}
