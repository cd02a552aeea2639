// Package e2e holds end-to-end tests only: the provider binary, built with
// `go build`, run by the real `terraform` (through a temporary CLI
// configuration with dev_overrides for "cvmkit/cvm") against emulators the
// tests start on 127.0.0.1. They cover what only a real run shows: faults
// survived through a whole `terraform plan`, Ctrl-C, and secrets kept out of
// logs, plan files and state files.
//
// They run with TF_ACC set (as `make test` does) and need terraform on
// PATH, or TF_ACC_TERRAFORM_PATH.
package e2e
