package provider

import (
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
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
