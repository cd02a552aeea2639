// Command terraform-provider-cvm serves the cvm Terraform provider.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"

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

	// Terraform does not tell providers to stop while `terraform apply`
	// plans; a terminal's Ctrl-C reaches this process too, and ends the
	// reads in flight (see provider.WithInterrupt). go-plugin keeps
	// SIGINT from stopping the process itself.
	interrupted, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	newServer := provider.NewServer(version, provider.WithInterrupt(interrupted))
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
