package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// Request size limits of the service.
const (
	maxQueryBytes  = 32 << 10 // GET query string
	maxV1BodyBytes = 1 << 20  // POST form signed with signature v1
	maxTC3Bytes    = 10 << 20 // POST signed with TC3-HMAC-SHA256
)

type signatureKind int

const (
	signatureTC3 signatureKind = iota + 1
	signatureV1
)

// apiRequest is an HTTP request reduced to what the API needs, whatever form
// it came in: common parameters, action parameters and signing material.
type apiRequest struct {
	method string
	path   string
	host   string
	header http.Header
	kind   signatureKind

	// common holds Action, Version, Region, Timestamp, Nonce, Token,
	// Language, RequestClient and, for signature v1, SecretId, Signature and
	// SignatureMethod.
	common map[string]string

	// Action parameters: jsonParams for a TC3 JSON body, flatParams
	// (InstanceIds.0=…) for the query string or a form body.
	jsonParams map[string]any
	flatParams map[string]string

	// TC3 material.
	authorization string
	rawQuery      string
	body          []byte

	// v1Params is every parameter of a v1 request, for its string to sign.
	v1Params map[string]string
}

// tc3Headers maps the TC3 common headers to parameter names.
var tc3Headers = [][2]string{
	{"X-TC-Action", "Action"},
	{"X-TC-Version", "Version"},
	{"X-TC-Region", "Region"},
	{"X-TC-Timestamp", "Timestamp"},
	{"X-TC-Token", "Token"},
	{"X-TC-Language", "Language"},
	{"X-TC-RequestClient", "RequestClient"},
}

// tc3QueryCommon are common parameters a TC3 GET or form request may carry
// in the query or body instead of headers.
var tc3QueryCommon = map[string]bool{
	"Action": true, "Version": true, "Region": true, "Timestamp": true,
	"Nonce": true, "Token": true, "Language": true, "RequestClient": true,
}

// v1Common are the common parameters of signature v1.
var v1Common = map[string]bool{
	"Action": true, "Version": true, "Region": true, "Timestamp": true,
	"Nonce": true, "SecretId": true, "Signature": true, "SignatureMethod": true,
	"Token": true, "Language": true, "RequestClient": true,
}

// parseRequest reads r (and its body) into an apiRequest.
func parseRequest(r *http.Request) (*apiRequest, *apiError) {
	req := &apiRequest{
		method:        r.Method,
		path:          r.URL.Path,
		host:          r.Host,
		header:        r.Header,
		common:        make(map[string]string),
		authorization: strings.TrimSpace(r.Header.Get("Authorization")),
		rawQuery:      r.URL.RawQuery,
	}
	if req.path == "" {
		req.path = "/"
	}
	switch r.Method {
	case http.MethodGet:
		if len(r.URL.RawQuery) > maxQueryBytes {
			return req, newError("RequestSizeLimitExceeded", "The query string is %d bytes; GET requests are limited to %d bytes. Use POST for large requests.", len(r.URL.RawQuery), maxQueryBytes)
		}
		values, err := parseFlat(r.URL.RawQuery, "query string")
		if err != nil {
			return req, err
		}
		req.setFlat(values)
		return req, nil
	case http.MethodPost:
		body, err := io.ReadAll(io.LimitReader(r.Body, maxTC3Bytes+1))
		if err != nil {
			return req, newError("InvalidParameter", "The request body could not be read: %v.", err)
		}
		req.body = body
		if len(body) > maxTC3Bytes {
			return req, newError("RequestSizeLimitExceeded", "The request body exceeds %d bytes, the limit for TC3-HMAC-SHA256 requests.", maxTC3Bytes)
		}
		ct := r.Header.Get("Content-Type")
		mediaType, _, mErr := mime.ParseMediaType(ct)
		if ct == "" || mErr != nil {
			return req, newError("UnsupportedProtocol", "The Content-Type header %q is missing or malformed; use application/json (TC3-HMAC-SHA256) or application/x-www-form-urlencoded (TC3-HMAC-SHA256 or signature v1).", ct)
		}
		switch strings.ToLower(mediaType) {
		case "application/json":
			// Without an Authorization header this still is a TC3 request;
			// authentication reports the missing header.
			return req, req.setJSON(body)
		case "application/x-www-form-urlencoded":
			if req.authorization == "" && len(body) > maxV1BodyBytes {
				return req, newError("RequestSizeLimitExceeded", "The request body is %d bytes; requests signed with signature v1 are limited to %d bytes. Use TC3-HMAC-SHA256 for large requests.", len(body), maxV1BodyBytes)
			}
			values, err := parseFlat(string(body), "form body")
			if err != nil {
				return req, err
			}
			req.setFlat(values)
			return req, nil
		default:
			return req, newError("UnsupportedProtocol", "The Content-Type %q is not supported; use application/json (TC3-HMAC-SHA256) or application/x-www-form-urlencoded (TC3-HMAC-SHA256 or signature v1).", mediaType)
		}
	default:
		return req, newError("UnsupportedProtocol", "The HTTP method %s is not supported; only GET and POST are.", r.Method)
	}
}

// parseFlat parses a query string or form body, refusing repeated names
// (the service has no use for them and the signature would be ambiguous).
func parseFlat(s, what string) (map[string]string, *apiError) {
	values, err := url.ParseQuery(s)
	if err != nil {
		return nil, newError("InvalidParameter", "The %s is not valid URL encoding: %v.", what, err)
	}
	out := make(map[string]string, len(values))
	for _, k := range sortedKeys(values) {
		if len(values[k]) > 1 {
			return nil, newError("InvalidParameter", "The parameter `%s` is given %d times in the %s; give it once.", k, len(values[k]), what)
		}
		out[k] = values[k][0]
	}
	return out, nil
}

// setFlat sorts query or form parameters into common and action parameters.
// Without an Authorization header the request is signature v1.
func (req *apiRequest) setFlat(values map[string]string) {
	req.flatParams = make(map[string]string)
	if req.authorization == "" {
		req.kind = signatureV1
		req.v1Params = values
		for k, v := range values {
			if v1Common[k] {
				req.common[k] = v
			} else {
				req.flatParams[k] = v
			}
		}
		return
	}
	req.kind = signatureTC3
	for k, v := range values {
		if tc3QueryCommon[k] {
			req.common[k] = v
		} else {
			req.flatParams[k] = v
		}
	}
	req.commonFromHeaders()
}

// commonFromHeaders takes the TC3 common parameters from the X-TC-* headers;
// a header wins over the same parameter in the query or body.
func (req *apiRequest) commonFromHeaders() {
	for _, hp := range tc3Headers {
		if v := strings.TrimSpace(req.header.Get(hp[0])); v != "" {
			req.common[hp[1]] = v
		}
	}
}

func (req *apiRequest) setJSON(body []byte) *apiError {
	req.kind = signatureTC3
	req.commonFromHeaders()
	if len(bytes.TrimSpace(body)) == 0 {
		// An empty body is read as an empty object: an action without
		// parameters.
		req.jsonParams = map[string]any{}
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return newError("InvalidParameter", "The request body is not valid JSON: %v.", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return newError("InvalidParameter", "The request body is not valid JSON: unexpected data after the top-level value.")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return newError("InvalidParameter", "The request body must be a JSON object, got %s.", jsonKind(v))
	}
	req.jsonParams = obj
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "an unknown value"
}
