package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// includeWords are include's words, in the order the docs give them.
var includeWords = func() []string {
	out := make([]string, len(cvm.AllChecks))
	for i, c := range cvm.AllChecks {
		out[i] = string(c)
	}
	return out
}()

// includeChecks is include's validator: each word names a readiness check.
// One error names every word that does not, with a hint for a typo.
var includeChecks includeValidator

type includeValidator struct{}

func (includeValidator) Description(context.Context) string {
	return "each must be one of " + strings.Join(includeWords, ", ")
}
func (v includeValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (includeValidator) ValidateSet(_ context.Context, req validator.SetRequest, resp *validator.SetResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	var bad []string
	for _, e := range req.ConfigValue.Elements() {
		s, ok := e.(types.String)
		if !ok || s.IsUnknown() {
			continue
		}
		if s.IsNull() {
			bad = append(bad, "null")
			continue
		}
		w := s.ValueString()
		if slices.Contains(includeWords, w) {
			continue
		}
		item := quote(w)
		if near := tcapi.Nearest(strings.ToLower(strings.TrimSpace(w)), includeWords); near != "" {
			item += fmt.Sprintf(" (did you mean %q?)", near)
		}
		bad = append(bad, item)
	}
	if len(bad) == 0 {
		return
	}
	slices.Sort(bad)
	noun := "is not a readiness check"
	if len(bad) > 1 {
		noun = "are not readiness checks"
	}
	resp.Diagnostics.AddAttributeError(req.Path, "Invalid Readiness Check",
		fmt.Sprintf("%s %s. The checks are %s.", strings.Join(bad, ", "), noun, checksExplained))
}

// checksExplained says what each check reads and the permission it needs.
const checksExplained = `"operation" (the latest operation did not fail; cvm:DescribeInstances), ` +
	`"restriction" (not isolated or expired; cvm:DescribeInstances), ` +
	`"maintenance" (no open maintenance task; cvm:DescribeTaskInfo) and ` +
	`"agent" (the TAT agent is online; tat:DescribeAutomationAgentStatus)`

// checkReadyWithStates refuses wait_for_ready beside a wait_for_states
// other than ["RUNNING"]: ready means RUNNING and more, so the two would
// ask for different things at once.
func checkReadyWithStates(diags *diag.Diagnostics, ready types.Bool, wanted types.List) {
	if ready.IsNull() || ready.IsUnknown() || !ready.ValueBool() || wanted.IsNull() || wanted.IsUnknown() {
		return
	}
	var states []string
	for _, e := range wanted.Elements() {
		s, ok := e.(types.String)
		if !ok || s.IsUnknown() {
			return
		}
		states = append(states, s.ValueString())
	}
	if slices.Equal(slices.Compact(slices.Clone(states)), []string{"RUNNING"}) {
		return
	}
	diags.AddAttributeError(path.Root("wait_for_states"), "Wait For Ready With Other States",
		fmt.Sprintf("wait_for_ready = true waits until every instance is RUNNING and passes the included checks, and cannot also wait for wait_for_states = [%s]. "+
			"Remove wait_for_states (or set it to [\"RUNNING\"]) to wait for readiness, or remove wait_for_ready to wait for those states.",
			strings.Join(quoteAll(states), ", ")))
}

// parseInclude reads include into cvm.Checks; validation has checked the
// words.
func parseInclude(ctx context.Context, diags *diag.Diagnostics, include types.Set) cvm.Checks {
	if include.IsNull() || include.IsUnknown() {
		return cvm.Checks{}
	}
	var words []string
	diags.Append(include.ElementsAs(ctx, &words, false)...)
	checks, err := cvm.ParseChecks(words)
	if err != nil {
		diags.AddAttributeError(path.Root("include"), "Invalid Readiness Check", err.Error())
	}
	return checks
}

// checkIncludeNeedsReady refuses include without wait_for_ready on the
// action: the checks would be read at every poll, a request or more each,
// and the wait would not wait for any of them.
func checkIncludeNeedsReady(diags *diag.Diagnostics, ready types.Bool, include types.Set) {
	if include.IsNull() || include.IsUnknown() || ready.IsUnknown() || ready.ValueBool() {
		return
	}
	diags.AddAttributeError(path.Root("include"), "Include Without Wait For Ready",
		"include names readiness checks, which the wait reads only to wait for readiness, and wait_for_ready is not set: "+
			"set wait_for_ready = true to wait until the instances are ready, or remove include.")
}
