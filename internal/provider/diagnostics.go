package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/cvmkit/terraform-provider-cvm/internal/credentials"
	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// readSettings are the settings a read ran with, which an error message
// about it refers to: the provider's (request_timeout, max_retries) and the
// read's own.
type readSettings struct {
	*providerData
	region  string        // the read's: the data source's, else the provider's
	timeout time.Duration // timeouts.read, or the action's timeout
	// invoked is true for the cvm_instances_wait action: its messages say
	// "wait" and name its timeout, and no destroy ever runs it.
	invoked bool
}

// limitName is the attribute that set rc.timeout.
func (rc readSettings) limitName() string {
	if rc.invoked {
		return actionLimit.name
	}
	return readLimit.name
}

// destroyHint is the hint for a wait that failed on instances that are
// terminating or gone, when the wait can be part of a destroy.
func (rc readSettings) destroyHint() string {
	if rc.invoked {
		return ""
	}
	return "\n\n" + destroyHint
}

// destroyHint explains the one case where a wait's failure is expected.
const destroyHint = "If this read is part of `terraform destroy`, instances that are terminating or gone are what the destroy expects: " +
	"run `terraform destroy -refresh=false`, which destroys from the state without reading data sources."

// addReadError turns a client error into a diagnostic a user can act on.
func addReadError(diags *diag.Diagnostics, rc readSettings, err error) {
	var (
		apiErr     *tcapi.APIError
		waitErr    *cvm.WaitError
		credErr    *tcapi.CredentialError
		accountErr *credentials.AccountError
	)
	switch {
	// First: an interrupted run is reported as such, whatever it was doing.
	case errors.Is(err, context.Canceled):
		title, doing := "Read Cancelled", "Reading instance states"
		if rc.invoked {
			title, doing = "Wait Cancelled", "Waiting for instance states"
		}
		detail := fmt.Sprintf("%s in %s was cancelled before it finished (Terraform was interrupted).", doing, rc.region)
		if errors.As(err, &waitErr) && len(waitErr.NotReady) > 0 {
			detail += fmt.Sprintf("\n\nIt was waiting for %s; not there yet: %s.", wantedText(waitErr), waitErr.List(10))
		}
		diags.AddError(title, detail)
	case errors.As(err, &waitErr) && waitErr.NotFound:
		diags.AddError("Instances Not Found",
			fmt.Sprintf("While waiting for %s in %s, these instance IDs were never found, poll after poll: %s.\n\n"+
				"The service reports a new instance at once, so these IDs are mistyped, in another region, or of instances deleted since. "+
				"Check instance_ids and region; missing_instance_ids lists such IDs without failing when wait_for_states is not set.%s",
				wantedText(waitErr), rc.region, waitErr.List(10), rc.destroyHint()))
	case errors.As(err, &waitErr) && waitErr.Stuck:
		diags.AddError("Instances Cannot Reach The Wanted State",
			fmt.Sprintf("Stopped waiting in %s: %s.\n\nThese instances are in states from which %s cannot be reached, or no longer exist, so waiting longer would not help.%s",
				rc.region, waitErr, strings.Join(waitErr.Wanted, " or "), rc.destroyHint()))
	case errors.As(err, &waitErr):
		diags.AddError("Timed Out Waiting For Instance States",
			fmt.Sprintf("After %s (%s) in %s, %s.\n\nRaise %s if the instances need longer, or check why they do not get there.",
				rc.timeout, rc.limitName(), rc.region, waitErr, rc.limitName()))
	case errors.As(err, &accountErr):
		diags.AddError("Wrong Tencent Cloud Account",
			fmt.Sprintf("Nothing was read: %s.\n\nThe credential came from %s; the provider asked STS GetCallerIdentity who it is before the first read. "+
				"Check which credential the provider finds (the precedence is in the provider's documentation), or the account lists.", accountErr, rc.client.CredentialSourceName()))
	case errors.As(err, &credErr):
		detail := fmt.Sprintf("Credentials from %s could not be obtained: %s", credErr.Source, credErr.Err)
		switch {
		case errors.As(err, &apiErr):
			if hint := apiErrorHint(apiErr, rc); hint != "" {
				detail += "\n\n" + hint
			}
		case errors.Is(err, credentials.ErrSessionCannotBeRenewed):
			detail += "\n\nRun again with a fresh MFA code (token_code) or SAML assertion (saml_assertion). For runs this long, raise session_duration " +
				"(up to 43200 seconds) or mfa_certification's duration_seconds."
		}
		diags.AddError("Cannot Obtain Credentials", detail)
	case errors.As(err, &apiErr):
		detail := fmt.Sprintf("%s in %s failed", apiErr.Action, apiErr.Region)
		if apiErr.Attempts > 1 {
			detail += fmt.Sprintf(" after %d attempts", apiErr.Attempts)
		}
		detail += fmt.Sprintf(".\n\nCode: %s\nMessage: %s", apiErr.Code, apiErr.Message)
		if apiErr.RequestID != "" {
			detail += "\nRequestId: " + apiErr.RequestID
		}
		if hint := apiErrorHint(apiErr, rc); hint != "" {
			detail += "\n\n" + hint
		}
		diags.AddError("Cannot Read Instance States", detail)
	case errors.Is(err, cvm.ErrListingUnstable):
		diags.AddError("Instance List Kept Changing", err.Error()+"\n\nNo partial result was returned.")
	case errors.Is(err, context.DeadlineExceeded):
		diags.AddError("Read Timed Out",
			fmt.Sprintf("Reading instance states in %s did not finish within %s (%s). Each request waits at most %s for an answer (request_timeout) "+
				"and is retried up to %d times (max_retries). Raise %s, or check that the endpoint answers.",
				rc.region, rc.timeout, rc.limitName(), rc.requestTimeout, rc.maxRetries, rc.limitName()))
	default:
		diags.AddError("Cannot Read Instance States", err.Error())
	}
}

func wantedText(e *cvm.WaitError) string {
	s := strings.Join(e.Wanted, " or ")
	if e.Ready {
		s = "the instances to be ready"
	}
	if e.StableFor > 0 {
		s += fmt.Sprintf(" (steady for %s)", e.StableFor)
	}
	return s
}

// apiErrorHint says what a user can do about a failed request, naming the
// provider's attributes and environment variables; "" when the message says
// it all. The client knows only codes and causes.
func apiErrorHint(e *tcapi.APIError, rc readSettings) string {
	svc := cvmService
	if e.Action == actionAgentStatus {
		svc = tatService
	}
	hint := apiErrorAdvice(e, rc, svc)
	if check := checkOfAction(e.Action); check != "" {
		hint = strings.TrimSpace(fmt.Sprintf("%s is read for the %s check of include. %s", e.Action, check, hint))
	}
	return hint
}

// apiService names, for a hint, the service a failed request went to and
// the setting that says where it is.
type apiService struct {
	name    string // "CVM"
	setting string // "endpoint (TENCENTCLOUD_CVM_ENDPOINT)"
	env     string // "TENCENTCLOUD_CVM_ENDPOINT"
	root    string // the API's own URL, "https://cvm.tencentcloudapi.com/"
}

var (
	cvmService = apiService{"CVM", "endpoint (" + EnvEndpoint + ")", EnvEndpoint, "https://cvm.tencentcloudapi.com/"}
	tatService = apiService{"TAT", "tat_endpoint (" + EnvTATEndpoint + ")", EnvTATEndpoint, "https://tat.tencentcloudapi.com/"}
)

// actionAgentStatus is TAT's action for the agent check.
const actionAgentStatus = "DescribeAutomationAgentStatus"

// checkOfAction names the include words whose check calls action; "" for
// DescribeInstancesStatus and STS.
func checkOfAction(action string) string {
	var words []string
	for _, c := range cvm.AllChecks {
		if permissionAction(c.Permission()) == action {
			words = append(words, fmt.Sprintf("%q", c))
		}
	}
	if len(words) == 2 {
		return words[0] + " or " + words[1]
	}
	return strings.Join(words, ", ")
}

// permissionAction is the action of a CAM permission, "cvm:DescribeInstances"
// → "DescribeInstances".
func permissionAction(permission string) string {
	_, action, _ := strings.Cut(permission, ":")
	return action
}

// isSTSAction reports whether action is one of STS's, which sign in.
func isSTSAction(action string) bool {
	return strings.HasPrefix(action, "AssumeRole") || action == "GetSessionToken" || action == "GetCallerIdentity" || action == "GetFederationToken"
}

func apiErrorAdvice(e *tcapi.APIError, rc readSettings, svc apiService) string {
	switch e.Cause {
	case tcapi.CauseWrongPath:
		return fmt.Sprintf("Something answers at %s, but not the API: HTTP %d means nothing is served at that path. "+
			"The API is served at the root path of its host, such as %s. Check %s for a wrong path.", e.Endpoint, e.HTTPStatus, svc.root, svc.setting)
	case tcapi.CauseRedirect:
		return "The endpoint answered with a redirect. A signed request is meant for one host and is not sent on to another: set " + svc.setting + " to the API's own URL."
	case tcapi.CauseHTTPStatus:
		if strings.Contains(e.Message, "HTTPS") && e.HTTPStatus == http.StatusBadRequest {
			return "The endpoint speaks HTTPS: use https:// in " + svc.setting + "."
		}
		return "The endpoint answered with an HTTP error instead of an API answer, which no retry changes. A proxy or gateway may be in the way (HTTPS_PROXY, NO_PROXY), " +
			"or " + svc.setting + " is not the " + svc.name + " API."
	case tcapi.CauseGateway:
		return "A gateway or the service failed for a moment, on every attempt. Retry later; max_retries (TENCENTCLOUD_CVM_MAX_RETRIES) controls how often a request is retried."
	case tcapi.CauseHostNotFound:
		return "The endpoint's host name does not exist. Check " + svc.setting + ", or domain (TENCENTCLOUD_DOMAIN), for a typo."
	case tcapi.CausePlainHTTPServer:
		return "The server at the endpoint does not speak TLS. Use https:// with the service's TLS port, or http:// for a local emulator on a loopback address."
	case tcapi.CauseNotHTTP:
		return "What answers at the endpoint does not speak HTTP. Check the endpoint's port (" + svc.env + ")."
	case tcapi.CauseCertificate:
		return "The endpoint's TLS certificate is not signed by an authority this machine trusts, names another host, or has expired. " +
			"If the endpoint sits behind a private CA (a proxy or gateway), add that CA to the system trust store, or point SSL_CERT_FILE (a PEM bundle) or SSL_CERT_DIR at it. Certificate verification cannot be turned off."
	case tcapi.CauseTimeout:
		return fmt.Sprintf("The endpoint accepted the connection but sent no complete answer within %s (request_timeout), on every attempt. "+
			"Check the endpoint and proxies; raise request_timeout (TENCENTCLOUD_CVM_REQUEST_TIMEOUT) if the service is only slow, or lower max_retries to fail sooner.", rc.requestTimeout)
	case tcapi.CauseUnreachable:
		return "The endpoint could not be reached. Check " + svc.setting + ", proxies and the network, then retry; max_retries (TENCENTCLOUD_CVM_MAX_RETRIES) controls how often a request is retried."
	case tcapi.CauseBadAnswer:
		return "Every answer was cut short or was not an API answer. A proxy may be truncating or rewriting answers; check proxies (HTTPS_PROXY, NO_PROXY) and retry."
	}
	switch c := e.Code; {
	case c == "InvalidParameter.WebIdentityTokenError":
		return "STS refused the web identity token: check that provider_id names the OIDC identity provider in CAM, that the token's issuer and audience are the ones configured there (the audience is its client ID), and that the token has not expired."
	case c == "FailedOperation.CheckMFAError":
		return "STS refused the MFA code: check serial_number, and give the code the device shows now (codes change every 30 seconds and are used once)."
	case c == "FailedOperation.MFATypeNotSupported":
		return "This MFA device type cannot sign in through STS: use a software token (qcs::cam:uin/<account>::mfa/softToken)."
	case c == "FailedOperation.TempKeyNotAllowed":
		return "GetSessionToken needs a permanent key: mfa_certification cannot start from temporary credentials (a profile's oauth login, a CAM role, a security token)."
	case c == "ResourceNotFound.RoleNotFound":
		return "The role does not exist: check role_arn (its account ID and role name)."
	case strings.HasPrefix(c, "InvalidParameter") && isSTSAction(e.Action):
		return fmt.Sprintf("STS refused the parameters of %s: check role_arn, session_name, session_duration and the other attributes of the block.", e.Action)
	case c == "AuthFailure.SignatureFailure":
		return "The secret key does not match the secret ID. Check secret_key / TENCENTCLOUD_SECRET_KEY (or the profile's secretKey)."
	case c == "AuthFailure.SecretIdNotFound", c == "AuthFailure.InvalidSecretId":
		return "The secret ID is unknown to the service: it was deleted, mistyped, or belongs to another site (domestic vs. international). Check secret_id / TENCENTCLOUD_SECRET_ID."
	case c == "AuthFailure.SignatureExpire":
		return "The request timestamp is more than 5 minutes away from the service's clock. Synchronise this machine's clock (NTP) and retry."
	case c == "AuthFailure.TokenFailure", c == "UnauthorizedOperation.InvalidToken":
		return "The security token is invalid or expired. Temporary credentials need security_token / TENCENTCLOUD_SECURITY_TOKEN, and it must belong to the same secret ID; obtain fresh ones."
	case c == "AuthFailure.InvalidAuthorization":
		return "The Authorization header was rejected as malformed. If a proxy rewrites requests, bypass it for the CVM endpoint."
	case (c == "AuthFailure.UnauthorizedOperation" || strings.HasPrefix(c, "UnauthorizedOperation")) && isSTSAction(e.Action):
		return fmt.Sprintf("The credential is valid but not allowed to call sts:%s for this role. The role's trust policy (its role carrier) must allow this user, role or identity provider, and role_arn must name the right role.", e.Action)
	case (c == "AuthFailure.UnauthorizedOperation" || strings.HasPrefix(c, "UnauthorizedOperation")) && checkOfAction(e.Action) != "":
		service := "cvm"
		if e.Action == actionAgentStatus {
			service = "tat"
		}
		return fmt.Sprintf("The credential is valid but not allowed to call it. Grant the CAM policy action %s:%s to the user or role, or take %s out of include.",
			service, e.Action, checkOfAction(e.Action))
	case c == "AuthFailure.UnauthorizedOperation", strings.HasPrefix(c, "UnauthorizedOperation"):
		return "The credential is valid but not allowed to call this action. Grant the CAM policy action cvm:DescribeInstancesStatus to the user or role."
	case strings.HasPrefix(c, "RequestLimitExceeded") && checkOfAction(e.Action) != "":
		return "The service kept throttling it after every retry, although the provider keeps to its documented rate: other tools are using the same account's budget. Run again when they are done, or ask Tencent Cloud for a higher quota."
	case strings.HasPrefix(c, "RequestLimitExceeded"):
		return "The service kept throttling after every retry. Lower rate_limit (TENCENTCLOUD_CVM_RATE_LIMIT), avoid running other tools against the same account at the same time, or ask Tencent Cloud for a higher quota."
	case c == "UnsupportedRegion":
		return "This region does not offer CVM, or its name is misspelt. Check region / TENCENTCLOUD_REGION."
	case c == "InvalidInstanceId.Malformed", strings.HasPrefix(c, "InvalidParameterValue.InstanceIdMalformed"):
		return "Instance IDs are \"ins-\" followed by 8 lowercase letters or digits."
	case slices.Contains([]string{"InternalError", "InternalServerError", "ServiceUnavailable"}, c):
		return "The service failed on its side after every retry. Retry later; if it persists, give the RequestId to Tencent Cloud support."
	}
	return ""
}
