package tcapi

import (
	"strings"
	"testing"
)

// What is retried: throttling, the service's own passing failures, and
// transport failures a second attempt can get past; never a refusal that
// the same request would meet again (a bad signature, a wrong endpoint, a
// certificate nobody trusts).
func TestRetryableAndThrottled(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err                  APIError
		retryable, throttled bool
	}{
		{APIError{Cause: CauseService, Code: "RequestLimitExceeded"}, true, true},
		{APIError{Cause: CauseService, Code: "RequestLimitExceeded.UinLimitExceeded"}, true, true},
		{APIError{Cause: CauseService, Code: "InternalError"}, true, false},
		{APIError{Cause: CauseService, Code: "InternalServerError"}, true, false},
		{APIError{Cause: CauseService, Code: "ServiceUnavailable"}, true, false},
		{APIError{Cause: CauseService, Code: "AuthFailure.SignatureFailure"}, false, false},
		{APIError{Cause: CauseService, Code: "InvalidParameterValue"}, false, false},
		{APIError{Cause: CauseUnreachable}, true, false},
		{APIError{Cause: CauseTimeout}, true, false},
		{APIError{Cause: CauseBadAnswer}, true, false},
		{APIError{Cause: CauseGateway}, true, false},
		{APIError{Cause: CauseWrongPath}, false, false},
		{APIError{Cause: CauseHostNotFound}, false, false},
		{APIError{Cause: CauseCertificate}, false, false},
		{APIError{Cause: CauseRedirect}, false, false},
	}
	for _, tc := range cases {
		if got := tc.err.Retryable(); got != tc.retryable {
			t.Errorf("cause %d, code %q: Retryable() = %v, want %v", tc.err.Cause, tc.err.Code, got, tc.retryable)
		}
		if got := tc.err.Throttled(); got != tc.throttled {
			t.Errorf("cause %d, code %q: Throttled() = %v, want %v", tc.err.Cause, tc.err.Code, got, tc.throttled)
		}
	}
}

// The message a user reads names the action, the region, how many attempts
// it took, the service's code and message, and the RequestId to quote.
func TestAPIErrorMessage(t *testing.T) {
	t.Parallel()
	e := APIError{Action: "DescribeInstancesStatus", Region: "ap-guangzhou", Code: "InternalError", Message: "try later", RequestID: "req-1", Attempts: 9}
	want := "DescribeInstancesStatus in ap-guangzhou failed after 9 attempts: [InternalError] try later (RequestId: req-1)"
	if got := e.Error(); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	once := APIError{Action: "GetCallerIdentity", Code: "ClientError.NetworkError", Message: "no route", Attempts: 1}
	if got := once.Error(); strings.Contains(got, "attempts") || strings.Contains(got, "RequestId") || strings.Contains(got, " in ") {
		t.Errorf("a first-attempt transport failure without region or RequestId reads %q", got)
	}
}

// Statuses without an API answer: gateways and overload pass, a method or
// version the server does not implement does not.
func TestTransientStatus(t *testing.T) {
	t.Parallel()
	for status, want := range map[int]bool{408: true, 425: true, 429: true, 500: true, 502: true, 503: true, 504: true, 501: false, 505: false, 400: false, 403: false, 404: false} {
		if got := transientStatus(status); got != want {
			t.Errorf("transientStatus(%d) = %v, want %v", status, got, want)
		}
	}
}
