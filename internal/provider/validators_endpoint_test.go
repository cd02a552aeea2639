package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// validateEndpoint runs v on value at endpoint and returns the error's
// detail, or "".
func validateEndpoint(v validator.String, value string) string {
	req := validator.StringRequest{Path: path.Root("endpoint"), ConfigValue: types.StringValue(value)}
	var resp validator.StringResponse
	v.ValidateString(context.Background(), req, &resp)
	if !resp.Diagnostics.HasError() {
		return ""
	}
	return resp.Diagnostics.Errors()[0].Detail()
}

// The API endpoints: https anywhere, plain http only to this machine (the
// emulator), never keys in the URL; the error says what to do instead.
func TestEndpointRules(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"https://cvm.tencentcloudapi.com":             "",
		"http://127.0.0.1:9100":                       "",
		"http://cvm.tencentcloudapi.com":              "not a loopback address",
		"https://AKID:secret@cvm.tencentcloudapi.com": "put keys in secret_id/secret_key",
	}
	for value, want := range cases {
		got := validateEndpoint(endpointValidator{}, value)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("endpoint %q: %q, want it to contain %q", value, got, want)
		}
		if strings.Contains(got, "secret@") {
			t.Errorf("endpoint %q: the error repeats the URL's secret: %s", value, got)
		}
	}
}

// The metadata service speaks plain http (it is link-local), so http is
// accepted there; anything that is not a plain URL is not.
func TestMetadataEndpointRules(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"http://metadata.tencentyun.com/latest/meta-data": "",
		"http://127.0.0.1:9100/meta-data":                 "",
		"metadata.tencentyun.com":                         "is not an http or https URL",
		"ftp://metadata.tencentyun.com":                   "is not an http or https URL",
		"http://user:pw@metadata.tencentyun.com":          "user information",
		"http://metadata.tencentyun.com/?x=1":             "query or fragment",
	}
	for value, want := range cases {
		got := metadataEndpointProblem(value)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("metadata endpoint %q: %q, want it to contain %q", value, got, want)
		}
		if strings.Contains(got, "pw@") {
			t.Errorf("metadata endpoint %q: the error repeats the URL's password: %s", value, got)
		}
	}
}
