package provider

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// The cases of badInputs marked terraform, run through `terraform plan`
// against an emulator: Terraform shows the same error, and no request is
// sent. Accepted configurations must plan without error.
func TestAccBadInputThroughTerraform(t *testing.T) {
	t.Parallel()
	for _, tc := range badInputs() {
		if !tc.terraform {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			e, pcfg, dcfg, env := tc.setUp(t)
			config := requiredProviders + `
resource "terraform_data" "later" {
  input = "ins-aaaaaaaa"
}
resource "terraform_data" "later_list" {
  input = ["ins-aaaaaaaa"]
}
` + hclBlock(`provider "cvm"`, pcfg) + hclBlock(`data "cvm_instances_status" "test"`, dcfg)

			step := resource.TestStep{Config: config, PlanOnly: true}
			if tc.stage == ok {
				step.ExpectNonEmptyPlan = true
			} else {
				step.ExpectError = terraformErrorPattern(tc.want)
			}
			resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: factories(t, env), Steps: []resource.TestStep{step}})
			if got := e.Requests(); got != tc.requests {
				t.Errorf("%d requests reached the emulator, want %d", got, tc.requests)
			}
		})
	}
}

// terraformErrorPattern matches the wanted strings in order, across the
// line breaks Terraform puts into long diagnostics.
func terraformErrorPattern(want []string) *regexp.Regexp {
	parts := make([]string, len(want))
	for i, w := range want {
		words := strings.Fields(w)
		for j, word := range words {
			words[j] = regexp.QuoteMeta(word)
		}
		parts[i] = strings.Join(words, `\s+`)
	}
	return regexp.MustCompile(strings.Join(parts, `[\s\S]*`))
}

// hclBlock renders a block of the configurations badInputs describes:
// unknown becomes a value known only after apply, a map a nested block.
func hclBlock(header string, attrs map[string]any) string {
	var b strings.Builder
	b.WriteString(header + " {\n")
	names := make([]string, 0, len(attrs))
	for name := range attrs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v := attrs[name]
		if v == nil {
			continue
		}
		if m, isMap := v.(map[string]any); isMap {
			b.WriteString(hclBlock("  "+name, m))
			continue
		}
		fmt.Fprintf(&b, "  %s = %s\n", name, hclValue(v, name == "instance_ids"))
	}
	b.WriteString("}\n")
	return b.String()
}

func hclValue(v any, list bool) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case unknownValue:
		if list {
			return "terraform_data.later_list.output"
		}
		return "terraform_data.later.output"
	case string:
		r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`, "${", "$${", "%{", "%%{")
		return `"` + r.Replace(v) + `"`
	case []string:
		elems := make([]any, len(v))
		for i, s := range v {
			elems[i] = s
		}
		return hclValue(elems, list)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = hclValue(e, false)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		parts := make([]string, 0, len(v))
		for k, e := range v {
			parts = append(parts, k+" = "+hclValue(e, false))
		}
		sort.Strings(parts)
		return "{ " + strings.Join(parts, ", ") + " }"
	}
	return fmt.Sprint(v)
}

// A wait_stable_for known only after apply is held against timeouts.read
// once it is known (Terraform validates the data source again before the
// read; the read checks too, for clients that do not), before any request:
// the same refusal `terraform validate` gives when both are written out.
func TestAccWaitStableForKnownOnlyAtApply(t *testing.T) {
	needsEmulator(t)
	target := newAccTarget(t, seeded(inst("ins-aaaaaaaa", "RUNNING")))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(t),
		Steps: []resource.TestStep{{
			Config: target.provider + `
resource "terraform_data" "stable" {
  input = "30s"
}
data "cvm_instances_status" "test" {
  instance_ids    = ["ins-aaaaaaaa"]
  wait_for_states = ["RUNNING"]
  wait_stable_for = terraform_data.stable.output
  timeouts {
    read = "10s"
  }
}`,
			ExpectError: terraformErrorPattern([]string{"Wait Stable For Longer Than The Read Timeout", `wait_stable_for = "30s" cannot fit in timeouts.read = "10s"`}),
		}},
	})
	if got := target.emu.Stats().Requests; got != 0 {
		t.Errorf("%d requests reached the emulator, want none: the refusal must come before any request", got)
	}
}
