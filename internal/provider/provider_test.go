package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
)

const readOne = `
data "cvm_instances_status" "test" {
  instance_ids = ["ins-aaaaaaaa"]
}`

var foundOne = []statecheck.StateCheck{
	statecheck.ExpectKnownValue(ds, tfjsonpath.New("states"), knownvalue.MapExact(map[string]knownvalue.Check{
		"ins-aaaaaaaa": knownvalue.StringExact("RUNNING"),
	})),
}

// testConfig runs one step that must succeed and find ins-aaaaaaaa.
func testConfig(t *testing.T, config string, opts ...Option) {
	t.Helper()
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(t, opts...),
		Steps:                    []resource.TestStep{{Config: withRequiredProviders(config), ConfigStateChecks: foundOne}},
	})
}

func TestAccProvider_credentialsFromEnvironment(t *testing.T) {
	needsEmulator(t)
	target := newAccTarget(t, seeded(inst("ins-aaaaaaaa", "RUNNING")))
	testConfig(t, `provider "cvm" {}`+readOne, testEnv(t, map[string]string{
		EnvSecretID: accSecretID, EnvSecretKey: accSecretKey, EnvEndpoint: target.emu.URL(),
	}))
}

func TestAccProvider_explicitBeatsEnvironment(t *testing.T) {
	needsEmulator(t)
	target := newAccTarget(t, seeded(inst("ins-aaaaaaaa", "RUNNING")))
	testConfig(t, target.provider+readOne, testEnv(t, map[string]string{
		EnvSecretID: "AKIDfromtheenvironment", EnvSecretKey: "wrong-key-from-the-environment",
	}))
}

func TestAccProvider_credentialsAndRegionFromProfile(t *testing.T) {
	needsEmulator(t)
	target := newAccTarget(t, map[string][]emulator.Instance{"ap-shanghai": {inst("ins-aaaaaaaa", "RUNNING")}})
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "ops.credential"), fmt.Sprintf(`{"secretId": %q, "secretKey": %q}`, accSecretID, accSecretKey))
	writeFile(t, filepath.Join(dir, "ops.configure"), `{"_sys_param": {"region": "ap-shanghai"}}`)
	testConfig(t, fmt.Sprintf(`provider "cvm" {
  endpoint = %q
}`, target.emu.URL())+readOne, testEnv(t, map[string]string{EnvProfile: "ops", EnvSharedCredentials: dir}))
}

func TestAccProvider_camRole(t *testing.T) {
	needsEmulator(t)
	target := newAccTarget(t, seeded(inst("ins-aaaaaaaa", "RUNNING")))
	testConfig(t, fmt.Sprintf(`provider "cvm" {
  endpoint      = %q
  cam_role_name = "emulator-cvm-role"
}`, target.emu.URL())+readOne, testEnv(t, map[string]string{EnvMetadataEndpoint: target.emu.URL()}))
}

func TestAccProvider_assumeRole(t *testing.T) {
	needsEmulator(t)
	target := newAccTarget(t, seeded(inst("ins-aaaaaaaa", "RUNNING")))
	testConfig(t, fmt.Sprintf(`provider "cvm" {
  endpoint     = %q
  sts_endpoint = %q
  secret_id    = %q
  secret_key   = %q
  assume_role {
    role_arn         = "qcs::cam::uin/100000000001:roleName/reader"
    session_duration = 3600
  }
}`, target.emu.URL(), target.emu.URL(), accSecretID, accSecretKey)+readOne)
	if got := target.emu.Stats().ByAction["AssumeRole"]; got == 0 {
		t.Fatal("the read did not go through STS AssumeRole")
	}
}

func TestAccProvider_assumeRoleFromEnvironment(t *testing.T) {
	needsEmulator(t)
	target := newAccTarget(t, seeded(inst("ins-aaaaaaaa", "RUNNING")))
	testConfig(t, target.provider+readOne, testEnv(t, map[string]string{
		EnvAssumeRoleARN: "qcs::cam::uin/100000000001:roleName/reader", EnvAssumeRoleSession: "ci-session", EnvSTSEndpoint: target.emu.URL(),
	}))
	if got := target.emu.Stats().ByAction["AssumeRole"]; got == 0 {
		t.Fatal("TENCENTCLOUD_ASSUME_ROLE_ARN did not make the provider assume the role")
	}
}

func withRequiredProviders(config string) string {
	if strings.Contains(config, "required_providers") {
		return config
	}
	return requiredProviders + config
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
