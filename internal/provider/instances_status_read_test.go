package provider

import (
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
)

func TestDuplicateIDsWarnOnce(t *testing.T) {
	t.Parallel()
	var diags diag.Diagnostics
	warnDuplicates(&diags, []string{"ins-aaaaaaaa", "ins-bbbbbbbb", "ins-aaaaaaaa", "ins-aaaaaaaa", "ins-bbbbbbbb"})
	if diags.HasError() || diags.WarningsCount() != 1 {
		t.Fatalf("diagnostics = %v; want exactly one warning", diags)
	}
	if detail := diags.Warnings()[0].Detail(); !strings.Contains(detail, `"ins-aaaaaaaa", "ins-bbbbbbbb" more than once`) {
		t.Fatalf("warning %q must name each duplicated ID once", detail)
	}
	diags = nil
	warnDuplicates(&diags, []string{"ins-aaaaaaaa", "ins-bbbbbbbb"})
	if len(diags) != 0 {
		t.Fatalf("diagnostics = %v; want none without duplicates", diags)
	}
}
