package provider

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/cvmkit/terraform-provider-cvm/internal/credentials"
	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// The endpoint rules: the API endpoints, which the client itself refuses
// when unsafe, and the metadata service's.

// protocols are the values protocol takes, in any case; ParseEndpoint then
// refuses HTTP to anything but a loopback address.
var protocols = []string{"HTTPS", "HTTP"}

// knownProtocol says whether s is one of protocols.
func knownProtocol(s string) bool {
	return slices.ContainsFunc(protocols, func(p string) bool { return strings.EqualFold(p, s) })
}

// endpointValidator refuses, at validate time, endpoints the client would
// refuse.
type endpointValidator struct{}

func (endpointValidator) Description(context.Context) string {
	return "must be an https URL, or an http URL to a loopback address"
}

func (v endpointValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (endpointValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := tcapi.ParseEndpoint(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Endpoint", endpointProblem(err))
	}
}

// endpointProblem is the client's reason for refusing an endpoint, with
// what to do instead where it is not plain.
func endpointProblem(err error) string {
	if errors.Is(err, tcapi.ErrEndpointUserinfo) {
		return err.Error() + ": put keys in secret_id/secret_key or their environment variables."
	}
	return err.Error()
}

// metadataEndpointProblem says what is wrong with a metadata service URL.
// Plain http is what the real service speaks (it is link-local), so it is
// accepted; credentials in the URL are not.
func metadataEndpointProblem(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		return fmt.Sprintf("%s is not an http or https URL such as %q", quote(raw), credentials.DefaultMetadataURL)
	case u.User != nil:
		return "the URL contains user information, which it must not"
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Sprintf("%s has a query or fragment; give only the scheme, host, optional port and path", quote(raw))
	}
	return ""
}

// metadataEndpoint checks metadata_endpoint at validate time.
type metadataEndpoint struct{}

func (metadataEndpoint) Description(context.Context) string {
	return "must be an http or https URL"
}
func (v metadataEndpoint) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (metadataEndpoint) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if msg := metadataEndpointProblem(req.ConfigValue.ValueString()); msg != "" {
		addInvalid(&resp.Diagnostics, req.Path, req.Path.String(), msg)
	}
}
