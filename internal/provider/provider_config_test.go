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

// isolateEnv clears every variable the provider reads and points HOME at an
// empty directory, so that the machine's own credentials cannot leak in.
func isolateEnv(t *testing.T) {
	t.Helper()
	for _, v := range []string{EnvSecretID, EnvSecretKey, EnvSecurityToken, EnvRegion, EnvProfile, EnvSharedCredentials,
		EnvCAMRoleName, EnvAssumeRoleARN, EnvAssumeRoleSession, EnvAssumeRoleDuration, EnvDomain, EnvProtocol,
		EnvEndpoint, EnvRateLimit, EnvMaxRetries, EnvRequestTimeout} {
		t.Setenv(v, "")
	}
	t.Setenv("HOME", t.TempDir())
}

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
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(opts...),
		Steps:                    []resource.TestStep{{Config: withRequiredProviders(config), ConfigStateChecks: foundOne}},
	})
}

func TestAccProvider_credentialsFromEnvironment(t *testing.T) {
	needsEmulator(t)
	isolateEnv(t)
	target := newAccTarget(t, seeded(inst("ins-aaaaaaaa", "RUNNING")))
	t.Setenv(EnvSecretID, accSecretID)
	t.Setenv(EnvSecretKey, accSecretKey)
	t.Setenv(EnvEndpoint, target.emu.URL())
	testConfig(t, `provider "cvm" {}`+readOne)
}

func TestAccProvider_explicitBeatsEnvironment(t *testing.T) {
	needsEmulator(t)
	isolateEnv(t)
	target := newAccTarget(t, seeded(inst("ins-aaaaaaaa", "RUNNING")))
	t.Setenv(EnvSecretID, "AKIDfromtheenvironment")
	t.Setenv(EnvSecretKey, "wrong-key-from-the-environment")
	testConfig(t, target.provider+readOne)
}

func TestAccProvider_credentialsAndRegionFromProfile(t *testing.T) {
	needsEmulator(t)
	isolateEnv(t)
	target := newAccTarget(t, map[string][]emulator.Instance{"ap-shanghai": {inst("ins-aaaaaaaa", "RUNNING")}})
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "ops.credential"), fmt.Sprintf(`{"secretId": %q, "secretKey": %q}`, accSecretID, accSecretKey))
	writeFile(t, filepath.Join(dir, "ops.configure"), `{"_sys_param": {"region": "ap-shanghai"}}`)
	t.Setenv(EnvProfile, "ops")
	t.Setenv(EnvSharedCredentials, dir)
	testConfig(t, fmt.Sprintf(`provider "cvm" {
  endpoint = %q
}`, target.emu.URL())+readOne)
}

func TestAccProvider_camRole(t *testing.T) {
	needsEmulator(t)
	isolateEnv(t)
	target := newAccTarget(t, seeded(inst("ins-aaaaaaaa", "RUNNING")))
	testConfig(t, fmt.Sprintf(`provider "cvm" {
  endpoint      = %q
  cam_role_name = "emulator-cvm-role"
}`, target.emu.URL())+readOne, WithMetadataURL(target.emu.URL()))
}

func TestAccProvider_assumeRole(t *testing.T) {
	needsEmulator(t)
	isolateEnv(t)
	target := newAccTarget(t, seeded(inst("ins-aaaaaaaa", "RUNNING")))
	testConfig(t, fmt.Sprintf(`provider "cvm" {
  endpoint   = %q
  secret_id  = %q
  secret_key = %q
  assume_role {
    role_arn         = "qcs::cam::uin/100000000001:roleName/reader"
    session_duration = 3600
  }
}`, target.emu.URL(), accSecretID, accSecretKey)+readOne, WithSTSEndpoint(target.emu.URL()))
	if got := target.emu.Stats().ByAction["AssumeRole"]; got == 0 {
		t.Fatal("the read did not go through STS AssumeRole")
	}
}

func TestAccProvider_assumeRoleFromEnvironment(t *testing.T) {
	needsEmulator(t)
	isolateEnv(t)
	target := newAccTarget(t, seeded(inst("ins-aaaaaaaa", "RUNNING")))
	t.Setenv(EnvAssumeRoleARN, "qcs::cam::uin/100000000001:roleName/reader")
	t.Setenv(EnvAssumeRoleSession, "ci-session")
	testConfig(t, target.provider+readOne, WithSTSEndpoint(target.emu.URL()))
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
