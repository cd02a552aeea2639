package cvm

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// maxAnswerBytes bounds how much of an answer is read: a page of 100 states
// is about 6 KB, so anything near this is not an API answer.
const maxAnswerBytes = 16 << 20

// responseHeader is the part of every API 3.0 answer that says whether it is
// an error, and which request it answers.
type responseHeader struct {
	Error *struct {
		Code    string `json:"Code"`
		Message string `json:"Message"`
	} `json:"Error"`
	RequestID string `json:"RequestId"`
}

// answer is a decoded API 3.0 envelope: {"Response": {...}}.
type answer interface {
	header() *responseHeader
	// reset clears what an earlier attempt decoded: json.Unmarshal leaves
	// fields absent from the new answer (such as Error) as they were.
	reset()
}

// caller sends one signed API 3.0 request and decodes its answer.
type caller struct {
	httpClient *http.Client
	timeout    time.Duration
	now        func() time.Time
	language   string
	userAgent  string
}

// call makes one attempt. A nil *APIError means out holds a successful answer.
// The error is never the context's: callers check ctx themselves.
func (c *caller) call(ctx context.Context, endpoint *url.URL, service, action, version, region string,
	cred Credential, payload []byte, out answer) *APIError {
	fail := func(code, msg string, err error) *APIError {
		return &APIError{Action: action, Region: region, Code: code, Message: msg, Err: err}
	}

	attemptCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(attemptCtx, http.MethodPost, endpoint.String(), bytes.NewReader(payload))
	if err != nil {
		return fail(codeNetwork, "building the request: "+err.Error(), err)
	}
	const contentType = "application/json"
	ts := c.now()
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
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
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

	resp, err := c.httpClient.Do(req)
	if err != nil {
		return transportFailure(ctx, attemptCtx, fail, c.timeout, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return transportFailure(ctx, attemptCtx, fail, c.timeout, fmt.Errorf("reading the answer: %w", err))
	}

	out.reset()
	if err := json.Unmarshal(body, out); err != nil {
		if resp.StatusCode != http.StatusOK {
			return fail(codeHTTPStatus, fmt.Sprintf("HTTP %s with a body that is not an API answer (%d bytes)", resp.Status, len(body)), nil)
		}
		return fail(codeBadAnswer, fmt.Sprintf("the answer is not valid JSON (%d bytes): %v", len(body), err), err)
	}
	h := out.header()
	if h.Error != nil {
		e := fail(h.Error.Code, h.Error.Message, nil)
		e.RequestID = h.RequestID
		return e
	}
	if resp.StatusCode != http.StatusOK {
		return fail(codeHTTPStatus, "HTTP "+resp.Status, nil)
	}
	return nil
}

func transportFailure(ctx, attemptCtx context.Context, fail func(string, string, error) *APIError, timeout time.Duration, err error) *APIError {
	// A certificate that cannot be verified will not verify on a retry.
	var (
		verifyErr   *tls.CertificateVerificationError
		unknownAuth x509.UnknownAuthorityError
		wrongHost   x509.HostnameError
		invalidCert x509.CertificateInvalidError
	)
	if errors.As(err, &verifyErr) || errors.As(err, &unknownAuth) || errors.As(err, &wrongHost) || errors.As(err, &invalidCert) {
		return fail(codeCertificate, "TLS certificate verification failed: "+err.Error(), err)
	}
	if ctx.Err() == nil && errors.Is(attemptCtx.Err(), context.DeadlineExceeded) {
		return fail(codeTimeout, fmt.Sprintf("no complete answer within %s", timeout), err)
	}
	return fail(codeNetwork, err.Error(), err)
}
