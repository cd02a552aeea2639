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

// The readiness rules: include's words and wait_for_ready's bond with
// wait_for_states. The action uses them; the data source's own include and
// wait_for_ready (issue 21) are meant to use the same ones.

// checkWords are include's words, in cvm.AllChecks's order.
func checkWords() []string {
	words := make([]string, len(cvm.AllChecks))
	for i, c := range cvm.AllChecks {
		words[i] = string(c)
	}
	return words
}

// readinessChecks checks include: each word names a readiness check. The
// set is reported as a whole (an element of a set has no place a user could
// be pointed at), each bad word with a hint when it is close to a check.
type readinessChecks struct{}

var includeChecks = readinessChecks{}

func (readinessChecks) Description(context.Context) string {
	return "each must be one of " + strings.Join(quoteAll(checkWords()), ", ")
}

func (v readinessChecks) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

// problem says what is wrong with one word of include, or "".
func (readinessChecks) problem(word string) string {
	words := checkWords()
	if slices.Contains(words, word) {
		return ""
	}
	if low := strings.ToLower(strings.TrimSpace(word)); slices.Contains(words, low) {
		return fmt.Sprintf("%s is not a readiness check: checks are lower case; use %q", quote(word), low)
	}
	msg := fmt.Sprintf("%s is not a readiness check", quote(word))
	if near := tcapi.Nearest(word, words); near != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", near)
	}
	return msg
}

func (v readinessChecks) ValidateSet(_ context.Context, req validator.SetRequest, resp *validator.SetResponse) {
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
			bad = append(bad, "a check must not be null")
			continue
		}
		if msg := v.problem(s.ValueString()); msg != "" {
			bad = append(bad, msg)
		}
	}
	if len(bad) == 0 {
		return
	}
	slices.Sort(bad)
	addInvalid(&resp.Diagnostics, req.Path, req.Path.String(),
		strings.Join(bad, "; ")+". The checks are "+strings.Join(quoteAll(checkWords()), ", "))
}

// checkReadyStates refuses wait_for_ready = true beside wait_for_states
// other than ["RUNNING"]: a ready instance is a RUNNING one, so any other
// wanted state could never be reached, and the wait would only time out.
// Unknown values are left to the read or the invocation.
func checkReadyStates(diags *diag.Diagnostics, ready types.Bool, states types.List) {
	if ready.IsNull() || ready.IsUnknown() || !ready.ValueBool() || states.IsNull() || states.IsUnknown() {
		return
	}
	var wanted []string
	for _, e := range states.Elements() {
		s, ok := e.(types.String)
		if !ok || s.IsUnknown() {
			return
		}
		wanted = append(wanted, s.ValueString())
	}
	if len(wanted) == 0 || slices.Equal(slices.Compact(slices.Clone(wanted)), []string{"RUNNING"}) {
		return
	}
	diags.AddAttributeError(path.Root("wait_for_states"), "Wait For Ready With Other States",
		fmt.Sprintf("wait_for_ready = true waits for every instance to be RUNNING and ready, but wait_for_states = [%s] asks for other states, "+
			"which a ready instance is never in. Remove wait_for_states (or set it to [\"RUNNING\"]) to wait for readiness, "+
			"or remove wait_for_ready to wait for those states alone.",
			strings.Join(quoteAll(wanted), ", ")))
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
