package provider

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
)

// The data source's list rules: instance_ids and wait_for_states, where one
// mistake repeated a thousand times is one error with a count.

// elementProblem is what is wrong with one element of a list, under a rule
// that many elements may break at once.
type elementProblem struct {
	rule   string // groups the elements that break the same rule
	title  string // the diagnostic's summary
	what   string // one element: "the instance ID is empty"
	fix    string // what to do, said once per rule
	plural string // many elements: "instance IDs are empty"
}

// listRules checks every element of a list of strings and reports one
// diagnostic per rule broken: the elements that break it (the first few,
// with their index) and a count of the rest. A list of a thousand bad IDs is
// one error, not a thousand.
type listRules struct {
	description string
	check       func(v types.String) *elementProblem
}

// listShown is how many offending elements a diagnostic names.
const listShown = 5

func (l listRules) Description(context.Context) string             { return l.description }
func (l listRules) MarkdownDescription(ctx context.Context) string { return l.Description(ctx) }

func (l listRules) ValidateList(_ context.Context, req validator.ListRequest, resp *validator.ListResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	type broken struct {
		problem *elementProblem
		at      []int
		lines   []string
	}
	var order []string
	byRule := map[string]*broken{}
	for i, e := range req.ConfigValue.Elements() {
		s, ok := e.(types.String)
		if !ok || s.IsUnknown() {
			continue
		}
		p := l.check(s)
		if p == nil {
			continue
		}
		b := byRule[p.rule]
		if b == nil {
			b = &broken{problem: p}
			byRule[p.rule] = b
			order = append(order, p.rule)
		}
		b.at = append(b.at, i)
		if len(b.lines) < listShown {
			b.lines = append(b.lines, fmt.Sprintf("%s: %s", req.Path.AtListIndex(i), p.what))
		}
	}
	for _, rule := range order {
		b := byRule[rule]
		if len(b.at) == 1 {
			resp.Diagnostics.AddAttributeError(req.Path.AtListIndex(b.at[0]), b.problem.title,
				fmt.Sprintf("%s. %s", b.lines[0], b.problem.fix))
			continue
		}
		detail := fmt.Sprintf("%d %s:\n  %s", len(b.at), b.problem.plural, strings.Join(b.lines, "\n  "))
		if rest := len(b.at) - len(b.lines); rest > 0 {
			detail += fmt.Sprintf("\n  and %d more", rest)
		}
		resp.Diagnostics.AddAttributeError(req.Path, b.problem.title+"s", detail+"\n\n"+b.problem.fix)
	}
}

const instanceIDRule = `an instance ID is "ins-" followed by exactly 8 lowercase letters or digits, such as "ins-r8hr2upy"`

// instanceIDs checks instance_ids before any request is made, and says how
// to fix the common mistakes.
var instanceIDs = listRules{
	description: "each must be " + instanceIDRule,
	check: func(v types.String) *elementProblem {
		if v.IsNull() {
			return &elementProblem{rule: "null", title: "Invalid Instance ID", what: "the instance ID must not be null",
				plural: "instance IDs are null", fix: "Remove the null, or filter nulls out: compact() does it."}
		}
		id := v.ValueString()
		if cvm.ValidInstanceID(id) {
			return nil
		}
		fixed := strings.ToLower(strings.TrimSpace(id))
		switch {
		case id == "":
			return &elementProblem{rule: "empty", title: "Invalid Instance ID", what: "the instance ID is empty",
				plural: "instance IDs are empty", fix: "Remove it; " + instanceIDRule + "."}
		case strings.TrimSpace(id) != id && cvm.ValidInstanceID(fixed):
			return &elementProblem{rule: "spaces", title: "Invalid Instance ID",
				what:   fmt.Sprintf("%s is not a valid instance ID: it has surrounding spaces; use %q", quote(id), fixed),
				plural: "instance IDs have surrounding spaces", fix: "trimspace() removes them."}
		case cvm.ValidInstanceID(fixed):
			return &elementProblem{rule: "case", title: "Invalid Instance ID",
				what:   fmt.Sprintf("%s is not a valid instance ID: IDs are lower case; use %q", quote(id), fixed),
				plural: "instance IDs are not in lower case", fix: "lower() converts them."}
		}
		return &elementProblem{rule: "malformed", title: "Invalid Instance ID",
			what:   fmt.Sprintf("%s is not a valid instance ID", quote(id)),
			plural: "instance IDs are malformed", fix: strings.ToUpper(instanceIDRule[:1]) + instanceIDRule[1:] + "."}
	},
}

// instanceStates checks wait_for_states against the documented states.
var instanceStates = listRules{
	description: "each must be one of " + strings.Join(cvm.States, ", "),
	check: func(v types.String) *elementProblem {
		all := "The states are " + strings.Join(quoteAll(cvm.States), ", ") + "."
		if v.IsNull() {
			return &elementProblem{rule: "null", title: "Invalid State", what: "the state must not be null", plural: "states are null", fix: all}
		}
		s := v.ValueString()
		if slices.Contains(cvm.States, s) {
			return nil
		}
		if up := strings.ToUpper(strings.TrimSpace(s)); slices.Contains(cvm.States, up) {
			return &elementProblem{rule: "case", title: "Invalid State",
				what:   fmt.Sprintf("%s is not a state: states are upper case; use %q", quote(s), up),
				plural: "states are not in upper case", fix: "upper() converts them."}
		}
		what := fmt.Sprintf("%s is not a state", quote(s))
		if near := cvm.NearestState(s); near != "" {
			what += fmt.Sprintf(" (did you mean %q?)", near)
		}
		return &elementProblem{rule: "unknown", title: "Invalid State", what: what, plural: "states are not states", fix: all}
	},
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = strconv.Quote(s)
	}
	return out
}
