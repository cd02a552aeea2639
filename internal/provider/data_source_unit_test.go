package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// configWithIDs builds a data source configuration holding only instance_ids.
func configWithIDs(t *testing.T, ids ...string) tfsdk.Config {
	t.Helper()
	ctx := context.Background()
	var sresp datasource.SchemaResponse
	NewInstancesStatusDataSource().Schema(ctx, datasource.SchemaRequest{}, &sresp)
	typ, ok := sresp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		t.Fatalf("the schema's type is %T, not an object", sresp.Schema.Type().TerraformType(ctx))
	}
	attrs := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		attrs[name] = tftypes.NewValue(at, nil)
	}
	elems := make([]tftypes.Value, len(ids))
	for i, id := range ids {
		elems[i] = tftypes.NewValue(tftypes.String, id)
	}
	attrs["instance_ids"] = tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, elems)
	return tfsdk.Config{Schema: sresp.Schema, Raw: tftypes.NewValue(typ, attrs)}
}

func validatingDataSource(t *testing.T) datasource.DataSourceWithValidateConfig {
	t.Helper()
	d, ok := NewInstancesStatusDataSource().(datasource.DataSourceWithValidateConfig)
	if !ok {
		t.Fatal("the data source does not validate its configuration")
	}
	return d
}

func TestDuplicateIDsWarnOnce(t *testing.T) {
	d := validatingDataSource(t)
	var resp datasource.ValidateConfigResponse
	d.ValidateConfig(context.Background(), datasource.ValidateConfigRequest{
		Config: configWithIDs(t, "ins-aaaaaaaa", "ins-bbbbbbbb", "ins-aaaaaaaa", "ins-aaaaaaaa", "ins-bbbbbbbb"),
	}, &resp)
	if resp.Diagnostics.HasError() || resp.Diagnostics.WarningsCount() != 1 {
		t.Fatalf("diagnostics = %v; want exactly one warning", resp.Diagnostics)
	}
	detail := resp.Diagnostics.Warnings()[0].Detail()
	if !strings.Contains(detail, "ins-aaaaaaaa, ins-bbbbbbbb") {
		t.Fatalf("warning %q must name each duplicated ID once", detail)
	}
}

func TestNoWarningWithoutDuplicates(t *testing.T) {
	d := validatingDataSource(t)
	var resp datasource.ValidateConfigResponse
	d.ValidateConfig(context.Background(), datasource.ValidateConfigRequest{Config: configWithIDs(t, "ins-aaaaaaaa", "ins-bbbbbbbb")}, &resp)
	if len(resp.Diagnostics) != 0 {
		t.Fatalf("diagnostics = %v; want none", resp.Diagnostics)
	}
}

func TestInstanceIDProblem(t *testing.T) {
	long := "ins-" + strings.Repeat("a", 500)
	cases := []struct {
		id   string
		want string // "" means valid
	}{
		{"ins-r8hr2upy", ""},
		{"ins-00000000", ""},
		{"ins-1122", "not a valid instance ID"},
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
		got := instanceIDProblem(tc.id)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("instanceIDProblem(%q) = %q, want it to contain %q", tc.id, got, tc.want)
		}
		if len(got) > 400 {
			t.Errorf("instanceIDProblem(%q) is %d characters long; quote long values shortened", tc.id[:20], len(got))
		}
	}
}
