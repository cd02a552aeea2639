// Command terraform-provider-cvm serves the cvm Terraform provider.
package main

import (
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

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

	newServer := provider.NewServer(version)
	var opts []tf6server.ServeOpt
	if debug {
		opts = append(opts, tf6server.WithManagedDebug())
	}
	err := tf6server.Serve("registry.terraform.io/cvmkit/cvm", func() tfprotov6.ProviderServer {
		srv, err := newServer()
		if err != nil {
			log.Fatalf("terraform-provider-cvm %s (%s): %s", version, commit, err)
		}
		return srv
	}, opts...)
	if err != nil {
		log.Fatalf("terraform-provider-cvm %s (%s): %s", version, commit, err)
	}
}
