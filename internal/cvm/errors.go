package cvm

import (
	"errors"
	"fmt"
	"strings"
)

// ErrListingUnstable is wrapped by the error a listing returns when the set of
// instances kept changing while it was being paged through.
var ErrListingUnstable = errors.New("the instance list changed while it was being read")

// APIError is a failed call to the service: either an error answer (Code is
// the service's code) or a transport failure (Code starts with "ClientError.").
type APIError struct {
	Action    string
	Region    string
	Code      string
	Message   string
	RequestID string // empty when the request never got an answer
	Attempts  int
	Err       error // the transport error, if any
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Action)
	if e.Region != "" {
		fmt.Fprintf(&b, " in %s", e.Region)
	}
	b.WriteString(" failed")
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	fmt.Fprintf(&b, ": [%s] %s", e.Code, e.Message)
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (RequestId: %s)", e.RequestID)
	}
	return b.String()
}

func (e *APIError) Unwrap() error { return e.Err }

// Hint says what a user can do about the error, or "" when there is nothing
// more to say than the message.
func (e *APIError) Hint() string {
	switch {
	case e.Code == "AuthFailure.SignatureFailure":
		return "The secret key does not match the secret ID. Check secret_key / TENCENTCLOUD_SECRET_KEY (or the profile's secretKey)."
	case e.Code == "AuthFailure.SecretIdNotFound", e.Code == "AuthFailure.InvalidSecretId":
		return "The secret ID is unknown to the service: it was deleted, mistyped, or belongs to another site (domestic vs. international). Check secret_id / TENCENTCLOUD_SECRET_ID."
	case e.Code == "AuthFailure.SignatureExpire":
		return "The request timestamp is more than 5 minutes away from the service's clock. Synchronise this machine's clock (NTP) and retry."
	case e.Code == "AuthFailure.TokenFailure", e.Code == "UnauthorizedOperation.InvalidToken":
		return "The security token is invalid or expired. Temporary credentials need security_token / TENCENTCLOUD_SECURITY_TOKEN, and it must belong to the same secret ID; obtain fresh ones."
	case e.Code == "AuthFailure.InvalidAuthorization":
		return "The Authorization header was rejected as malformed. If a proxy rewrites requests, bypass it for the CVM endpoint."
	case e.Code == "AuthFailure.UnauthorizedOperation", strings.HasPrefix(e.Code, "UnauthorizedOperation"):
		return "The credential is valid but not allowed to call this action. Grant the CAM policy action cvm:DescribeInstancesStatus to the user or role."
	case strings.HasPrefix(e.Code, "RequestLimitExceeded"):
		return "The service kept throttling after every retry. Lower rate_limit (TENCENTCLOUD_CVM_RATE_LIMIT), avoid running other tools against the same account at the same time, or ask Tencent Cloud for a higher quota."
	case e.Code == "UnsupportedRegion":
		return "This region does not offer CVM, or its name is misspelt. Check region / TENCENTCLOUD_REGION."
	case e.Code == "InvalidInstanceId.Malformed", strings.HasPrefix(e.Code, "InvalidParameterValue.InstanceIdMalformed"):
		return "Instance IDs are \"ins-\" followed by 8 lowercase letters or digits."
	case e.Code == codeCertificate:
		return "The endpoint's TLS certificate is not signed by an authority this machine trusts, names another host, or has expired. " +
			"If the endpoint sits behind a private CA (a proxy or gateway), add that CA to the system trust store, or point SSL_CERT_FILE (a PEM bundle) or SSL_CERT_DIR at it. Certificate verification cannot be turned off."
	case strings.HasPrefix(e.Code, "ClientError."):
		return "The service could not be reached or did not answer properly. Check the endpoint, proxies and network, then retry; max_retries controls how often a read retries."
	case e.Code == "InternalError", e.Code == "InternalServerError", e.Code == "ServiceUnavailable":
		return "The service failed on its side after every retry. Retry later; if it persists, give the RequestId to Tencent Cloud support."
	}
	return ""
}

// retryable reports whether repeating the request may succeed.
func (e *APIError) retryable() bool {
	switch {
	case strings.HasPrefix(e.Code, "RequestLimitExceeded"),
		e.Code == "InternalError", e.Code == "InternalServerError", e.Code == "ServiceUnavailable",
		e.Code == codeNetwork, e.Code == codeTimeout, e.Code == codeBadAnswer, e.Code == codeHTTPStatus:
		return true
	}
	return false
}

func (e *APIError) throttled() bool { return strings.HasPrefix(e.Code, "RequestLimitExceeded") }

// Codes for failures that never reached an API answer. They use the SDK's
// "ClientError." namespace so that users recognise them.
const (
	codeNetwork    = "ClientError.NetworkError"
	codeTimeout    = "ClientError.Timeout"
	codeBadAnswer  = "ClientError.ParseJsonError"
	codeHTTPStatus = "ClientError.HttpStatusCodeError"
	// codeCertificate is not the SDK's: it reports the certificate
	// verification failures the SDK lumps into NetworkError, which are not
	// worth retrying.
	codeCertificate = "ClientError.CertificateVerificationError"
)

// WaitError is returned when instances did not reach the wanted states.
type WaitError struct {
	Wanted []string
	// NotReady lists each instance that is not in a wanted state, with its
	// current state, or State "" when the service does not know it (yet).
	NotReady []InstanceStatus
	// Stuck is true when at least one instance is in a state from which no
	// wanted state can be reached, so waiting longer would not help.
	Stuck bool
	Err   error // the context error that ended the wait, if any
}

func (e *WaitError) Error() string {
	var b strings.Builder
	if e.Stuck {
		fmt.Fprintf(&b, "instances cannot reach %s:", strings.Join(e.Wanted, " or "))
	} else {
		fmt.Fprintf(&b, "timed out waiting for instances to reach %s:", strings.Join(e.Wanted, " or "))
	}
	for _, s := range e.NotReady {
		state := s.State
		if state == "" {
			state = "not found"
		}
		fmt.Fprintf(&b, " %s (%s);", s.InstanceID, state)
	}
	return strings.TrimSuffix(b.String(), ";")
}

func (e *WaitError) Unwrap() error { return e.Err }
