package provider

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
)

// The worked examples under examples/ are run here, unchanged, so that none
// of them can rot. They configure the provider the way users do, so the
// emulator is reached through the environment; exampleEnv returns the
// provider factories with that environment.
func exampleEnv(t *testing.T, regions map[string][]emulator.Instance) map[string]func() (tfprotov6.ProviderServer, error) {
	t.Helper()
	needsEmulator(t)
	target := newAccTarget(t, regions)
	return factories(t, testEnv(t, map[string]string{EnvEndpoint: target.emu.URL(), EnvSecretID: accSecretID, EnvSecretKey: accSecretKey}))
}

func ids(values ...string) config.Variable {
	vars := make([]config.Variable, len(values))
	for i, v := range values {
		vars[i] = config.StringVariable(v)
	}
	return config.ListVariable(vars...)
}

// The provider example holds a provider block alone, which Terraform drops
// when nothing uses it; the data source example reads with whatever
// provider block the user has. Both files, unchanged, make one
// configuration, as a user puts them together: the provider block is
// validated, configured and read through, against the emulator, in one
// terraform run. (The data source example's terraform.tf only names the
// provider, as provider.tf does.)
func TestAccExample_providerAndDataSource(t *testing.T) {
	needsEmulator(t)
	target := newAccTarget(t, map[string][]emulator.Instance{
		DefaultRegion: {inst("ins-aaaaaaaa", "RUNNING"), inst("ins-bbbbbbbb", "STOPPED")},
		"ap-shanghai": {inst("ins-cccccccc", "RUNNING"), inst("ins-dddddddd", "RUNNING")},
	})
	providers := factories(t, testEnv(t, map[string]string{EnvEndpoint: target.emu.URL(), EnvSecretID: accSecretID, EnvSecretKey: accSecretKey}))
	dir := t.TempDir()
	for from, to := range map[string]string{
		"../../examples/provider/provider.tf":                             "provider.tf",
		"../../examples/data-sources/cvm_instances_status/data-source.tf": "data-source.tf",
	} {
		example, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, to), string(example))
	}
	// The directory holds a provider block, so the harness wants the
	// provider named on the step rather than the test case.
	resource.ParallelTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			ProtoV6ProviderFactories: providers,
			ConfigDirectory:          config.StaticDirectory(dir),
			ConfigVariables:          config.Variables{"web_instance_ids": ids("ins-aaaaaaaa", "ins-bbbbbbbb", "ins-eeeeeeee")},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.cvm_instances_status.web", tfjsonpath.New("region"), knownvalue.StringExact("ap-guangzhou")),
				statecheck.ExpectKnownOutputValue("web_states", knownvalue.MapExact(map[string]knownvalue.Check{
					"ins-aaaaaaaa": knownvalue.StringExact("RUNNING"),
					"ins-bbbbbbbb": knownvalue.StringExact("STOPPED"),
				})),
				statecheck.ExpectKnownOutputValue("web_not_found", knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("ins-eeeeeeee")})),
				statecheck.ExpectKnownOutputValue("shanghai_running", knownvalue.Int64Exact(2)),
			},
		}},
	})
	if got := target.emu.Stats().ByAction["DescribeInstancesStatus"]; got == 0 {
		t.Error("the emulator saw no DescribeInstancesStatus: the example's provider block was not used")
	}
}

func TestAccExample_gatedDeploy(t *testing.T) {
	providers := exampleEnv(t, seeded(inst("ins-aaaaaaaa", "RUNNING"), inst("ins-bbbbbbbb", "RUNNING"), inst("ins-cccccccc", "STOPPED")))
	dir := config.StaticDirectory("../../examples/gated-deploy")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: providers,
		Steps: []resource.TestStep{
			{
				ConfigDirectory: dir,
				ConfigVariables: config.Variables{"web_instance_ids": ids("ins-aaaaaaaa", "ins-cccccccc")},
				ExpectError:     regexp.MustCompile(`Resource precondition failed[\s\S]*Web instances not running: ins-cccccccc \(STOPPED\)`),
			},
			{
				ConfigDirectory: dir,
				ConfigVariables: config.Variables{"web_instance_ids": ids("ins-aaaaaaaa", "ins-dddddddd")},
				ExpectError:     regexp.MustCompile(`Unknown web instances: ins-dddddddd`),
			},
			{
				ConfigDirectory: dir,
				ConfigVariables: config.Variables{"web_instance_ids": ids("ins-aaaaaaaa", "ins-bbbbbbbb")},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("release", knownvalue.StringExact("2026.11.1")),
				},
			},
		},
	})
}

func TestAccExample_checkBlock(t *testing.T) {
	providers := exampleEnv(t, seeded(inst("ins-aaaaaaaa", "RUNNING"), inst("ins-bbbbbbbb", "STOPPED")))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: providers,
		Steps: []resource.TestStep{{
			// The assertion fails (one instance is stopped); a check block
			// only warns, so the run must still succeed. A failed check
			// leaves its data source to be read again by the next plan,
			// which Terraform shows as a pending read.
			ConfigDirectory:    config.StaticDirectory("../../examples/check-block"),
			ExpectNonEmptyPlan: true,
			ConfigVariables:    config.Variables{"web_instance_ids": ids("ins-aaaaaaaa", "ins-bbbbbbbb")},
		}},
	})
}

func TestAccExample_waitForRunning(t *testing.T) {
	providers := exampleEnv(t, seeded(
		inst("ins-aaaaaaaa", "RUNNING"),
		inst("ins-bbbbbbbb", "STARTING", emulator.Transition{After: emulator.Duration(1500 * time.Millisecond), InstanceState: "RUNNING"}),
	))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: providers,
		Steps: []resource.TestStep{{
			ConfigDirectory: config.StaticDirectory("../../examples/wait-for-running"),
			ConfigVariables: config.Variables{"new_instance_ids": ids("ins-bbbbbbbb", "ins-aaaaaaaa")},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownOutputValue("registered", knownvalue.ListExact([]knownvalue.Check{
					knownvalue.StringExact("ins-aaaaaaaa"), knownvalue.StringExact("ins-bbbbbbbb"),
				})),
			},
		}},
	})
}

// wrapped matches text in a message Terraform may have wrapped: any space
// may be a line break.
func wrapped(text string) string {
	return strings.ReplaceAll(regexp.QuoteMeta(text), " ", `\s+`)
}

// The readiness gate refuses the deploy with not_ready as its message, every
// instance and reason in it (jsonencode sorts the keys), a missing ID
// included; and lets it through when every instance is ready.
func TestAccExample_readinessGate(t *testing.T) {
	providers := exampleEnv(t, seeded(unreadyFleet()...))
	dir := config.StaticDirectory("../../examples/readiness-gate")
	var reasons []string
	for _, r := range []string{
		`"ins-expired1":["restricted: EXPIRED (isolated: EXPIRE)"]`,
		`"ins-failed01":["latest operation ResetInstance FAILED: image not found"]`,
		`"ins-gone0001":["not found in ap-guangzhou"]`,
		`"ins-maint001":["maintenance task rep-12345678 (107 maintenance upgrade) SCHEDULED"]`,
		`"ins-noagent1":["no TAT agent reported"]`,
		`"ins-offline1":["TAT agent Offline since 2026-12-01T00:00:00Z"]`,
	} {
		reasons = append(reasons, wrapped(r))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: providers,
		Steps: []resource.TestStep{
			{
				ConfigDirectory: dir,
				ConfigVariables: config.Variables{"web_instance_ids": ids("ins-ready001", "ins-failed01", "ins-expired1", "ins-maint001", "ins-offline1", "ins-noagent1", "ins-gone0001")},
				ExpectError:     regexp.MustCompile(`Resource precondition failed[\s\S]*Web\s+instances\s+not\s+ready:\s+\{` + strings.Join(reasons, `,\s*`) + `\}`),
			},
			{
				ConfigDirectory: dir,
				ConfigVariables: config.Variables{"web_instance_ids": ids("ins-ready001")},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("release", knownvalue.StringExact("2026.12.1")),
				},
			},
		},
	})
}

// The readiness check block only warns: when its assertion fails, and when
// its data source cannot read a check at all (the agent check denied), the
// run still succeeds.
func TestAccExample_readinessCheck(t *testing.T) {
	needsEmulator(t)
	target := newAccTarget(t, seeded(unreadyFleet()...))
	providers := factories(t, testEnv(t, map[string]string{EnvEndpoint: target.emu.URL(), EnvSecretID: accSecretID, EnvSecretKey: accSecretKey}))
	dir := config.StaticDirectory("../../examples/readiness-check")
	vars := config.Variables{"web_instance_ids": ids("ins-ready001", "ins-failed01", "ins-offline1")}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: providers,
		Steps: []resource.TestStep{
			{
				// A failed check leaves its data source to be read again by
				// the next plan, which Terraform shows as a pending read.
				ConfigDirectory:    dir,
				ConfigVariables:    vars,
				ExpectNonEmptyPlan: true,
			},
			{
				PreConfig: func() {
					denied := emulator.Faults{Errors: map[string]float64{"UnauthorizedOperation": 1}, Actions: []string{"DescribeAutomationAgentStatus"}}
					if err := target.emu.SetFaults(denied); err != nil {
						t.Fatal(err)
					}
				},
				ConfigDirectory:    dir,
				ConfigVariables:    vars,
				ExpectNonEmptyPlan: true,
			},
		},
	})
	if got := target.emu.Stats().ByAction["DescribeAutomationAgentStatus"]; got == 0 {
		t.Error("the emulator saw no DescribeAutomationAgentStatus: the agent check was not read")
	}
}

// wait_for_ready rides out an instance coming up and its agent coming
// online after it, and a maintenance task ending, before the deploy.
func TestAccExample_waitForReady(t *testing.T) {
	online := &emulator.Agent{AgentStatus: "Online", Version: "1.1.9"}
	providers := exampleEnv(t, seeded(
		emulator.Instance{InstanceId: "ins-aaaaaaaa", InstanceState: "STARTING", Transitions: []emulator.Transition{
			{After: emulator.Duration(time.Second), InstanceState: "RUNNING"},
			{After: emulator.Duration(1500 * time.Millisecond), Readiness: emulator.Readiness{Agent: online}},
		}},
		emulator.Instance{InstanceId: "ins-bbbbbbbb", InstanceState: "RUNNING", Readiness: emulator.Readiness{Agent: online,
			MaintenanceTasks: []emulator.MaintenanceTask{{TaskId: "rep-12345678", TaskTypeId: 107, TaskStatus: 2, CreateTime: "2026-01-01 00:00:00"}}},
			Transitions: []emulator.Transition{{After: emulator.Duration(1500 * time.Millisecond), Readiness: emulator.Readiness{MaintenanceTasks: []emulator.MaintenanceTask{}}}}},
	))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: providers,
		Steps: []resource.TestStep{{
			ConfigDirectory: config.StaticDirectory("../../examples/wait-for-ready"),
			ConfigVariables: config.Variables{"new_instance_ids": ids("ins-bbbbbbbb", "ins-aaaaaaaa")},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownOutputValue("deployed_to", knownvalue.ListExact([]knownvalue.Check{
					knownvalue.StringExact("ins-aaaaaaaa (TAT agent 1.1.9)"), knownvalue.StringExact("ins-bbbbbbbb (TAT agent 1.1.9)"),
				})),
			},
		}},
	})
}

// The configuration `make demo` plans, with the emulator data it ships.
func TestAccExample_demo(t *testing.T) {
	data, err := emulator.LoadDataFile("../../examples/demo/emulator-data.json")
	if err != nil {
		t.Fatal(err)
	}
	regions := data.Regions
	regions[DefaultRegion] = append(regions[DefaultRegion], emulator.GenerateInstances(1000, 7)...)
	providers := exampleEnv(t, regions)
	resource.ParallelTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			ProtoV6ProviderFactories: providers,
			ConfigDirectory:          config.StaticDirectory("../../examples/demo"),
			// The batch check fails on purpose (a stopped and a rebooting
			// worker): a warning, and its data source is read again next plan.
			ExpectNonEmptyPlan: true,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownOutputValue("web_tier", knownvalue.StringExact(
					"ins-web00001   RUNNING\nins-web00002   RUNNING\nins-web00003   RUNNING")),
				statecheck.ExpectKnownOutputValue("fleet_size", knownvalue.Int64Exact(1006)),
				// One web instance is RUNNING and not ready, for two reasons
				// the demo data gives it; the others are ready.
				statecheck.ExpectKnownOutputValue("web_not_ready", knownvalue.MapExact(map[string]knownvalue.Check{
					"ins-web00002": knownvalue.ListExact([]knownvalue.Check{
						knownvalue.StringExact("latest operation ResetInstance FAILED: The system disk could not be reinitialised."),
						knownvalue.StringExact("TAT agent Offline since 2026-12-04T03:12:45+08:00"),
					}),
				})),
				// Applied beside the failed check: a check block warns, it
				// does not block.
				statecheck.ExpectKnownValue("terraform_data.release", tfjsonpath.New("input"), knownvalue.StringExact("release-2026.11")),
			},
		}},
	})
}
