package tcapi

import (
	"fmt"
	"strings"
)

// Codes for failures that never reached an API answer. They use the SDK's
// "ClientError." namespace so that users recognise them.
const (
	CodeNetwork    = "ClientError.NetworkError"
	CodeTimeout    = "ClientError.Timeout"
	CodeBadAnswer  = "ClientError.ParseJsonError"
	CodeHTTPStatus = "ClientError.HttpStatusCodeError"
	// CodeCertificate is not the SDK's: it reports the certificate
	// verification failures the SDK lumps into NetworkError.
	CodeCertificate = "ClientError.CertificateVerificationError"
)

// Cause says what kind of failure an APIError is, beyond its code, so that
// the caller can tell the user what to do and the client whether to retry.
type Cause int

const (
	// CauseService is an error answer of the service: Code is its code.
	CauseService Cause = iota
	// CauseUnreachable: the connection failed or broke (refused, reset,
	// closed early). Retried.
	CauseUnreachable
	// CauseTimeout: no complete answer within the per-attempt limit. Retried.
	CauseTimeout
	// CauseBadAnswer: HTTP 200 with a body that is not an API answer (cut
	// short, corrupt). Retried.
	CauseBadAnswer
	// CauseGateway: an HTTP status that a gateway or an overloaded service
	// gives for a moment (408, 429, 5xx but 501 and 505), without an API
	// answer. Retried.
	CauseGateway
	// CauseWrongPath: HTTP 404, 405 or 410 without an API answer: something
	// answers at the host, but not the API at that path. Not retried.
	CauseWrongPath
	// CauseHTTPStatus: another HTTP status without an API answer (400, 401,
	// 403, …), which no retry changes. Not retried.
	CauseHTTPStatus
	// CauseRedirect: the endpoint answered with a redirect. A signed request
	// is not replayed to another URL. Not retried.
	CauseRedirect
	// CauseHostNotFound: the endpoint's host name does not resolve. Not retried.
	CauseHostNotFound
	// CausePlainHTTPServer: an https endpoint whose server speaks plain
	// HTTP, or not TLS at all. Not retried.
	CausePlainHTTPServer
	// CauseNotHTTP: the server's answer is not HTTP. Not retried.
	CauseNotHTTP
	// CauseCertificate: the server's TLS certificate cannot be verified.
	// Not retried.
	CauseCertificate
)

// APIError is a failed call to the service: either an error answer (Code is
// the service's code) or a transport failure (Code starts with "ClientError.",
// and Cause says more).
type APIError struct {
	Action     string
	Region     string
	Endpoint   string // the URL the request went to
	Code       string
	Message    string
	RequestID  string // empty when the request never got an API answer
	HTTPStatus int    // the status of an answer that was not an API answer
	Cause      Cause
	Attempts   int
	Err        error // the transport error, if any
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

// Retryable reports whether repeating the request may succeed.
func (e *APIError) Retryable() bool {
	switch e.Cause {
	case CauseUnreachable, CauseTimeout, CauseBadAnswer, CauseGateway:
		return true
	case CauseService:
		return e.Throttled() || e.Code == "InternalError" || e.Code == "InternalServerError" || e.Code == "ServiceUnavailable"
	}
	return false
}

// Throttled reports whether the service refused the request for its rate.
func (e *APIError) Throttled() bool {
	return e.Cause == CauseService && strings.HasPrefix(e.Code, "RequestLimitExceeded")
}

// transientStatus reports whether an HTTP status without an API answer can
// change on a retry.
func transientStatus(status int) bool {
	switch status {
	case 408, 425, 429:
		return true
	case 501, 505:
		return false
	}
	return status >= 500 && status < 600
}
