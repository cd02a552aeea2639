package tcapi

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// maxAnswerBytes bounds how much of an answer is read: a page of 100 states
// is about 6 KB, so anything near this is not an API answer.
const maxAnswerBytes = 16 << 20

// ResponseHeader is the part of every API 3.0 answer that says whether it is
// an error, and which request it answers. Answers embed it in their Response.
type ResponseHeader struct {
	Error *struct {
		Code    string `json:"Code"`
		Message string `json:"Message"`
	} `json:"Error"`
	RequestID string `json:"RequestId"`
}

// Answer is a decoded API 3.0 envelope: {"Response": {...}}.
type Answer interface {
	Header() *ResponseHeader
	// Reset clears what an earlier attempt decoded: json.Unmarshal leaves
	// fields absent from the new answer (such as Error) as they were.
	Reset()
}

// CheckedAnswer is an Answer that must hold more than a valid envelope,
// such as a page with its TotalCount. One that fails Check is a bad
// answer, retried within Send like a truncated one.
type CheckedAnswer interface {
	Answer
	Check() error
}

// Request is one API 3.0 action to call.
type Request struct {
	Endpoint *url.URL // from ParseEndpoint
	Service  string   // "cvm", "sts": the signature's scope
	Version  string   // the service's API version, such as "2017-03-12"
	Action   string
	Region   string // X-TC-Region; "" sends none
	Payload  []byte // the JSON body
	// LogAttrs go into Send's log record of each attempt, after the action
	// and the region.
	LogAttrs []slog.Attr
}

// Call makes one attempt, signed with cred (unsigned, Authorization: SKIP,
// when cred has no SecretID). A nil *APIError means out holds a successful
// answer. The error is never the context's: callers check ctx themselves.
func (c *Client) Call(ctx context.Context, r Request, cred Credential, out Answer) *APIError {
	endpoint, service, action, version, region, payload := r.Endpoint, r.Service, r.Action, r.Version, r.Region, r.Payload
	fail := func(cause Cause, code, msg string, err error) *APIError {
		return &APIError{Action: action, Region: region, Endpoint: endpoint.String(), Cause: cause, Code: code, Message: msg, Err: err}
	}

	attemptCtx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(attemptCtx, http.MethodPost, endpoint.String(), bytes.NewReader(payload))
	if err != nil {
		return fail(CauseUnreachable, CodeNetwork, "building the request: "+err.Error(), err)
	}
	const contentType = "application/json"
	ts := c.cfg.Now()
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-TC-Action", action)
	req.Header.Set("X-TC-Version", version)
	req.Header.Set("X-TC-Timestamp", strconv.FormatInt(ts.Unix(), 10))
	if region != "" {
		req.Header.Set("X-TC-Region", region)
	}
	if c.language != "" {
		req.Header.Set("X-TC-Language", c.language)
	}
	if c.cfg.UserAgent != "" {
		req.Header.Set("User-Agent", c.cfg.UserAgent)
	}
	if cred.SecretID == "" {
		// The federated STS actions are sent unsigned, and say so.
		req.Header.Set("Authorization", "SKIP")
	} else {
		if cred.Token != "" {
			req.Header.Set("X-TC-Token", cred.Token)
		}
		req.Header.Set("Authorization", tc3Request{
			Method:      http.MethodPost,
			Host:        endpoint.Host,
			ContentType: contentType,
			Payload:     payload,
			Service:     service,
			Timestamp:   ts,
		}.authorization(cred.SecretID, cred.SecretKey))
	}

	resp, err := c.httpClient.Do(req)
	if err != nil {
		return transportFailure(ctx, attemptCtx, fail, endpoint, c.cfg.RequestTimeout, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return transportFailure(ctx, attemptCtx, fail, endpoint, c.cfg.RequestTimeout, fmt.Errorf("reading the answer: %w", err))
	}

	out.Reset()
	if err := json.Unmarshal(body, out); err != nil {
		if resp.StatusCode != http.StatusOK {
			return statusFailure(fail, resp, body)
		}
		return fail(CauseBadAnswer, CodeBadAnswer, fmt.Sprintf("the answer is not valid JSON (%d bytes): %v", len(body), err), err)
	}
	h := out.Header()
	if h.Error != nil {
		e := fail(CauseService, h.Error.Code, h.Error.Message, nil)
		e.RequestID = h.RequestID
		return e
	}
	if resp.StatusCode != http.StatusOK {
		return statusFailure(fail, resp, nil)
	}
	if checked, ok := out.(CheckedAnswer); ok {
		if err := checked.Check(); err != nil {
			e := fail(CauseBadAnswer, CodeBadAnswer, err.Error(), nil)
			e.RequestID = h.RequestID
			return e
		}
	}
	return nil
}

// statusFailure reports an HTTP status that came without an API answer: a
// gateway in the way, a wrong path, a redirect.
func statusFailure(fail func(Cause, string, string, error) *APIError, resp *http.Response, body []byte) *APIError {
	msg := "HTTP " + resp.Status
	if line := firstLine(body); line != "" {
		msg += ": " + line
	} else if len(body) > 0 {
		msg += fmt.Sprintf(" with a body that is not an API answer (%d bytes)", len(body))
	}
	cause := CauseHTTPStatus
	switch s := resp.StatusCode; {
	case s >= 300 && s < 400:
		cause = CauseRedirect
	case s == http.StatusNotFound, s == http.StatusMethodNotAllowed, s == http.StatusGone:
		cause = CauseWrongPath
	case transientStatus(s):
		cause = CauseGateway
	}
	e := fail(cause, CodeHTTPStatus, msg, nil)
	e.HTTPStatus = resp.StatusCode
	if cause == CauseRedirect {
		if to := resp.Header.Get("Location"); to != "" {
			e.Message += " to " + to
		}
	}
	return e
}

// firstLine is the first line of a short plain-text body, such as a Go
// server's "Client sent an HTTP request to an HTTPS server.", or "" when the
// body is empty, long or not plain text.
func firstLine(body []byte) string {
	line, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
	line = strings.TrimSpace(line)
	if line == "" || len(line) > 160 || strings.HasPrefix(line, "<") {
		return ""
	}
	for _, r := range line {
		if !unicode.IsPrint(r) {
			return ""
		}
	}
	return line
}

func transportFailure(ctx, attemptCtx context.Context, fail func(Cause, string, string, error) *APIError, endpoint *url.URL, timeout time.Duration, err error) *APIError {
	// A certificate that cannot be verified will not verify on a retry.
	var (
		verifyErr   *tls.CertificateVerificationError
		unknownAuth x509.UnknownAuthorityError
		wrongHost   x509.HostnameError
		invalidCert x509.CertificateInvalidError
		recordErr   tls.RecordHeaderError
		dnsErr      *net.DNSError
	)
	switch {
	case errors.As(err, &verifyErr) || errors.As(err, &unknownAuth) || errors.As(err, &wrongHost) || errors.As(err, &invalidCert):
		return fail(CauseCertificate, CodeCertificate, "TLS certificate verification failed: "+err.Error(), err)
	case ctx.Err() == nil && errors.Is(attemptCtx.Err(), context.DeadlineExceeded):
		return fail(CauseTimeout, CodeTimeout, fmt.Sprintf("no complete answer within %s", timeout), err)
	// net/http replaces the TLS error with this text when the answer to
	// the TLS handshake looks like plain HTTP.
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return fail(CausePlainHTTPServer, CodeNetwork, fmt.Sprintf("%s answered a TLS handshake in plain HTTP: it serves http, not https", endpoint.Host), err)
	case errors.As(err, &recordErr):
		return fail(CausePlainHTTPServer, CodeNetwork, fmt.Sprintf("%s does not speak TLS: %v", endpoint.Host, err), err)
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return fail(CauseHostNotFound, CodeNetwork, fmt.Sprintf("the host name %s does not exist (%v)", endpoint.Hostname(), err), err)
	case strings.Contains(err.Error(), "malformed HTTP"):
		return fail(CauseNotHTTP, CodeNetwork, fmt.Sprintf("%s answered with something that is not HTTP: %v", endpoint.Host, err), err)
	}
	return fail(CauseUnreachable, CodeNetwork, err.Error(), err)
}
