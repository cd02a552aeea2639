//go:build generate

// Package tools pins the code-generation tools in their own module, so that
// they do not weigh on the provider's dependencies.
package tools

import (
	_ "github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs"
)

// Format the example configurations, then render docs/ from templates/,
// examples/ and the provider schema.
//go:generate terraform fmt -recursive ../examples/
//go:generate go run github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs generate --provider-dir .. --provider-name cvm
