package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
)

const instanceIDRule = `an instance ID is "ins-" followed by exactly 8 lowercase letters or digits, such as "ins-r8hr2upy"`

// instanceIDValidator checks one instance ID, before any request is made,
// and says how to fix the common mistakes.
type instanceIDValidator struct{}

func (instanceIDValidator) Description(context.Context) string {
	return "must be " + instanceIDRule
}

func (v instanceIDValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (instanceIDValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() { // nulls: notNullValidator
		return
	}
	if msg := instanceIDProblem(req.ConfigValue.ValueString()); msg != "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Instance ID", req.Path.String()+": "+msg)
	}
}

// instanceIDProblem explains what is wrong with id, or returns "".
func instanceIDProblem(id string) string {
	if cvm.ValidInstanceID(id) {
		return ""
	}
	quoted := fmt.Sprintf("%q", id)
	if len(id) > 40 {
		quoted = fmt.Sprintf("%q… (%d characters)", id[:40], len(id))
	}
	msg := fmt.Sprintf("%s is not a valid instance ID: %s.", quoted, instanceIDRule)
	trimmed := strings.TrimSpace(id)
	switch {
	case id == "":
		msg = "the instance ID is empty: " + instanceIDRule + "."
	case trimmed != id && cvm.ValidInstanceID(strings.ToLower(trimmed)):
		msg += fmt.Sprintf(" It has surrounding spaces: use %q (trimspace() removes them).", strings.ToLower(trimmed))
	case cvm.ValidInstanceID(strings.ToLower(id)):
		msg += fmt.Sprintf(" IDs are lower case: use %q (lower() converts it).", strings.ToLower(id))
	}
	return msg
}

// notNullValidator refuses a null list element. Left alone, a null reaches
// Read and fails there as the framework's internal "Value Conversion Error".
type notNullValidator struct{ what, rule string }

func (v notNullValidator) Description(context.Context) string {
	return "each " + v.what + " must not be null"
}

func (v notNullValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v notNullValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+strings.ToUpper(v.what[:1])+v.what[1:],
			fmt.Sprintf("%s: the %s must not be null: %s.", req.Path, v.what, v.rule))
	}
}
