package emulator

import (
	"regexp"
	"time"
)

const stsVersion = "2018-08-13"

type stsCredentials struct {
	Token        string `json:"Token"`
	TmpSecretId  string `json:"TmpSecretId"`
	TmpSecretKey string `json:"TmpSecretKey"`
}

// stsCredentialsResponse answers AssumeRole, AssumeRoleWithWebIdentity,
// AssumeRoleWithSAML and GetSessionToken.
type stsCredentialsResponse struct {
	Credentials stsCredentials `json:"Credentials"`
	ExpiredTime int64          `json:"ExpiredTime"`
	Expiration  string         `json:"Expiration"`
	RequestId   string         `json:"RequestId"`
}

type callerIdentityResponse struct {
	Arn         string `json:"Arn"`
	AccountId   string `json:"AccountId"`
	UserId      string `json:"UserId"`
	PrincipalId string `json:"PrincipalId"`
	Type        string `json:"Type"`
	RequestId   string `json:"RequestId"`
}

var (
	// roleArnPattern captures the account of qcs::cam::uin/<account>:roleName/<name>
	// or qcs::cam::uin/<account>:role/<role ID>.
	roleArnPattern     = regexp.MustCompile(`^qcs::cam::uin/([0-9]+):(?:roleName/[\w+=,.@-]+|role/[0-9]+)$`)
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,128}$`)
)

// Limits of the STS actions, in seconds.
const (
	defaultAssumeRoleSeconds   = 7200
	maxAssumeRoleSeconds       = 43200
	defaultSessionTokenSeconds = 1800
	maxSessionTokenSeconds     = 129600
)

func required(c *call, name string) (string, *apiError) {
	v, ok := c.params.strings[name]
	if !ok {
		return "", newError("MissingParameter", "The request is missing the required parameter `%s`.", name)
	}
	return v, nil
}

// durationParam reads DurationSeconds: def when absent, code when outside
// 1..maxSeconds.
func durationParam(c *call, def, maxSeconds int64, code string) (time.Duration, *apiError) {
	seconds, ok := c.params.integer("DurationSeconds")
	if !ok {
		seconds = def
	}
	if seconds <= 0 || seconds > maxSeconds {
		return 0, newError(code, "The value of parameter `DurationSeconds` is %d; it must be between 1 and %d.", seconds, maxSeconds)
	}
	return time.Duration(seconds) * time.Second, nil
}

// roleRequest is the role session an AssumeRole* request asks for.
type roleRequest struct {
	arn, session string
	account      string // the role's, from its ARN
	ttl          time.Duration
}

// parseRoleRequest reads RoleArn and RoleSessionName (a malformed one is
// paramCode), then DurationSeconds (out of range: durationCode), in that
// order: the AssumeRole actions share it and so agree on which error wins.
func parseRoleRequest(c *call, paramCode, durationCode string) (roleRequest, *apiError) {
	var r roleRequest
	var aerr *apiError
	if r.arn, aerr = required(c, "RoleArn"); aerr != nil {
		return r, aerr
	}
	m := roleArnPattern.FindStringSubmatch(r.arn)
	if m == nil {
		return r, newError(paramCode, "The parameter `RoleArn` is invalid: %q; expected qcs::cam::uin/<account ID>:roleName/<role name>.", r.arn)
	}
	r.account = m[1]
	if r.session, aerr = required(c, "RoleSessionName"); aerr != nil {
		return r, aerr
	}
	if !sessionNamePattern.MatchString(r.session) {
		return r, newError(paramCode, "The parameter `RoleSessionName` is invalid: %q; use 2 to 128 letters, digits or the characters +=,.@-_.", r.session)
	}
	r.ttl, aerr = durationParam(c, defaultAssumeRoleSeconds, maxAssumeRoleSeconds, durationCode)
	return r, aerr
}

// roleExists applies the account rule of Identity.Accounts to the role r
// asks for.
func roleExists(c *call, r roleRequest) *apiError {
	if !c.auth.roleExists(r.account) {
		return newError("ResourceNotFound.RoleNotFound", "The role %s does not exist: account %s is not one of the emulator's accounts (identity.accounts, and %s).", r.arn, r.account, DefaultAccountID)
	}
	return nil
}

// issueRole is the last step of every AssumeRole action: the account rule,
// then a credential for a session of the role, asked for by account by,
// vouched for by provider (an OIDC or SAML provider's name, if any).
func (s *Server) issueRole(c *call, r roleRequest, by, provider string) (answer, *apiError) {
	if aerr := roleExists(c, r); aerr != nil {
		return nil, aerr
	}
	origin := keyOrigin{issuedBy: c.action, role: r.arn, session: r.session, provider: provider}
	return s.issue(c, rolePrincipal(r.account, r.arn, r.session, by), r.ttl, origin), nil
}

// checkMFA checks a TokenCode against the device SerialNumber names, for a
// caller of account, and spends it: a code passes once. Callers check it
// last, so that a request refused for another reason leaves it unspent.
func (s *Server) checkMFA(c *call, serial, code, account string) *apiError {
	if m := mfaSerialPattern.FindStringSubmatch(serial); m != nil && m[2] != "softToken" {
		return newError("FailedOperation.MFATypeNotSupported", "The MFA device type %q of %s is not supported; only softToken (TOTP) is.", m[2], serial)
	}
	dev, ok := c.auth.mfa[serial]
	switch {
	case !ok:
		return newError("FailedOperation.CheckMFAError", "The MFA check failed: there is no MFA device %q (identity.mfa_devices).", serial)
	case dev.account != "" && dev.account != account:
		return newError("FailedOperation.CheckMFAError", "The MFA check failed: device %s belongs to account %s, the caller to account %s.", serial, dev.account, account)
	}
	switch matched, reused := s.mfaUsed.use(serial+"\x00"+string(dev.secret), dev.secret, code, c.now); {
	case !matched:
		return newError("FailedOperation.CheckMFAError", "The MFA check failed: the TokenCode is not the device's current code (TOTP, 30-second steps, one step of drift accepted).")
	case reused:
		return newError("FailedOperation.CheckMFAError", "The MFA check failed: the TokenCode was already used; a code is good once. Send the device's next code (within 30 seconds).")
	}
	return nil
}

// optionalMFA checks SerialNumber and TokenCode when either is given.
func (s *Server) optionalMFA(c *call, account string) *apiError {
	_, hasSerial := c.params.strings["SerialNumber"]
	_, hasCode := c.params.strings["TokenCode"]
	if !hasSerial && !hasCode {
		return nil
	}
	serial, aerr := required(c, "SerialNumber")
	if aerr != nil {
		return aerr
	}
	code, aerr := required(c, "TokenCode")
	if aerr != nil {
		return aerr
	}
	return s.checkMFA(c, serial, code, account)
}

// issue makes a temporary credential for who. The log line names it by its
// SecretId and says who asked: the caller's SecretId, or for an unsigned
// action the identity provider that vouched.
func (s *Server) issue(c *call, who principal, ttl time.Duration, origin keyOrigin) answer {
	issued := s.temp.issue(c.now, ttl, who, origin)
	by := c.secretID
	if c.who != nil && c.who.by != "" {
		by = c.who.by
	}
	attrs := []any{"action", c.action, "arn", who.Arn, "user_id", who.UserId, "by", by}
	if origin.role != "" {
		attrs = append(attrs, "role", origin.role)
	}
	s.log.Info("temporary credential issued", append(attrs, "secret_id", issued.id, "expires", issued.expires.UTC().Format(time.RFC3339))...)
	return &stsCredentialsResponse{
		Credentials: stsCredentials{Token: issued.token, TmpSecretId: issued.id, TmpSecretKey: issued.key},
		ExpiredTime: issued.expires.Unix(),
		Expiration:  issued.expires.UTC().Format(time.RFC3339),
	}
}

func (s *Server) assumeRole(c *call) (answer, *apiError) {
	r, aerr := parseRoleRequest(c, "InvalidParameter", "InvalidParameterValue")
	if aerr != nil {
		return nil, aerr
	}
	if p := c.params.strings["Policy"]; len(p) > 2048 {
		return nil, newError("InvalidParameterValue", "The parameter `Policy` is %d characters long; at most 2048 are allowed.", len(p))
	}
	if si, ok := c.params.strings["SourceIdentity"]; ok && (si == "" || len(si) > 128) {
		return nil, newError("InvalidParameter.ParamError", "The parameter `SourceIdentity` must be 1 to 128 characters long, got %d.", len(si))
	}
	if aerr := roleExists(c, r); aerr != nil {
		return nil, aerr
	}
	if aerr := s.optionalMFA(c, c.caller.AccountId); aerr != nil {
		return nil, aerr
	}
	return s.issueRole(c, r, c.caller.AccountId, "")
}

func (s *Server) assumeRoleWithWebIdentity(c *call) (answer, *apiError) {
	c.who.vouchedBy("OIDC", c.params.strings["ProviderId"], c.params.strings["RoleArn"])
	providerID, aerr := required(c, "ProviderId")
	if aerr != nil {
		return nil, aerr
	}
	token, aerr := required(c, "WebIdentityToken")
	if aerr != nil {
		return nil, aerr
	}
	r, aerr := parseRoleRequest(c, "InvalidParameter.ParamError", "InvalidParameter.ParamError")
	if aerr != nil {
		return nil, aerr
	}
	p, ok := c.auth.oidc[providerID]
	if !ok {
		return nil, newError("InvalidParameter.WebIdentityTokenError", "The WebIdentityToken cannot be checked: there is no OIDC provider %q (identity.oidc_providers).", providerID)
	}
	if err := verifyWebIdentityToken(p, token, c.now); err != nil {
		return nil, newError("InvalidParameter.WebIdentityTokenError", "The WebIdentityToken is invalid: %v.", err)
	}
	return s.issueRole(c, r, r.account, providerID)
}

func (s *Server) assumeRoleWithSAML(c *call) (answer, *apiError) {
	c.who.vouchedBy("SAML", c.params.strings["PrincipalArn"], c.params.strings["RoleArn"])
	assertion, aerr := required(c, "SAMLAssertion")
	if aerr != nil {
		return nil, aerr
	}
	principalArn, aerr := required(c, "PrincipalArn")
	if aerr != nil {
		return nil, aerr
	}
	r, aerr := parseRoleRequest(c, "InvalidParameter.ParamError", "InvalidParameter.OverTimeError")
	if aerr != nil {
		return nil, aerr
	}
	p, ok := c.auth.saml[principalArn]
	if !ok {
		return nil, newError("InvalidParameter.ParamError", "The parameter `PrincipalArn` names no SAML provider: %q (identity.saml_providers).", principalArn)
	}
	if aerr := checkSAMLAssertion(p.SAMLProvider, assertion, r.arn, c.now); aerr != nil {
		return nil, aerr
	}
	return s.issueRole(c, r, p.account, principalArn)
}

func (s *Server) getSessionToken(c *call) (answer, *apiError) {
	if c.temporary {
		return nil, newError("FailedOperation.TempKeyNotAllowed", "GetSessionToken takes a permanent key; this request is signed with a temporary credential.")
	}
	serial, aerr := required(c, "SerialNumber")
	if aerr != nil {
		return nil, aerr
	}
	code, aerr := required(c, "TokenCode")
	if aerr != nil {
		return nil, aerr
	}
	ttl, aerr := durationParam(c, defaultSessionTokenSeconds, maxSessionTokenSeconds, "InvalidParameter.OverTimeError")
	if aerr != nil {
		return nil, aerr
	}
	if aerr := s.checkMFA(c, serial, code, c.caller.AccountId); aerr != nil {
		return nil, aerr
	}
	return s.issue(c, c.caller, ttl, keyOrigin{issuedBy: c.action}), nil
}

func (s *Server) getCallerIdentity(c *call) (answer, *apiError) {
	p := c.caller
	return &callerIdentityResponse{Arn: p.Arn, AccountId: p.AccountId, UserId: p.UserId, PrincipalId: p.PrincipalId, Type: p.Type}, nil
}
