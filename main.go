// Command terraform-provider-cvm serves the cvm Terraform provider.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/cvmkit/terraform-provider-cvm/internal/provider"
)

// Set by the release build (goreleaser, make build) through -ldflags.
var (
	version = "dev"
	commit  = "none"
)

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address:         "registry.terraform.io/cvmkit/cvm",
		Debug:           debug,
		ProtocolVersion: 6,
	})
	if err != nil {
		log.Fatalf("terraform-provider-cvm %s (%s): %s", version, commit, err)
	}
}
