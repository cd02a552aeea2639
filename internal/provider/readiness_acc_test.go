package provider

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// clearFleet is unreadyFleet with every reason gone.
func clearFleet() []emulator.Instance {
	var out []emulator.Instance
	for _, in := range unreadyFleet() {
		out = append(out, emulator.Instance{InstanceId: in.InstanceId, InstanceState: "RUNNING",
			Readiness: emulator.Readiness{Agent: &emulator.Agent{AgentStatus: "Online", Version: "1.1.9"}}})
	}
	return out
}

// A deploy gated on not_ready, through terraform: the precondition fails
// with every kind of reason (and a missing ID), and passes once they have
// all cleared; a listing of the region reads every instance's details; a
// read with include = [] sends DescribeInstancesStatus alone; and
// wait_for_ready waits out an agent coming online and a maintenance task
// ending.
func TestAccInstancesStatus_readinessGate(t *testing.T) {
	needsEmulator(t)
	const quiet = "ap-beijing" // the region of the read without checks
	var mu sync.Mutex
	quietActions := map[string]int{}
	e := emutest.Start(t, emulator.Config{
		Credentials: []emulator.Credential{{SecretID: accSecretID, SecretKey: accSecretKey}},
		Regions:     map[string][]emulator.Instance{DefaultRegion: unreadyFleet(), quiet: {inst("ins-quiet001", "RUNNING")}},
	}, emutest.Options{OnRequest: func(_ int64, r *http.Request) {
		if r.Header.Get("X-TC-Region") == quiet {
			mu.Lock()
			quietActions[r.Header.Get("X-TC-Action")]++
			mu.Unlock()
		}
	}})
	provider := requiredProviders + fmt.Sprintf(`provider "cvm" {
  endpoint   = %q
  region     = %q
  secret_id  = %q
  secret_key = %q
}
`, e.URL, DefaultRegion, accSecretID, accSecretKey)
	fleetIDs := `"ins-ready001", "ins-failed01", "ins-expired1", "ins-maint001", "ins-offline1", "ins-noagent1", "ins-stopped1"`
	gate := func(ids string) string {
		return provider + `
data "cvm_instances_status" "web" {
  instance_ids = [` + ids + `]
  include      = ["operation", "restriction", "maintenance", "agent"]
}

resource "terraform_data" "deploy" {
  input = "v1"
  lifecycle {
    precondition {
      condition     = length(data.cvm_instances_status.web.not_ready) == 0
      error_message = "Instances not ready: ${jsonencode(data.cvm_instances_status.web.not_ready)}"
    }
  }
}

data "cvm_instances_status" "all" {
  include = ["operation", "restriction"]
}

data "cvm_instances_status" "quiet" {
  region       = "` + quiet + `"
  instance_ids = ["ins-quiet001"]
  include      = []
}
`
	}
	// The error message is not_ready as JSON, its keys sorted; Terraform
	// wraps it, so any space may be a line break.
	reasons := []string{
		`"ins-expired1":["restricted: EXPIRED (isolated: EXPIRE)"]`,
		`"ins-failed01":["latest operation ResetInstance FAILED: image not found"]`,
		`"ins-gone0001":["not found in ap-guangzhou"]`,
		`"ins-maint001":["maintenance task rep-12345678 (107 maintenance upgrade) SCHEDULED"]`,
		`"ins-noagent1":["no TAT agent reported"]`,
		`"ins-offline1":["TAT agent Offline since 2026-12-01T00:00:00Z"]`,
		`"ins-stopped1":["state STOPPED"]`,
	}
	var pattern []string
	for _, r := range reasons {
		pattern = append(pattern, strings.ReplaceAll(regexp.QuoteMeta(r), " ", `\s+`))
	}
	notReady := regexp.MustCompile(`Instances not ready:\s+\{` + strings.Join(pattern, `,\s*`) + `\}`)
	listed := make([]knownvalue.Check, len(clearFleet()))
	for i := range listed {
		listed[i] = knownvalue.ObjectPartial(map[string]knownvalue.Check{
			"restrict_state": knownvalue.StringExact("NORMAL"), "ready": knownvalue.Bool(true), "agent_status": knownvalue.Null(),
		})
	}
	waiting := []emulator.Instance{
		{InstanceId: "ins-agent001", InstanceState: "STARTING", Transitions: []emulator.Transition{
			{After: emulator.Duration(time.Second), InstanceState: "RUNNING"},
			{After: emulator.Duration(2 * time.Second), Readiness: emulator.Readiness{Agent: &emulator.Agent{AgentStatus: "Online", Version: "1.1.9"}}},
		}},
		{InstanceId: "ins-maint001", InstanceState: "RUNNING", Readiness: emulator.Readiness{Agent: &emulator.Agent{AgentStatus: "Online"},
			MaintenanceTasks: []emulator.MaintenanceTask{{TaskId: "rep-12345678", TaskTypeId: 107, TaskStatus: 2, CreateTime: "2026-01-01 00:00:00"}}},
			Transitions: []emulator.Transition{{After: emulator.Duration(2 * time.Second), Readiness: emulator.Readiness{MaintenanceTasks: []emulator.MaintenanceTask{}}}}},
	}
	setFleet := func(instances []emulator.Instance) func() {
		return func() {
			if err := e.SetInstances(map[string][]emulator.Instance{DefaultRegion: instances}); err != nil {
				t.Fatal(err)
			}
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(t),
		Steps: []resource.TestStep{
			{Config: gate(fleetIDs + `, "ins-gone0001"`), ExpectError: notReady},
			{PreConfig: setFleet(clearFleet()), Config: gate(fleetIDs),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.cvm_instances_status.web", tfjsonpath.New("not_ready"), knownvalue.MapExact(map[string]knownvalue.Check{})),
					statecheck.ExpectKnownValue("data.cvm_instances_status.all", tfjsonpath.New("instances"), knownvalue.ListExact(listed)),
					statecheck.ExpectKnownValue("data.cvm_instances_status.quiet", tfjsonpath.New("not_ready"), knownvalue.MapExact(map[string]knownvalue.Check{})),
				},
			},
			{PreConfig: setFleet(waiting), Config: provider + `
data "cvm_instances_status" "wait" {
  instance_ids   = ["ins-agent001", "ins-maint001"]
  include        = ["agent", "maintenance"]
  wait_for_ready = true
}`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.cvm_instances_status.wait", tfjsonpath.New("not_ready"), knownvalue.MapExact(map[string]knownvalue.Check{})),
					statecheck.ExpectKnownValue("data.cvm_instances_status.wait", tfjsonpath.New("instances").AtSliceIndex(0).AtMapKey("agent_status"), knownvalue.StringExact("Online")),
					statecheck.ExpectKnownValue("data.cvm_instances_status.wait", tfjsonpath.New("instances").AtSliceIndex(1).AtMapKey("maintenance_tasks"), knownvalue.ListExact([]knownvalue.Check{})),
				},
			},
		},
	})
	mu.Lock()
	defer mu.Unlock()
	if len(quietActions) != 1 || quietActions["DescribeInstancesStatus"] == 0 {
		t.Errorf("the read with include = [] sent %v; want DescribeInstancesStatus alone", quietActions)
	}
}
