package provider

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

func instanceValue(id, state string) knownvalue.Check {
	return knownvalue.ObjectExact(map[string]knownvalue.Check{
		"instance_id": knownvalue.StringExact(id),
		"state":       knownvalue.StringExact(state),
	})
}

func TestAccInstancesStatus_givenIDs(t *testing.T) {
	needsEmulator(t)
	target := newAccTarget(t, seeded(
		inst("ins-r8hr2upy", "RUNNING"),
		inst("ins-5d8a23rs", "STOPPED"),
		inst("ins-00000003", "RUNNING"),
	))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(t),
		Steps: []resource.TestStep{{
			Config: target.provider + `
data "cvm_instances_status" "test" {
  instance_ids = ["ins-5d8a23rs", "ins-r8hr2upy", "ins-zzzzzzzz", "ins-5d8a23rs", "ins-00000003"]
}`,
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
			},
		}},
	})
}

// 250 IDs take exactly 3 requests a read. A test step runs terraform
// several times, each with a provider (and a client) of its own; requests
// are told apart by the client that sent them. terraform-plugin-testing's
// step reads the data source in exactly three of them: the plan before
// apply, and the two plans after it that look for a perpetual diff (with
// and without refresh: a data source is read either way). The apply uses
// the saved plan, which holds the data source as read.
func TestAccInstancesStatus_moreThanAPageOfIDs(t *testing.T) {
	needsEmulator(t)
	instances := emulator.GenerateInstances(300, 9)
	var mu sync.Mutex
	requests := map[string]int{} // by client
	e := emutest.Start(t, emulator.Config{
		Credentials: []emulator.Credential{{SecretID: accSecretID, SecretKey: accSecretKey}},
		Regions:     seeded(instances...),
	}, emutest.Options{OnRequest: func(_ int64, r *http.Request) {
		if r.Header.Get("X-TC-Action") == "DescribeInstancesStatus" {
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
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(t, name),
		Steps: []resource.TestStep{{
			Config: requiredProviders + fmt.Sprintf(`provider "cvm" {
  endpoint   = %q
  secret_id  = %q
  secret_key = %q
}
data "cvm_instances_status" "test" {
  instance_ids = %s
}`, e.URL, accSecretID, accSecretKey, hclList(ids)),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("instances"), knownvalue.ListExact(want)),
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("missing_instance_ids"), knownvalue.ListExact([]knownvalue.Check{})),
			},
		}},
	})
	mu.Lock()
	defer mu.Unlock()
	t.Logf("requests by client: %v", requests)
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

func TestAccInstancesStatus_listRegion(t *testing.T) {
	needsEmulator(t)
	instances := emulator.GenerateInstances(1234, 5)
	counts := map[string]int64{}
	for _, in := range instances {
		counts[in.InstanceState]++
	}
	countChecks := map[string]knownvalue.Check{}
	for state, n := range counts {
		countChecks[state] = knownvalue.Int64Exact(n)
	}
	target := newAccTarget(t, seeded(instances...))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(t),
		Steps: []resource.TestStep{{
			Config: target.provider + `
data "cvm_instances_status" "test" {}`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("instances"), knownvalue.ListSizeExact(1234)),
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("states"), knownvalue.MapSizeExact(1234)),
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("state_counts"), knownvalue.MapExact(countChecks)),
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("missing_instance_ids"), knownvalue.ListExact([]knownvalue.Check{})),
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("id"), knownvalue.StringExact("ap-guangzhou/all")),
			},
		}},
	})
}

func TestAccInstancesStatus_emptyListReadsNothing(t *testing.T) {
	target := newAccTarget(t, seeded(emulator.GenerateInstances(20, 1)...))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(t),
		Steps: []resource.TestStep{{
			Config: target.provider + `
variable "ids" {
  type    = list(string)
  default = []
}
data "cvm_instances_status" "test" {
  instance_ids = var.ids
}`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("instances"), knownvalue.ListExact([]knownvalue.Check{})),
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("states"), knownvalue.MapExact(map[string]knownvalue.Check{})),
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("state_counts"), knownvalue.MapExact(map[string]knownvalue.Check{})),
			},
		}},
	})
	if target.emu != nil && target.emu.Stats().Requests != 0 {
		t.Fatalf("instance_ids = [] sent %d requests; it must send none", target.emu.Stats().Requests)
	}
}

func TestAccInstancesStatus_nullListsTheRegion(t *testing.T) {
	needsEmulator(t)
	target := newAccTarget(t, seeded(inst("ins-bbbbbbbb", "STOPPED"), inst("ins-aaaaaaaa", "RUNNING")))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(t),
		Steps: []resource.TestStep{{
			Config: target.provider + `
data "cvm_instances_status" "test" {
  instance_ids = null
}`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("instances"), knownvalue.ListExact([]knownvalue.Check{
					instanceValue("ins-aaaaaaaa", "RUNNING"),
					instanceValue("ins-bbbbbbbb", "STOPPED"),
				})),
			},
		}},
	})
}

func TestAccInstancesStatus_regionOverride(t *testing.T) {
	needsEmulator(t)
	target := newAccTarget(t, map[string][]emulator.Instance{
		DefaultRegion: {inst("ins-aaaaaaaa", "RUNNING")},
		"ap-shanghai": {inst("ins-cccccccc", "STOPPED")},
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(t),
		Steps: []resource.TestStep{{
			Config: target.provider + `
data "cvm_instances_status" "test" {
  region = "ap-shanghai"
}`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("region"), knownvalue.StringExact("ap-shanghai")),
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("instances"), knownvalue.ListExact([]knownvalue.Check{
					instanceValue("ins-cccccccc", "STOPPED"),
				})),
			},
		}},
	})
}

func TestAccInstancesStatus_waitSucceedsAfterTransitions(t *testing.T) {
	needsEmulator(t)
	target := newAccTarget(t, seeded(
		inst("ins-aaaaaaaa", "RUNNING"),
		inst("ins-bbbbbbbb", "PENDING",
			emulator.Transition{After: emulator.Duration(time.Second), InstanceState: "STARTING"},
			emulator.Transition{After: emulator.Duration(2 * time.Second), InstanceState: "RUNNING"}),
	))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(t),
		Steps: []resource.TestStep{{
			Config: target.provider + `
data "cvm_instances_status" "test" {
  instance_ids    = ["ins-aaaaaaaa", "ins-bbbbbbbb"]
  wait_for_states = ["RUNNING"]
  timeouts {
    read = "1m"
  }
}`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("state_counts"), knownvalue.MapExact(map[string]knownvalue.Check{
					"RUNNING": knownvalue.Int64Exact(2),
				})),
			},
		}},
	})
}

func TestAccInstancesStatus_waitTimesOut(t *testing.T) {
	needsEmulator(t)
	target := newAccTarget(t, seeded(inst("ins-aaaaaaaa", "RUNNING"), inst("ins-bbbbbbbb", "STOPPED")))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(t),
		Steps: []resource.TestStep{{
			Config: target.provider + `
data "cvm_instances_status" "test" {
  instance_ids    = ["ins-aaaaaaaa", "ins-bbbbbbbb", "ins-cccccccc"]
  wait_for_states = ["RUNNING"]
  timeouts {
    read = "2s"
  }
}`,
			ExpectError: regexp.MustCompile(`Timed Out Waiting For Instance States[\s\S]*ins-bbbbbbbb \(STOPPED\),[\s\S]*ins-cccccccc \(not found\)`),
		}},
	})
}

func TestAccInstancesStatus_waitFailsFastOnLaunchFailed(t *testing.T) {
	needsEmulator(t)
	target := newAccTarget(t, seeded(inst("ins-aaaaaaaa", "PENDING"), inst("ins-bbbbbbbb", "LAUNCH_FAILED")))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(t),
		Steps: []resource.TestStep{{
			Config: target.provider + `
data "cvm_instances_status" "test" {
  instance_ids    = ["ins-aaaaaaaa", "ins-bbbbbbbb"]
  wait_for_states = ["RUNNING"]
  timeouts {
    read = "10m"
  }
}`,
			ExpectError: regexp.MustCompile(`Instances Cannot Reach The Wanted State[\s\S]*ins-bbbbbbbb\s+\(LAUNCH_FAILED\)`),
		}},
	})
	if got := target.emu.Stats().Requests; got != 1 {
		t.Fatalf("%d requests; LAUNCH_FAILED must end the wait on the first read", got)
	}
}

const preconditionConfig = `
data "cvm_instances_status" "test" {
  instance_ids = ["ins-aaaaaaaa", "ins-bbbbbbbb"]
}

resource "terraform_data" "deploy" {
  input = "release-42"

  lifecycle {
    precondition {
      condition     = alltrue([for s in values(data.cvm_instances_status.test.states) : s == "RUNNING"])
      error_message = "Every web instance must be RUNNING before deploying; stopped: ${join(", ", [for id, s in data.cvm_instances_status.test.states : id if s != "RUNNING"])}."
    }
  }
}`

func TestAccInstancesStatus_preconditionBlocksStoppedInstance(t *testing.T) {
	needsEmulator(t)
	target := newAccTarget(t, seeded(inst("ins-aaaaaaaa", "RUNNING"), inst("ins-bbbbbbbb", "STOPPED")))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(t),
		Steps: []resource.TestStep{{
			Config:      target.provider + preconditionConfig,
			ExpectError: regexp.MustCompile(`Resource precondition failed[\s\S]*stopped: ins-bbbbbbbb`),
		}},
	})
}

func TestAccInstancesStatus_preconditionPassesWhenAllRun(t *testing.T) {
	needsEmulator(t)
	target := newAccTarget(t, seeded(inst("ins-aaaaaaaa", "RUNNING"), inst("ins-bbbbbbbb", "RUNNING")))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(t),
		Steps: []resource.TestStep{{
			Config: target.provider + preconditionConfig,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("terraform_data.deploy", tfjsonpath.New("input"), knownvalue.StringExact("release-42")),
			},
		}},
	})
}

func TestAccInstancesStatus_checkBlockDoesNotBlock(t *testing.T) {
	needsEmulator(t)
	target := newAccTarget(t, seeded(inst("ins-aaaaaaaa", "RUNNING"), inst("ins-bbbbbbbb", "STOPPED")))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(t),
		Steps: []resource.TestStep{{
			Config: target.provider + `
check "web_running" {
  data "cvm_instances_status" "test" {
    instance_ids = ["ins-aaaaaaaa", "ins-bbbbbbbb"]
  }
  assert {
    condition     = lookup(data.cvm_instances_status.test.state_counts, "STOPPED", 0) == 0
    error_message = "Some web instances are stopped."
  }
}

resource "terraform_data" "after" {
  input = "deployed"
}`,
			// The failed assertion is a warning: the apply goes through. The
			// failed check's data source is read again by the next plan.
			ExpectNonEmptyPlan: true,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("terraform_data.after", tfjsonpath.New("input"), knownvalue.StringExact("deployed")),
			},
		}},
	})
}

func TestAccInstancesStatus_authFailureShowsCodeAndRequestID(t *testing.T) {
	needsEmulator(t)
	target := newAccTarget(t, seeded(inst("ins-aaaaaaaa", "RUNNING")))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(t),
		Steps: []resource.TestStep{{
			Config: requiredProviders + fmt.Sprintf(`
provider "cvm" {
  endpoint   = %q
  secret_id  = %q
  secret_key = "not-the-right-key"
}
data "cvm_instances_status" "test" {}`, target.emu.URL(), accSecretID),
			ExpectError: regexp.MustCompile(`Cannot Read Instance States[\s\S]*Code: AuthFailure\.SignatureFailure[\s\S]*RequestId: [0-9a-f-]{36}[\s\S]*secret key does not match`),
		}},
	})
}

func TestAccInstancesStatus_survivesThrottlingAndInternalErrors(t *testing.T) {
	needsEmulator(t)
	instances := emulator.GenerateInstances(800, 21)
	target := newAccTarget(t, seeded(instances...))
	if err := target.emu.SetFaults(emulator.Faults{Errors: map[string]float64{"RequestLimitExceeded": 0.3, "InternalError": 0.2}}); err != nil {
		t.Fatal(err)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(t),
		Steps: []resource.TestStep{{
			Config: target.provider + `
provider "cvm" {
  alias       = "patient"
  endpoint    = "` + target.emu.URL() + `"
  secret_id   = "` + accSecretID + `"
  secret_key  = "` + accSecretKey + `"
  max_retries = 30
}
data "cvm_instances_status" "test" {
  provider = cvm.patient
}`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("instances"), knownvalue.ListSizeExact(800)),
			},
		}},
	})
	st := target.emu.Stats()
	if st.Throttled == 0 || st.ByCode["InternalError"] == 0 {
		t.Fatalf("stats = %+v: the faults were never injected", st)
	}
}

// Runs against the emulator and, with CVM_ACC_INSTANCE_IDS, against the real
// cloud: every instance named must be found, in a documented state.
func TestAccInstancesStatus_knownInstancesAreFound(t *testing.T) {
	target := newAccTarget(t, seeded(inst("ins-aaaaaaaa", "RUNNING"), inst("ins-bbbbbbbb", "STOPPED"), inst("ins-cccccccc", "PENDING")))
	if len(target.ids) == 0 {
		t.Fatalf("%s names no instance IDs", envRealInstanceIDs)
	}
	anyState := knownvalue.StringRegexp(regexp.MustCompile(`^(` + strings.Join(cvm.States, "|") + `)$`))
	states := map[string]knownvalue.Check{}
	instances := make([]knownvalue.Check, len(target.ids))
	for i, id := range target.ids {
		states[id] = anyState
		instances[i] = knownvalue.ObjectExact(map[string]knownvalue.Check{"instance_id": knownvalue.StringExact(id), "state": anyState})
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(t),
		Steps: []resource.TestStep{{
			Config: target.provider + fmt.Sprintf(`
data "cvm_instances_status" "test" {
  instance_ids = %s
}`, hclList(target.ids)),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("instances"), knownvalue.ListExact(instances)),
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("states"), knownvalue.MapExact(states)),
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("missing_instance_ids"), knownvalue.ListExact([]knownvalue.Check{})),
			},
		}},
	})
}

// Listing works anywhere; against the emulator the answer is its
// inventory exactly: every instance, in ID order, in its state.
func TestAccInstancesStatus_listingIsConsistent(t *testing.T) {
	instances := emulator.GenerateInstances(150, 77)
	target := newAccTarget(t, seeded(instances...))
	checks := []statecheck.StateCheck{
		statecheck.ExpectKnownOutputValue("consistent", knownvalue.Bool(true)),
	}
	if target.emu != nil {
		sorted := slices.SortedFunc(slices.Values(instances), func(a, b emulator.Instance) int { return strings.Compare(a.InstanceId, b.InstanceId) })
		list := make([]knownvalue.Check, len(sorted))
		states := make(map[string]knownvalue.Check, len(sorted))
		for i, in := range sorted {
			list[i] = instanceValue(in.InstanceId, in.InstanceState)
			states[in.InstanceId] = knownvalue.StringExact(in.InstanceState)
		}
		checks = append(checks,
			statecheck.ExpectKnownValue(ds, tfjsonpath.New("instances"), knownvalue.ListExact(list)),
			statecheck.ExpectKnownValue(ds, tfjsonpath.New("states"), knownvalue.MapExact(states)),
		)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(t),
		Steps: []resource.TestStep{{
			Config: target.provider + `
data "cvm_instances_status" "test" {}

output "consistent" {
  value = (
    length(data.cvm_instances_status.test.instances) == length(data.cvm_instances_status.test.states) &&
    sum(concat([0], values(data.cvm_instances_status.test.state_counts))) == length(data.cvm_instances_status.test.instances)
  )
}`,
			ConfigStateChecks: checks,
		}},
	})
}

// A wait just after a reboot: the instance reports RUNNING for a moment,
// then REBOOTING, then RUNNING again. wait_stable_for = "5s" waits the
// reboot out; "0s" takes the first RUNNING, as it always has. Terraform
// plans more than once in a step, each time with a provider of its own:
// the polls are told apart by the client that sent them.
//
// The reboot runs on events, not on the wall clock, so that a plan slow to
// start on a loaded machine meets the same timeline: the emulator's clock
// stands still, and moves to the reboot when the emulator answers the
// first poll RUNNING, and to its end when it first answers REBOOTING,
// before the client has either answer.
func TestAccInstancesStatus_waitStableForOutlastsAReboot(t *testing.T) {
	needsEmulator(t)
	for _, tc := range []struct {
		stable     string
		waitsItOut bool
	}{{"5s", true}, {"0s", false}} {
		t.Run(tc.stable, func(t *testing.T) {
			var mu sync.Mutex
			seen := map[string][]string{} // by client: the state each poll answered
			clock := emutest.NewClock()
			var rebooting, rebooted bool
			e := emutest.Start(t, emulator.Config{
				Credentials: []emulator.Credential{{SecretID: accSecretID, SecretKey: accSecretKey}},
				Regions: seeded(inst("ins-web00001", "RUNNING",
					emulator.Transition{After: emulator.Duration(4 * time.Second), InstanceState: "REBOOTING"},
					emulator.Transition{After: emulator.Duration(6 * time.Second), InstanceState: "RUNNING"})),
				Now: clock.Now,
			}, emutest.Options{OnAnswer: func(r *http.Request, body []byte) {
				var a struct {
					Response struct {
						InstanceStatusSet []struct{ InstanceState string }
					}
				}
				if r.Header.Get("X-TC-Action") != "DescribeInstancesStatus" || json.Unmarshal(body, &a) != nil || len(a.Response.InstanceStatusSet) != 1 {
					return
				}
				state := a.Response.InstanceStatusSet[0].InstanceState
				mu.Lock()
				defer mu.Unlock()
				seen[r.UserAgent()] = append(seen[r.UserAgent()], state)
				switch {
				case state == "RUNNING" && !rebooting:
					rebooting = true
					clock.Advance(4 * time.Second) // the reboot begins
				case state == "REBOOTING" && !rebooted:
					rebooted = true
					clock.Advance(2 * time.Second) // and ends
				}
			}})
			var clients atomic.Int64
			name := WithClientConfig(func(c *cvm.Config) { c.UserAgent = fmt.Sprintf("client-%d", clients.Add(1)) })
			config := requiredProviders + fmt.Sprintf(`provider "cvm" {
  endpoint   = %q
  secret_id  = %q
  secret_key = %q
}
data "cvm_instances_status" "test" {
  instance_ids    = ["ins-web00001"]
  wait_for_states = ["RUNNING"]
  wait_stable_for = %q
}`, e.URL, accSecretID, accSecretKey, tc.stable)
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: factories(t, name),
				Steps: []resource.TestStep{{
					Config:   config,
					PlanOnly: true,
				}},
			})
			mu.Lock()
			defer mu.Unlock()
			first := seen["client-1"]
			switch {
			case len(first) == 0:
				t.Fatalf("the first plan did not read: %v", seen)
			case tc.waitsItOut && (!slices.Contains(first, "REBOOTING") || first[len(first)-1] != "RUNNING"):
				t.Fatalf("the first plan's polls saw %v; want it to wait through the reboot and end on RUNNING", first)
			case !tc.waitsItOut && (len(first) != 1 || first[0] != "RUNNING"):
				t.Fatalf("the first plan's polls saw %v; want one poll, RUNNING", first)
			}
		})
	}
}
