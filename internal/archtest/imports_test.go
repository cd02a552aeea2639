package archtest

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/cvmkit/terraform-provider-cvm"

// The nevers, on the graph of non-test imports (go list's Deps, so an
// indirect import through a third package counts too):
//   - tcapi imports none of credentials, cvm and tat (nor provider);
//   - credentials and cvm do not import each other (nor provider, nor tat);
//   - tat, the second service (TAT), is a sibling of cvm over tcapi: it
//     imports neither cvm nor credentials (nor provider), and cvm does not
//     import it: the provider hands cvm its agents through cvm.AgentSource;
//   - nothing under internal/ but provider depends on Terraform
//     (github.com/hashicorp/terraform-plugin-*); among test files, only
//     provider's and bench's import it (bench runs the provider's server in
//     BenchmarkProviderRead);
//   - the emulator (internal/emulator/..., cmd/cvm-emulator) depends on none
//     of tcapi, credentials, cvm, tat and provider, test files included: it
//     shares no code with the client.
//
// The rooms' test files keep to the same rules (tcapi's, credentials' and
// tat's are checked), with one exception: cvm's fault suite signs its reads
// with credentials' temporary sources (assumed roles and web identities
// revoked mid-read), as the provider does.
var never = map[string][]string{
	"internal/tcapi":       {"internal/credentials", "internal/cvm", "internal/tat", "internal/provider"},
	"internal/credentials": {"internal/cvm", "internal/tat", "internal/provider"},
	"internal/cvm":         {"internal/credentials", "internal/provider", "internal/tat"},
	"internal/tat":         {"internal/credentials", "internal/cvm", "internal/provider"},
}

var clientRooms = []string{"internal/tcapi", "internal/credentials", "internal/cvm", "internal/tat", "internal/provider"}

// terraformInTests are the packages whose test files may import Terraform.
var terraformInTests = []string{"internal/provider", "internal/bench"}

func TestImportNevers(t *testing.T) {
	// One line a package: its path, every package it depends on (Deps, the
	// transitive closure of its non-test imports), and its test files' imports.
	for _, line := range list(t, "-f", `{{.ImportPath}}|{{join .Deps " "}}|{{join .TestImports " "}} {{join .XTestImports " "}}`, "./...") {
		fields := strings.Split(line, "|")
		pkg, deps, direct := fields[0], strings.Fields(fields[1]), strings.Fields(fields[2])
		rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
		for _, bad := range never[rel] {
			if slices.Contains(deps, module+"/"+bad) {
				t.Errorf("%s depends on %s", rel, bad)
			}
		}
		if rel == "internal/tcapi" || rel == "internal/credentials" || rel == "internal/tat" {
			for _, bad := range never[rel] {
				if slices.Contains(direct, module+"/"+bad) {
					t.Errorf("%s's tests import %s", rel, bad)
				}
			}
		}
		if strings.HasPrefix(rel, "internal/") && rel != "internal/provider" {
			for _, d := range deps {
				if isTerraform(d) {
					t.Errorf("%s depends on Terraform (%s): only internal/provider may", rel, d)
					break
				}
			}
			if !slices.Contains(terraformInTests, rel) {
				for _, d := range direct {
					if isTerraform(d) {
						t.Errorf("%s's tests import Terraform (%s)", rel, d)
						break
					}
				}
			}
		}
		if strings.HasPrefix(rel, "internal/emulator") || rel == "cmd/cvm-emulator" {
			for _, d := range append(deps, direct...) {
				for _, room := range clientRooms {
					if d == module+"/"+room {
						t.Errorf("%s imports the client's %s: the emulator shares no code with the client", rel, room)
					}
				}
			}
		}
	}
}

func isTerraform(importPath string) bool {
	return strings.HasPrefix(importPath, "github.com/hashicorp/terraform-plugin-")
}

// list runs go list from the module root.
func list(t *testing.T, args ...string) []string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v", strings.Join(args, " "), err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}
