module github.com/cvmkit/terraform-provider-cvm/internal/emulator/sdkcheck

go 1.26.0

// The emulator under test is this repository's, not a published version.
replace github.com/cvmkit/terraform-provider-cvm => ../../..

// cvm v1.3.183 declares common v1.3.183, which the module proxy does not serve.
// The cvm package only needs common's stable client API, so that one version is
// pointed at the common release required below.
replace github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common v1.3.183 => github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common v1.3.209

require (
	github.com/cvmkit/terraform-provider-cvm v0.0.0-00010101000000-000000000000
	github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common v1.3.209
	github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/cvm v1.3.183
	github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/sts v1.1.11
)
