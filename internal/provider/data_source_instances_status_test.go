package provider

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

const ds = "data.cvm_instances_status.test"

func seeded(instances ...emulator.Instance) map[string][]emulator.Instance {
	return map[string][]emulator.Instance{DefaultRegion: instances}
}

func inst(id, state string, transitions ...emulator.Transition) emulator.Instance {
	return emulator.Instance{InstanceId: id, InstanceState: state, Transitions: transitions}
}

// instanceValue is an element of instances read without include: ready
// when RUNNING, else one reason, and every readiness attribute null.
func instanceValue(id, state string) knownvalue.Check {
	reasons := []knownvalue.Check{}
	if state != "RUNNING" {
		reasons = append(reasons, knownvalue.StringExact("state "+state))
	}
	want := map[string]knownvalue.Check{
		"instance_id": knownvalue.StringExact(id),
		"state":       knownvalue.StringExact(state),
		"ready":       knownvalue.Bool(state == "RUNNING"),
		"reasons":     knownvalue.ListExact(reasons),
	}
	for _, name := range instanceNullNames {
		want[name] = knownvalue.Null()
	}
	return knownvalue.ObjectExact(want)
}

// Terraform reads the data source through the provider's fast path
// (server.go) and keeps the state it sends: the CLI must take those bytes
// for the values it shows. One configuration, one terraform step, checks
// both reads against the emulator: given IDs (order, duplicates, one
// missing) in ap-guangzhou, and 250 IDs in ap-beijing, which take exactly 3
// requests a read.
//
// A test step runs terraform several times, each with a provider (and a
// client) of its own; the ap-beijing requests are told apart by the client
// that sent them. terraform-plugin-testing's step reads the data source in
// exactly three of them: the plan before apply, and the two plans after it
// that look for a perpetual diff (with and without refresh: a data source
// is read either way). The apply uses the saved plan, which holds the data
// source as read.
func TestAccInstancesStatus_readThroughTerraform(t *testing.T) {
	needsEmulator(t)
	const pageRegion = "ap-beijing"
	instances := emulator.GenerateInstances(300, 9)
	var mu sync.Mutex
	requests := map[string]int{} // ap-beijing reads, by client
	e := emutest.Start(t, emulator.Config{
		Credentials: []emulator.Credential{{SecretID: accSecretID, SecretKey: accSecretKey}},
		Regions: map[string][]emulator.Instance{
			DefaultRegion: {inst("ins-r8hr2upy", "RUNNING"), inst("ins-5d8a23rs", "STOPPED"), inst("ins-00000003", "RUNNING")},
			pageRegion:    instances,
		},
	}, emutest.Options{OnRequest: func(_ int64, r *http.Request) {
		if r.Header.Get("X-TC-Action") == "DescribeInstancesStatus" && r.Header.Get("X-TC-Region") == pageRegion {
			mu.Lock()
			requests[r.UserAgent()]++
			mu.Unlock()
		}
	}})
	var clients atomic.Int64
	name := WithClientConfig(func(c *cvm.Config) { c.UserAgent = fmt.Sprintf("client-%d", clients.Add(1)) })
	ids := make([]string, 250)
	want := make([]knownvalue.Check, len(ids))
	for i, in := range instances[:250] {
		ids[i] = in.InstanceId
		want[i] = instanceValue(in.InstanceId, in.InstanceState)
	}
	const page = "data.cvm_instances_status.page"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(t, name),
		Steps: []resource.TestStep{{
			Config: requiredProviders + fmt.Sprintf(`provider "cvm" {
  endpoint   = %q
  secret_id  = %q
  secret_key = %q
}
data "cvm_instances_status" "test" {
  instance_ids = ["ins-5d8a23rs", "ins-r8hr2upy", "ins-zzzzzzzz", "ins-5d8a23rs", "ins-00000003"]
}
data "cvm_instances_status" "page" {
  region       = %q
  instance_ids = %s
}`, e.URL, accSecretID, accSecretKey, pageRegion, hclList(ids)),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("instances"), knownvalue.ListExact([]knownvalue.Check{
					instanceValue("ins-5d8a23rs", "STOPPED"),
					instanceValue("ins-r8hr2upy", "RUNNING"),
					instanceValue("ins-00000003", "RUNNING"),
				})),
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("states"), knownvalue.MapExact(map[string]knownvalue.Check{
					"ins-5d8a23rs": knownvalue.StringExact("STOPPED"),
					"ins-r8hr2upy": knownvalue.StringExact("RUNNING"),
					"ins-00000003": knownvalue.StringExact("RUNNING"),
				})),
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("state_counts"), knownvalue.MapExact(map[string]knownvalue.Check{
					"RUNNING": knownvalue.Int64Exact(2),
					"STOPPED": knownvalue.Int64Exact(1),
				})),
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("missing_instance_ids"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.StringExact("ins-zzzzzzzz"),
				})),
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("region"), knownvalue.StringExact(DefaultRegion)),
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("id"), knownvalue.StringRegexp(regexp.MustCompile(`^ap-guangzhou/[0-9a-f]{16}$`))),
				statecheck.ExpectKnownValue(page, tfjsonpath.New("instances"), knownvalue.ListExact(want)),
				statecheck.ExpectKnownValue(page, tfjsonpath.New("missing_instance_ids"), knownvalue.ListExact([]knownvalue.Check{})),
			},
		}},
	})
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%s requests by client: %v", pageRegion, requests)
	const reads, perRead = 3, 3
	for client, n := range requests {
		if n != perRead {
			t.Errorf("%s sent %d requests for one read of 250 IDs; want exactly %d", client, n, perRead)
		}
	}
	if len(requests) != reads {
		t.Errorf("%d terraform runs read the data source (%v); want exactly %d: the plan before apply and the two after it", len(requests), requests, reads)
	}
}

// Runs against the emulator and, with CVM_ACC_INSTANCE_IDS, against the
// real cloud, in one terraform step: every instance named is found, in a
// documented state; the listing of the region is consistent (against the
// emulator: its inventory exactly, every instance in ID order, in its
// state); an empty list reads nothing.
func TestAccInstancesStatus_anyTarget(t *testing.T) {
	named := []emulator.Instance{inst("ins-aaaaaaaa", "RUNNING"), inst("ins-bbbbbbbb", "STOPPED"), inst("ins-cccccccc", "PENDING")}
	inventory := slices.Concat(named, emulator.GenerateInstances(150, 77))
	target := newAccTarget(t, seeded(inventory...))
	known := target.ids
	if target.emu != nil {
		known = known[:len(named)]
	}
	if len(known) == 0 {
		t.Fatalf("%s names no instance IDs", envRealInstanceIDs)
	}
	anyState := knownvalue.StringRegexp(regexp.MustCompile(`^(` + strings.Join(cvm.States, "|") + `)$`))
	knownStates := map[string]knownvalue.Check{}
	knownList := make([]knownvalue.Check, len(known))
	for i, id := range known {
		knownStates[id] = anyState
		knownList[i] = knownvalue.ObjectPartial(map[string]knownvalue.Check{"instance_id": knownvalue.StringExact(id), "state": anyState, "latest_operation": knownvalue.Null(), "agent_status": knownvalue.Null()})
	}
	const all, none = "data.cvm_instances_status.all", "data.cvm_instances_status.none"
	checks := []statecheck.StateCheck{
		statecheck.ExpectKnownValue(ds, tfjsonpath.New("instances"), knownvalue.ListExact(knownList)),
		statecheck.ExpectKnownValue(ds, tfjsonpath.New("states"), knownvalue.MapExact(knownStates)),
		statecheck.ExpectKnownValue(ds, tfjsonpath.New("missing_instance_ids"), knownvalue.ListExact([]knownvalue.Check{})),
		statecheck.ExpectKnownOutputValue("consistent", knownvalue.Bool(true)),
		statecheck.ExpectKnownValue(none, tfjsonpath.New("instances"), knownvalue.ListExact([]knownvalue.Check{})),
		statecheck.ExpectKnownValue(none, tfjsonpath.New("states"), knownvalue.MapExact(map[string]knownvalue.Check{})),
		statecheck.ExpectKnownValue(none, tfjsonpath.New("state_counts"), knownvalue.MapExact(map[string]knownvalue.Check{})),
	}
	if target.emu != nil {
		sorted := slices.SortedFunc(slices.Values(inventory), func(a, b emulator.Instance) int { return strings.Compare(a.InstanceId, b.InstanceId) })
		list := make([]knownvalue.Check, len(sorted))
		states := make(map[string]knownvalue.Check, len(sorted))
		for i, in := range sorted {
			list[i] = instanceValue(in.InstanceId, in.InstanceState)
			states[in.InstanceId] = knownvalue.StringExact(in.InstanceState)
		}
		checks = append(checks,
			statecheck.ExpectKnownValue(all, tfjsonpath.New("instances"), knownvalue.ListExact(list)),
			statecheck.ExpectKnownValue(all, tfjsonpath.New("states"), knownvalue.MapExact(states)),
		)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(t),
		Steps: []resource.TestStep{{
			Config: target.provider + fmt.Sprintf(`
data "cvm_instances_status" "test" {
  instance_ids = %s
}

data "cvm_instances_status" "all" {}

output "consistent" {
  value = (
    length(data.cvm_instances_status.all.instances) == length(data.cvm_instances_status.all.states) &&
    sum(concat([0], values(data.cvm_instances_status.all.state_counts))) == length(data.cvm_instances_status.all.instances)
  )
}

variable "no_ids" {
  type    = list(string)
  default = []
}
data "cvm_instances_status" "none" {
  instance_ids = var.no_ids
}`, hclList(known)),
			ConfigStateChecks: checks,
		}},
	})
}
