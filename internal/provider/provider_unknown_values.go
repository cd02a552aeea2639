package provider

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// refuseUnknown reports each attribute of the provider block whose value is
// known only after apply, at its own path (assume_role.role_arn is the
// attribute role_arn in the block assume_role), and says whether there was
// any. The client is built once, at configure time, and cannot wait for them.
func refuseUnknown(diags *diag.Diagnostics, config tftypes.Value) bool {
	found := false
	_ = tftypes.Walk(config, func(at *tftypes.AttributePath, v tftypes.Value) (bool, error) {
		if v.IsKnown() {
			return true, nil
		}
		found = true
		p, ok := frameworkPath(at)
		diags.AddAttributeError(p, "Unknown Provider Attribute Value",
			fmt.Sprintf("The provider cannot be configured because %s depends on a value that is known only after apply. "+
				"Set it to a value known at plan time, or pass it through an environment variable.", describePath(p, ok)))
		return false, nil // nothing inside an unknown value is known either
	})
	return found
}

// frameworkPath converts a protocol attribute path to the framework's; ok is
// false for a path it cannot express (the configuration as a whole).
func frameworkPath(at *tftypes.AttributePath) (path.Path, bool) {
	var p path.Path
	for i, step := range at.Steps() {
		switch s := step.(type) {
		case tftypes.AttributeName:
			if i == 0 {
				p = path.Root(string(s))
			} else {
				p = p.AtName(string(s))
			}
		case tftypes.ElementKeyInt:
			p = p.AtListIndex(int(s))
		case tftypes.ElementKeyString:
			p = p.AtMapKey(string(s))
		default:
			return p, false
		}
	}
	return p, len(at.Steps()) > 0
}

func describePath(p path.Path, ok bool) string {
	if !ok {
		return "the provider configuration"
	}
	return p.String()
}
