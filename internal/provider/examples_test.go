package provider

import (
	"os"
	"path/filepath"
	"regexp"
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
				// Applied beside the failed check: a check block warns, it
				// does not block.
				statecheck.ExpectKnownValue("terraform_data.release", tfjsonpath.New("input"), knownvalue.StringExact("release-2026.11")),
			},
		}},
	})
}
