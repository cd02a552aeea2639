package provider

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// The cases of badInputs marked terraform, run through `terraform plan`
// against emulators: Terraform shows the same errors, rendered, and no
// request is sent. Accepted configurations must plan without error. The
// cases of one stage share one terraform run, each case with a provider
// alias and a data source of its own, so that a run checks several; a case
// with an environment or files of its own runs alone.
func TestAccBadInputThroughTerraform(t *testing.T) {
	t.Parallel()
	runs := map[string][]badInput{}
	for _, tc := range badInputs() {
		if !tc.terraform {
			continue
		}
		run := "stage " + tc.stage
		if tc.stage == ok {
			run = "accepted"
		}
		if tc.env != nil || tc.files != nil {
			run = tc.name
		}
		runs[run] = append(runs[run], tc)
	}
	for run, cases := range runs {
		t.Run(run, func(t *testing.T) { planBadInputs(t, cases) })
	}
}

// planBadInputs plans cases in one terraform run, the environment being the
// first case's: all must be accepted, or each must show its error.
func planBadInputs(t *testing.T, cases []badInput) {
	t.Helper()
	config := requiredProviders + `
resource "terraform_data" "later" {
  input = "ins-aaaaaaaa"
}
resource "terraform_data" "later_list" {
  input = ["ins-aaaaaaaa"]
}
`
	emulators := make([]*emutest.Emulator, len(cases))
	var env Option
	for i, tc := range cases {
		e, pcfg, dcfg, caseEnv := tc.setUp(t)
		emulators[i] = e
		if i == 0 {
			env = caseEnv
		}
		alias := fmt.Sprintf("c%d", i)
		config += strings.Replace(hclBlock(`provider "cvm"`, pcfg), "{\n", "{\n  alias = \""+alias+"\"\n", 1) +
			strings.Replace(hclBlock(`data "cvm_instances_status" "`+alias+`"`, dcfg), "{\n", "{\n  provider = cvm."+alias+"\n", 1)
	}
	step := resource.TestStep{Config: config, PlanOnly: true}
	var failed atomic.Bool
	tcase := resource.TestCase{ProtoV6ProviderFactories: factories(t, env), Steps: []resource.TestStep{step}}
	if cases[0].stage == ok {
		tcase.Steps[0].ExpectNonEmptyPlan = true
	} else {
		// Terraform's order of diagnostics from several blocks is its own:
		// each case's error is looked for anywhere in the output.
		tcase.ErrorCheck = func(err error) error {
			failed.Store(true)
			var missing []string
			for _, tc := range cases {
				if !terraformErrorPattern(tc.want).MatchString(err.Error()) {
					missing = append(missing, tc.name)
				}
			}
			if len(missing) > 0 {
				return fmt.Errorf("terraform did not show the errors of %s: %w", strings.Join(missing, ", "), err)
			}
			return nil
		}
	}
	resource.ParallelTest(t, tcase)
	if cases[0].stage != ok && !failed.Load() {
		t.Errorf("terraform plan succeeded; want the errors of every case")
	}
	for i, tc := range cases {
		if got := emulators[i].Requests(); got != tc.requests {
			t.Errorf("%s: %d requests reached the emulator, want %d", tc.name, got, tc.requests)
		}
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
