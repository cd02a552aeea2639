package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
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
		EnvEndpoint, EnvRateLimit, EnvMaxRetries} {
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

// testConfigError runs one step that must fail with an error matching want.
func testConfigError(t *testing.T, config, want string, opts ...Option) {
	t.Helper()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(opts...),
		Steps:                    []resource.TestStep{{Config: withRequiredProviders(config), ExpectError: regexp.MustCompile(want)}},
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

func TestAccProvider_configurationErrors(t *testing.T) {
	isolateEnv(t)
	cases := map[string]struct {
		config string
		env    map[string]string
		want   string
	}{
		"no credentials anywhere": {
			config: `provider "cvm" {}`,
			want:   `No Usable Tencent Cloud Credentials[\s\S]*TENCENTCLOUD_SECRET_ID[\s\S]*profile[\s\S]*cam_role_name`,
		},
		"plain http to a remote host": {
			config: `provider "cvm" {
  endpoint = "http://cvm.example.com"
}`,
			want: `Invalid Endpoint[\s\S]*not a\s+loopback\s+address`,
		},
		"plain http from the environment": {
			config: `provider "cvm" {}`,
			env:    map[string]string{EnvEndpoint: "http://10.0.0.8:9100", EnvSecretID: "AKIDx", EnvSecretKey: "k"},
			want:   `Invalid Endpoint[\s\S]*TENCENTCLOUD_CVM_ENDPOINT[\s\S]*not a\s+loopback\s+address`,
		},
		"endpoint that is not a URL": {
			config: `provider "cvm" {
  endpoint = "cvm.tencentcloudapi.com"
}`,
			want: `Invalid Endpoint[\s\S]*not a URL`,
		},
		"unsupported scheme": {
			config: `provider "cvm" {
  endpoint = "ftp://127.0.0.1:9100"
}`,
			want: `Invalid Endpoint[\s\S]*unsupported scheme`,
		},
		"bad region": {
			config: `provider "cvm" {
  region = "Guangzhou"
}`,
			want: `region[\s\S]*Tencent Cloud region name`,
		},
		"bad region from the environment": {
			config: `provider "cvm" {}`,
			env:    map[string]string{EnvRegion: "ap guangzhou", EnvSecretID: "AKIDx", EnvSecretKey: "k"},
			want:   `Invalid Region[\s\S]*TENCENTCLOUD_REGION`,
		},
		"zero rate limit": {
			config: `provider "cvm" {
  rate_limit = 0
}`,
			want: `rate_limit[\s\S]*between 0.1`,
		},
		"negative max retries": {
			config: `provider "cvm" {
  max_retries = -1
}`,
			want: `max_retries[\s\S]*between 1`,
		},
		"rate limit from the environment": {
			config: `provider "cvm" {}`,
			env:    map[string]string{EnvRateLimit: "fast", EnvSecretID: "AKIDx", EnvSecretKey: "k"},
			want:   `Invalid Rate Limit[\s\S]*TENCENTCLOUD_CVM_RATE_LIMIT`,
		},
		"assume_role without a role ARN": {
			config: `provider "cvm" {
  assume_role {
    session_name = "x1"
  }
}`,
			want: `Missing Role ARN`,
		},
		"secret id without key": {
			config: `provider "cvm" {
  secret_id = "AKIDonly"
}`,
			want: `secret_key is not`,
		},
		"missing named profile": {
			config: `provider "cvm" {
  profile = "nope"
}`,
			want: `profile "nope"[\s\S]*does not exist`,
		},
		"unknown value at configure time": {
			config: `resource "terraform_data" "region" {
  input = "ap-guangzhou"
}
provider "cvm" {
  region     = terraform_data.region.output
  secret_id  = "AKIDx"
  secret_key = "k"
}`,
			want: `Unknown Provider Attribute Value[\s\S]*region`,
		},
		"timeout that does not parse": {
			config: `provider "cvm" {
  secret_id  = "AKIDx"
  secret_key = "k"
}
data "cvm_instances_status" "bad_timeout" {
  instance_ids = []
  timeouts     = { read = "soon" }
}`,
			want: `Invalid Attribute Value Time Duration[\s\S]*"soon"`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			testConfigError(t, tc.config+readOne, tc.want)
		})
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
