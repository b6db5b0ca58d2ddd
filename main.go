// Command terraform-provider-clc is the Terraform provider for the
// CenturyLink Cloud Runner service.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/clc-tf/terraform-provider-clc/internal/provider"
)

// Set by the release build with -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = "none"
)

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers such as delve")
	flag.Parse()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/clc-tf/clc",
		Debug:   debug,
	})
	if err != nil {
		log.Fatalf("serving the provider (version %s, commit %s): %s", version, commit, err)
	}
}
