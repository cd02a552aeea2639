// Package sdkcheck holds the emulator's cross-check against the official
// Tencent Cloud Go SDK (common, cvm and sts): the SDK's own clients call the
// emulator and must get what the real service would answer.
//
// It is a module of its own so that the main module needs neither the SDK
// nor the replace directive the SDK requires (cvm v1.3.183 declares a
// common v1.3.183 that the module proxy does not serve), which keeps
// `go install github.com/cvmkit/terraform-provider-cvm/cmd/cvm-emulator@version`
// working. It imports the emulator through a replace of the main module
// with ../../.., which Go allows because its path lies under the main
// module's root (internal/ visibility follows import paths, not modules).
// `make test` runs it: cd internal/emulator/sdkcheck && go test ./...
package sdkcheck
