package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestInstanceIDRules(t *testing.T) {
	t.Parallel()
	long := "ins-" + strings.Repeat("a", 500)
	cases := []struct {
		id   string
		want string // "" means valid
	}{
		{"ins-r8hr2upy", ""},
		{"ins-00000000", ""},
		{"ins-1122", `"ins-1122" is not a valid instance ID`},
		{"INS-R8HR2UPY", `use "ins-r8hr2upy"`},
		{"ins-R8HR2UPY", `use "ins-r8hr2upy"`},
		{" ins-r8hr2upy", "surrounding spaces"},
		{"ins-r8hr2upy\n", "surrounding spaces"},
		{"", "empty"},
		{"ins-r8hr2up_", "not a valid instance ID"},
		{"ins-r8hr2upyy", "not a valid instance ID"},
		{"i-r8hr2upy", "not a valid instance ID"},
		{long, "(504 characters)"},
	}
	for _, tc := range cases {
		p := instanceIDs.check(types.StringValue(tc.id))
		got := ""
		if p != nil {
			got = p.what
		}
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("instance ID %q: %q, want it to contain %q", tc.id, got, tc.want)
		}
		if len(got) > 400 {
			t.Errorf("instance ID %q…: a %d-character message; quote long values shortened", tc.id[:20], len(got))
		}
	}
}

func validateList(t *testing.T, v validator.List, elems ...string) diag.Diagnostics {
	t.Helper()
	values := make([]types.String, len(elems))
	for i, e := range elems {
		values[i] = types.StringValue(e)
	}
	list, d := types.ListValueFrom(context.Background(), types.StringType, values)
	if d.HasError() {
		t.Fatal(d)
	}
	var resp validator.ListResponse
	v.ValidateList(context.Background(), validator.ListRequest{Path: path.Root("instance_ids"), ConfigValue: list}, &resp)
	return resp.Diagnostics
}

// A thousand IDs that break the same rule are one error naming the first
// few and counting the rest; each rule broken is an error of its own.
func TestListRulesGroupByRule(t *testing.T) {
	t.Parallel()
	upper := make([]string, 1000)
	for i := range upper {
		upper[i] = fmt.Sprintf("INS-%08d", i)
	}
	diags := validateList(t, instanceIDs, upper...)
	if len(diags) != 1 {
		t.Fatalf("%d diagnostics for 1,000 upper-case IDs, want 1", len(diags))
	}
	detail := diags[0].Detail()
	for _, want := range []string{"1000 instance IDs are not in lower case", `instance_ids[0]: "INS-00000000"`, `use "ins-00000004"`, "and 995 more", "lower() converts them"} {
		if !strings.Contains(detail, want) {
			t.Errorf("the error does not say %q:\n%s", want, detail)
		}
	}
	if strings.Contains(detail, "INS-00000005") || len(detail) > 1000 {
		t.Errorf("a %d-byte error names more than five IDs:\n%s", len(detail), detail)
	}

	diags = validateList(t, instanceIDs, "ins-aaaaaaaa", "INS-BBBBBBBB", "", "ins-1", "INS-CCCCCCCC")
	var summaries []string
	for _, d := range diags {
		summaries = append(summaries, d.Summary())
	}
	if got := strings.Join(summaries, "; "); got != "Invalid Instance IDs; Invalid Instance ID; Invalid Instance ID" {
		t.Fatalf("summaries %q; want one error for the two upper-case IDs, one for the empty and one for the malformed", got)
	}
	if d, ok := diags[1].(diag.DiagnosticWithPath); !ok || !d.Path().Equal(path.Root("instance_ids").AtListIndex(2)) {
		t.Fatalf("the single empty ID's error is at %v, want instance_ids[2]", diags[1])
	}
}

func TestStateRules(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"RUNNING": "",
		"running": `use "RUNNING"`,
		"Stopped": `use "STOPPED"`,
		"RUNING":  `"RUNING" is not a state (did you mean "RUNNING"?)`,
		"STOPED":  `did you mean "STOPPED"?`,
		"ONLINE":  `"ONLINE" is not a state The states are`,
	}
	for s, want := range cases {
		p := instanceStates.check(types.StringValue(s))
		got := ""
		if p != nil {
			got = p.what + " " + p.fix
		}
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("state %q: %q, want it to contain %q", s, got, want)
		}
	}
}
