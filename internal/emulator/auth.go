package emulator

import (
	"net"
	"strconv"
	"strings"
	"time"
)

// maxClockSkew is how far a request timestamp may be from the emulator's
// clock, in either direction.
const maxClockSkew = 5 * time.Minute

// secret is what the emulator knows about one SecretId.
type secret struct {
	key       string
	token     string
	temporary bool
	expires   time.Time // temporary only
	revoked   bool      // temporary only
	who       principal // who signs with it, as GetCallerIdentity answers
	origin    keyOrigin // what the stats say of it
}

// tc3Authorization is a parsed TC3-HMAC-SHA256 Authorization header.
type tc3Authorization struct {
	secretID      string
	date          string
	service       string
	signedHeaders string   // as sent, for the canonical request
	headerNames   []string // signedHeaders split
	signature     string
}

// parseTC3Authorization parses
// "TC3-HMAC-SHA256 Credential=ID/DATE/SERVICE/tc3_request, SignedHeaders=a;b, Signature=HEX".
func parseTC3Authorization(h string) (tc3Authorization, *apiError) {
	var a tc3Authorization
	invalid := func(format string, args ...any) (tc3Authorization, *apiError) {
		return a, newError("AuthFailure.InvalidAuthorization", "The Authorization header is invalid: "+format+".", args...)
	}
	algorithm, rest, _ := strings.Cut(h, " ")
	if algorithm != tc3Algorithm {
		return invalid("the algorithm is %q, expected %s", algorithm, tc3Algorithm)
	}
	fields := map[string]string{}
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return invalid("%q is not a name=value pair", part)
		}
		if _, dup := fields[k]; dup {
			return invalid("%s is given twice", k)
		}
		fields[k] = v
	}
	for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
		if fields[k] == "" {
			return invalid("%s is missing", k)
		}
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 4 || scope[0] == "" {
		return invalid("Credential must be SecretId/Date/Service/tc3_request")
	}
	if _, err := time.Parse(time.DateOnly, scope[1]); err != nil {
		return invalid("the credential scope date %q is not a date like 2006-01-02", scope[1])
	}
	if scope[3] != tc3Terminator {
		return invalid("the credential scope must end with %s, not %q", tc3Terminator, scope[3])
	}
	a.secretID, a.date, a.service = scope[0], scope[1], scope[2]
	a.signedHeaders = fields["SignedHeaders"]
	a.headerNames = strings.Split(a.signedHeaders, ";")
	hasCT, hasHost := false, false
	for _, n := range a.headerNames {
		if n == "" || n != strings.ToLower(n) {
			return invalid("SignedHeaders %q must be lowercase header names separated by ';'", a.signedHeaders)
		}
		hasCT = hasCT || n == "content-type"
		hasHost = hasHost || n == "host"
	}
	if !hasCT || !hasHost {
		return invalid("SignedHeaders %q must include content-type and host", a.signedHeaders)
	}
	a.signature = strings.ToLower(fields["Signature"])
	if len(a.signature) != 64 || strings.Trim(a.signature, "0123456789abcdef") != "" {
		return invalid("the Signature must be 64 hexadecimal digits")
	}
	return a, nil
}

// hostVariants are the host names a client may have signed: the Host header
// as sent and, on a non-default port, the bare host name. Official SDKs
// disagree on this, and the real service never sees a port.
func hostVariants(host string) []string {
	out := []string{host}
	if h, _, err := net.SplitHostPort(host); err == nil && h != "" {
		out = append(out, h)
		if strings.Contains(h, ":") {
			out = append(out, "["+h+"]")
		}
	}
	return out
}

// authenticate checks the request's signature, timestamp and token for the
// service the action belongs to, against the credentials of st. It returns
// the SecretId and, when it returns no error, the secret it names, whose
// principal is the caller. The request is judged against st alone, so that
// a Reload meanwhile cannot accept a key of one state and charge it to the
// accounts of another.
func (s *Server) authenticate(st *authState, req *apiRequest, service string, now time.Time) (string, secret, *apiError) {
	if req.kind == signatureTC3 {
		return s.authenticateTC3(st, req, service, now)
	}
	return s.authenticateV1(st, req, now)
}

func (s *Server) authenticateTC3(st *authState, req *apiRequest, service string, now time.Time) (string, secret, *apiError) {
	if req.authorization == "" {
		return "", secret{}, newError("AuthFailure.InvalidAuthorization", "The Authorization header is missing: JSON requests must be signed with TC3-HMAC-SHA256.")
	}
	a, aerr := parseTC3Authorization(req.authorization)
	if aerr != nil {
		return "", secret{}, aerr
	}
	ts, terr := requestTimestamp(req, "X-TC-Timestamp")
	if terr != nil {
		return a.secretID, secret{}, terr
	}
	if want := tc3Date(ts); a.date != want {
		return a.secretID, secret{}, newError("AuthFailure.InvalidAuthorization", "The Authorization header is invalid: the credential scope date %s is not the UTC date of the timestamp %d (%s).", a.date, ts, want)
	}
	if a.service != service {
		return a.secretID, secret{}, newError("AuthFailure.InvalidAuthorization", "The Authorization header is invalid: the credential scope service is %q, but action %s belongs to service %q.", a.service, req.common["Action"], service)
	}
	if err := checkSkew(ts, now); err != nil {
		return a.secretID, secret{}, err
	}
	sec, ok := s.lookupSecret(st, a.secretID)
	if !ok {
		return a.secretID, secret{}, errSecretIDNotFound()
	}

	payloadHash := sha256Hex(req.body)
	if req.header.Get("X-TC-Content-SHA256") == "UNSIGNED-PAYLOAD" {
		payloadHash = sha256Hex([]byte("UNSIGNED-PAYLOAD"))
	}
	query := ""
	if req.method == "GET" {
		query = req.rawQuery
	}
	key := tc3SigningKey(sec.key, a.date, a.service)
	matched := false
	for _, host := range hostVariants(req.host) {
		for _, lower := range []bool{false, true} {
			headers := canonicalHeaders(req, a.headerNames, host, lower)
			cr := tc3CanonicalRequest(req.method, req.path, query, headers, a.signedHeaders, payloadHash)
			sig := tc3Sign(key, tc3StringToSign(strconv.FormatInt(ts, 10), a.date, a.service, cr))
			if equalSignature(sig, a.signature) {
				matched = true
				break
			}
		}
		if matched {
			break
		}
	}
	if !matched {
		return a.secretID, secret{}, errSignatureFailure()
	}
	return a.secretID, sec, checkToken(sec, req.common["Token"], now)
}

// canonicalHeaders renders the signed headers as "name:value\n" lines. The
// documentation shows lowercased values, the SDKs send them as they are;
// lower selects the documented variant.
func canonicalHeaders(req *apiRequest, names []string, host string, lower bool) string {
	var b strings.Builder
	for _, n := range names {
		var v string
		if n == "host" {
			v = host
		} else {
			v = strings.Join(req.header.Values(n), ",")
		}
		v = strings.TrimSpace(v)
		if lower {
			v = strings.ToLower(v)
		}
		b.WriteString(n)
		b.WriteByte(':')
		b.WriteString(v)
		b.WriteByte('\n')
	}
	return b.String()
}

func (s *Server) authenticateV1(st *authState, req *apiRequest, now time.Time) (string, secret, *apiError) {
	for _, k := range []string{"SecretId", "Signature", "Timestamp", "Nonce"} {
		if req.common[k] == "" {
			return req.common["SecretId"], secret{}, newError("MissingParameter", "The request is missing the required parameter `%s` (signature v1); or sign the request with TC3-HMAC-SHA256 in the Authorization header.", k)
		}
	}
	id := req.common["SecretId"]
	ts, terr := requestTimestamp(req, "Timestamp")
	if terr != nil {
		return id, secret{}, terr
	}
	if err := checkSkew(ts, now); err != nil {
		return id, secret{}, err
	}
	sec, ok := s.lookupSecret(st, id)
	if !ok {
		return id, secret{}, errSecretIDNotFound()
	}
	method := req.common["SignatureMethod"]
	matched := false
	for _, host := range hostVariants(req.host) {
		sig := v1Sign(sec.key, v1StringToSign(req.method, host, req.path, req.v1Params), method)
		if equalSignature(sig, req.common["Signature"]) {
			matched = true
			break
		}
	}
	if !matched {
		return id, secret{}, errSignatureFailure()
	}
	return id, sec, checkToken(sec, req.common["Token"], now)
}

func requestTimestamp(req *apiRequest, name string) (int64, *apiError) {
	v := req.common["Timestamp"]
	if v == "" {
		return 0, newError("MissingParameter", "The request is missing the required parameter `%s`.", name)
	}
	ts, err := strconv.ParseInt(v, 10, 64)
	if err != nil || ts < 0 {
		return 0, newError("InvalidParameter", "The parameter `%s` must be a Unix timestamp in seconds, got %q.", name, v)
	}
	return ts, nil
}

func checkSkew(ts int64, now time.Time) *apiError {
	t := time.Unix(ts, 0)
	if d := now.Sub(t); d > maxClockSkew || d < -maxClockSkew {
		return newError("AuthFailure.SignatureExpire", "The signature expired: the request timestamp %d (%s) is more than 5 minutes from the server time %s. Check the clock of the calling host.", ts, t.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

func checkToken(sec secret, token string, now time.Time) *apiError {
	switch {
	case sec.temporary && sec.revoked:
		return newError("AuthFailure.TokenFailure", "The token is invalid: this temporary credential was revoked.")
	case sec.temporary && !now.Before(sec.expires):
		return newError("AuthFailure.TokenFailure", "The token is invalid: this temporary credential expired at %s.", sec.expires.UTC().Format(time.RFC3339))
	case sec.token != "" && token == "":
		return newError("AuthFailure.TokenFailure", "The token is missing: this SecretId requires a security token (X-TC-Token or Token).")
	case sec.token != "" && !equalSignature(token, sec.token):
		return newError("AuthFailure.TokenFailure", "The token is invalid: it does not belong to this SecretId.")
	case sec.token == "" && token != "":
		return newError("AuthFailure.TokenFailure", "The token is invalid: this SecretId is a permanent key and takes no token.")
	}
	return nil
}

func errSecretIDNotFound() *apiError {
	return newError("AuthFailure.SecretIdNotFound", "The SecretId is not found, please ensure that your SecretId is correct.")
}

func errSignatureFailure() *apiError {
	return newError("AuthFailure.SignatureFailure", "The provided credentials could not be validated. Please check your signature is correct.")
}

// lookupSecret finds a permanent credential of st, or else a temporary one.
func (s *Server) lookupSecret(st *authState, id string) (secret, bool) {
	if c, ok := st.creds[id]; ok {
		account := st.account(id)
		return secret{key: c.SecretKey, token: c.Token, who: accountPrincipal(account), origin: keyOrigin{account: account}}, true
	}
	return s.temp.lookup(id)
}

// checkUnsigned authenticates an action sent without a signature
// (AssumeRoleWithWebIdentity, AssumeRoleWithSAML) as the official SDK sends
// it: Authorization: SKIP, the common X-TC-* headers, no X-TC-Token.
func checkUnsigned(req *apiRequest, now time.Time) *apiError {
	action := req.common["Action"]
	switch {
	case req.authorization != "SKIP":
		what := "no Authorization header"
		if req.authorization != "" {
			what = "the Authorization header " + strings.SplitN(req.authorization, " ", 2)[0] + " …"
		}
		return newError("AuthFailure.InvalidAuthorization", "%s is called without a signature: send the header `Authorization: SKIP` and no X-TC-Token, not %s.", action, what)
	case req.common["Token"] != "":
		return newError("AuthFailure.InvalidAuthorization", "%s is called without credentials: leave out X-TC-Token.", action)
	}
	ts, aerr := requestTimestamp(req, "X-TC-Timestamp")
	if aerr != nil {
		return aerr
	}
	return checkSkew(ts, now)
}
