package credentials

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// stsVersion is the STS API version every call uses.
const stsVersion = "2018-08-13"

// AssumeRole is an STS AssumeRole call made with a base credential.
type AssumeRole struct {
	RoleARN         string
	SessionName     string
	DurationSeconds int64 // 0: the service default (7200)
	Policy          string
	ExternalID      string
	SourceIdentity  string
	// SerialNumber and TokenCode make it an MFA call. A code is good for
	// about a minute, so the session cannot be renewed: it lasts
	// DurationSeconds, and then the read fails with ErrMFASessionExpired.
	SerialNumber string
	TokenCode    string
}

// WebIdentity is an STS AssumeRoleWithWebIdentity call: an OIDC token for a
// role, sent unsigned. Token is asked for at every renewal, because tokens
// that are mounted into files or issued by a CI system are short-lived and
// rotate.
type WebIdentity struct {
	ProviderID      string
	Token           func(ctx context.Context) (string, error)
	RoleARN         string
	SessionName     string
	DurationSeconds int64
}

// SAML is an STS AssumeRoleWithSAML call, sent unsigned. An assertion is
// valid for minutes; renewing the session needs a new one, so, as with MFA,
// the session lasts DurationSeconds.
type SAML struct {
	Assertion       string
	PrincipalARN    string
	RoleARN         string
	SessionName     string
	DurationSeconds int64
}

// SessionToken is an STS GetSessionToken call with the base credential and
// an MFA code: the same identity, MFA-authenticated. It cannot be renewed
// without a new code.
type SessionToken struct {
	SerialNumber    string
	TokenCode       string
	DurationSeconds int64
}

// ErrSessionCannotBeRenewed is wrapped by the error of a source whose
// session, made with a one-time code or assertion, has ended.
var ErrSessionCannotBeRenewed = errors.New("the session was made with a one-time code or assertion and cannot be renewed")

// STS makes STS calls through tcapi: signed with a credential, or unsigned
// (Authorization: SKIP) for the federated ones. Its methods make the
// credential sources that STS issues.
type STS struct {
	api      *tcapi.Client
	endpoint *url.URL
	region   string // X-TC-Region: required by every STS action, though STS is global
}

// Defaults of NewSTS.
const (
	DefaultSTSEndpoint = "https://sts.tencentcloudapi.com"
	// DefaultSTSRegion is the X-TC-Region of STS calls when none is named:
	// every STS action's page marks Region required, and STS, a global
	// service, answers in any region. It is the official provider's
	// default region.
	DefaultSTSRegion = "ap-guangzhou"
)

// NewSTS calls STS at endpoint ("" for DefaultSTSEndpoint) in region (""
// for DefaultSTSRegion) through api.
func NewSTS(api *tcapi.Client, endpoint, region string) (*STS, error) {
	u, err := tcapi.ParseEndpoint(cmp.Or(endpoint, DefaultSTSEndpoint))
	if err != nil {
		return nil, fmt.Errorf("STS endpoint: %w", err)
	}
	return &STS{api: api, endpoint: u, region: cmp.Or(region, DefaultSTSRegion)}, nil
}

// credentialsAnswer is the answer of every STS action that issues a
// temporary credential.
type credentialsAnswer struct {
	Response struct {
		tcapi.ResponseHeader
		Credentials struct {
			Token        string `json:"Token"`
			TmpSecretID  string `json:"TmpSecretId"`
			TmpSecretKey string `json:"TmpSecretKey"`
		} `json:"Credentials"`
		ExpiredTime int64 `json:"ExpiredTime"`
	} `json:"Response"`
}

func (a *credentialsAnswer) Header() *tcapi.ResponseHeader { return &a.Response.ResponseHeader }
func (a *credentialsAnswer) Reset()                        { *a = credentialsAnswer{} }

type callerIdentityAnswer struct {
	Response struct {
		tcapi.ResponseHeader
		callerIdentity
	} `json:"Response"`
}

func (a *callerIdentityAnswer) Header() *tcapi.ResponseHeader { return &a.Response.ResponseHeader }
func (a *callerIdentityAnswer) Reset()                        { *a = callerIdentityAnswer{} }

// call makes one STS call. cred nil sends it unsigned. The values in secrets
// (tokens, assertions, codes the request carries) are cut out of an error's
// message, in case the service quotes them back.
func (s *STS) call(ctx context.Context, action string, cred *tcapi.Credential, params map[string]any, out tcapi.Answer, secrets ...string) error {
	payload, err := json.Marshal(params)
	if err != nil {
		return err
	}
	var signer tcapi.Credential // the zero credential: Authorization: SKIP
	if cred != nil {
		signer = *cred
	}
	req := tcapi.Request{Endpoint: s.endpoint, Service: "sts", Version: stsVersion, Action: action, Region: s.region, Payload: payload}
	if apiErr := s.api.Call(ctx, req, signer, out); apiErr != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		for _, secret := range secrets {
			if secret != "" {
				apiErr.Message = strings.ReplaceAll(apiErr.Message, secret, "[redacted]")
			}
		}
		return apiErr
	}
	return nil
}

// issue makes an STS call that answers with a temporary credential.
func (s *STS) issue(ctx context.Context, action string, cred *tcapi.Credential, params map[string]any, secrets ...string) (tcapi.Credential, error) {
	var out credentialsAnswer
	if err := s.call(ctx, action, cred, params, &out, secrets...); err != nil {
		return tcapi.Credential{}, err
	}
	r := out.Response
	if r.Credentials.TmpSecretID == "" || r.Credentials.TmpSecretKey == "" || r.Credentials.Token == "" || r.ExpiredTime == 0 {
		return tcapi.Credential{}, fmt.Errorf("STS %s answered without a complete credential", action)
	}
	return tcapi.Credential{SecretID: r.Credentials.TmpSecretID, SecretKey: r.Credentials.TmpSecretKey, Token: r.Credentials.Token, Expiration: time.Unix(r.ExpiredTime, 0)}, nil
}

// callerIdentity asks who cred is.
func (s *STS) callerIdentity(ctx context.Context, cred tcapi.Credential) (callerIdentity, error) {
	var out callerIdentityAnswer
	if err := s.call(ctx, "GetCallerIdentity", &cred, map[string]any{}, &out); err != nil {
		return callerIdentity{}, err
	}
	if out.Response.AccountID == "" {
		return callerIdentity{}, errors.New("STS GetCallerIdentity answered without an AccountId")
	}
	return out.Response.callerIdentity, nil
}

// withDuration adds DurationSeconds when set.
func withDuration(params map[string]any, seconds int64) map[string]any {
	if seconds > 0 {
		params["DurationSeconds"] = seconds
	}
	return params
}

// oneTime makes fetch usable for one session only: once it has given a
// credential, a renewal fails with ErrSessionCannotBeRenewed and why.
func oneTime(fetch func(context.Context) (tcapi.Credential, error), why string) func(context.Context) (tcapi.Credential, error) {
	var issued *tcapi.Credential
	return func(ctx context.Context) (tcapi.Credential, error) {
		if issued != nil {
			return tcapi.Credential{}, fmt.Errorf("%w: it ended at %s; %s", ErrSessionCannotBeRenewed, issued.Expiration.UTC().Format(time.RFC3339), why)
		}
		c, err := fetch(ctx)
		if err == nil {
			issued = &c
		}
		return c, err
	}
}

// AssumeRole assumes ar's role with base's credential, again before each
// expiry (unless MFA makes it a one-time session).
func (s *STS) AssumeRole(base tcapi.CredentialSource, ar AssumeRole) tcapi.CredentialSource {
	src := &refreshingSource{name: fmt.Sprintf("role %s assumed with %s", ar.RoleARN, base.Name()), now: s.api.Now}
	src.fetch = func(ctx context.Context) (tcapi.Credential, error) {
		baseCred, err := base.Credential(ctx)
		if err != nil {
			return tcapi.Credential{}, fmt.Errorf("the credential to assume the role with (%s): %w", base.Name(), err)
		}
		params := withDuration(map[string]any{"RoleArn": ar.RoleARN, "RoleSessionName": ar.SessionName}, ar.DurationSeconds)
		for k, v := range map[string]string{"Policy": ar.Policy, "ExternalId": ar.ExternalID, "SourceIdentity": ar.SourceIdentity,
			"SerialNumber": ar.SerialNumber, "TokenCode": ar.TokenCode} {
			if v != "" {
				params[k] = v
			}
		}
		return s.issue(ctx, "AssumeRole", &baseCred, params, ar.TokenCode)
	}
	if ar.TokenCode != "" {
		src.fetch = oneTime(src.fetch, "a new session needs a new MFA code")
	}
	return src
}

// WebIdentity assumes wi's role with an OIDC token, unsigned; each renewal
// asks for the token again.
func (s *STS) WebIdentity(wi WebIdentity) tcapi.CredentialSource {
	src := &refreshingSource{name: fmt.Sprintf("role %s assumed with a web identity token of provider %s", wi.RoleARN, wi.ProviderID), now: s.api.Now}
	src.fetch = func(ctx context.Context) (tcapi.Credential, error) {
		token, err := wi.Token(ctx)
		if err != nil {
			return tcapi.Credential{}, err
		}
		params := withDuration(map[string]any{"ProviderId": wi.ProviderID, "WebIdentityToken": token, "RoleArn": wi.RoleARN, "RoleSessionName": wi.SessionName}, wi.DurationSeconds)
		return s.issue(ctx, "AssumeRoleWithWebIdentity", nil, params, token)
	}
	return src
}

// SAML assumes sa's role with a SAML assertion, unsigned, for one session.
func (s *STS) SAML(sa SAML) tcapi.CredentialSource {
	src := &refreshingSource{name: fmt.Sprintf("role %s assumed with a SAML assertion of %s", sa.RoleARN, sa.PrincipalARN), now: s.api.Now}
	src.fetch = oneTime(func(ctx context.Context) (tcapi.Credential, error) {
		params := withDuration(map[string]any{"SAMLAssertion": sa.Assertion, "PrincipalArn": sa.PrincipalARN, "RoleArn": sa.RoleARN, "RoleSessionName": sa.SessionName}, sa.DurationSeconds)
		return s.issue(ctx, "AssumeRoleWithSAML", nil, params, sa.Assertion)
	}, "a new session needs a new SAML assertion from the identity provider")
	return src
}

// SessionToken gets an MFA session of base's own identity.
func (s *STS) SessionToken(base tcapi.CredentialSource, st SessionToken) tcapi.CredentialSource {
	src := &refreshingSource{name: fmt.Sprintf("an MFA session (%s) of %s", st.SerialNumber, base.Name()), now: s.api.Now}
	src.fetch = oneTime(func(ctx context.Context) (tcapi.Credential, error) {
		baseCred, err := base.Credential(ctx)
		if err != nil {
			return tcapi.Credential{}, fmt.Errorf("the credential to start the MFA session with (%s): %w", base.Name(), err)
		}
		params := withDuration(map[string]any{"SerialNumber": st.SerialNumber, "TokenCode": st.TokenCode}, st.DurationSeconds)
		return s.issue(ctx, "GetSessionToken", &baseCred, params, st.TokenCode)
	}, "a new session needs a new MFA code")
	return src
}

// GitHubActionsToken asks the GitHub Actions runner of a job with
// `permissions: id-token: write` for an OIDC token for audience, at each
// call: the runner's tokens live minutes. requestURL and requestToken are the
// job's ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN; the
// request token is a bearer secret, so the URL must be https (or http to a
// loopback address, for tests).
func GitHubActionsToken(requestURL, requestToken, audience string, hc *http.Client) (func(context.Context) (string, error), error) {
	u, err := url.Parse(requestURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("the GitHub Actions token request URL %q is not a URL", requestURL)
	}
	if err := tcapi.SecureScheme(u, u.Redacted()); err != nil {
		return nil, fmt.Errorf("the GitHub Actions token request URL: %w", err)
	}
	q := u.Query()
	q.Set("audience", audience)
	u.RawQuery = q.Encode()
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return func(ctx context.Context) (string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return "", err
		}
		req.Header.Set("Authorization", "Bearer "+requestToken)
		req.Header.Set("Accept", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return "", fmt.Errorf("asking GitHub Actions for an OIDC token: %w", err)
		}
		defer func() { _ = resp.Body.Close() }()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return "", fmt.Errorf("reading GitHub Actions' OIDC token: %w", err)
		}
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("GitHub Actions answered HTTP %s to the OIDC token request: the job needs `permissions: id-token: write`", resp.Status)
		}
		var v struct {
			Value string `json:"value"`
		}
		if err := json.Unmarshal(body, &v); err != nil || v.Value == "" {
			return "", errors.New("GitHub Actions' answer to the OIDC token request holds no token")
		}
		return v.Value, nil
	}, nil
}
