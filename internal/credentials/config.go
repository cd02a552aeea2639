package credentials

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// Config is every input of the credential chain, as plain values that the
// caller (the provider) has read from its configuration and environment.
// Labels (…From, …Label) say where a value came from or where it is set,
// such as "assume_role_with_web_identity.web_identity_token_file" or
// "TENCENTCLOUD_ASSUME_ROLE_ARN", so that errors name the setting without
// this package knowing where settings live.
//
// The order of precedence: the base credential is the first found of the
// keys, the profile (its keys, its CAM role, or a tccli login), and the CAM
// role of the instance. Then at most one layer changes who acts: a web
// identity or a SAML assertion, which need no base; AssumeRole, or else
// the profile's role-arn, signed with the base; or an MFA session of the
// base itself.
type Config struct {
	Keys Keys
	// The tccli profile Profile in SharedDir (with "~" expanded).
	// ProfileExplicit says that the user named the profile or the
	// directory: a missing profile is then an error rather than a skip.
	Profile         string
	SharedDir       string
	ProfileExplicit bool
	// CAMRoleName is the instance's CAM role ("" with a profile of type
	// cvm-role: the one the metadata service names). MetadataURL is the
	// metadata service ("" for the real one).
	CAMRoleName string
	MetadataURL string
	// NoneFound is the error's text when no base credential is found, a
	// format with one %s, the default profile's credential file.
	NoneFound string

	AssumeRole   *AssumeRole
	WebIdentity  *WebIdentityConfig
	SAML         *SAML
	MFA          *SessionToken
	AccountGuard *AccountGuard
	// ProfileRole gives the session name and duration of a profile's
	// role-arn when the profile names none.
	ProfileRole AssumeRole

	// Checks of values read from files, which no schema has seen; each
	// returns what is wrong, or "". Nil accepts anything.
	RoleARNProblem, SessionNameProblem func(string) string
	// MFAConflict says why an MFA session cannot be combined with role.
	MFAConflict func(role string) string

	HTTPClient *http.Client     // for the metadata service and GitHub Actions; nil for defaults
	Now        func() time.Time // nil for time.Now
}

// Keys are secret keys given as such, with the labels of the pair for the
// error when only one of them is set.
type Keys struct {
	SecretID, SecretKey, SecurityToken string
	Name                               string // the source's name, such as "secret_id/secret_key"
	SecretIDLabel, SecretKeyLabel      string
	PairHint                           string // how else to set both, such as "(or TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY)"
}

// WebIdentityConfig is an AssumeRoleWithWebIdentity before its files are read
// and its token source chosen: a token given, else a token file, else the
// CI system's (HCP Terraform's workload identity token, then GitHub
// Actions' token request).
type WebIdentityConfig struct {
	ProviderID               string
	Token, TokenFrom         string
	TokenFile, TokenFileFrom string
	RoleARN                  string
	RoleARNFile, RoleARNFrom string
	SessionName, Audience    string
	DurationSeconds          int64
	STSRegion                string // the region STS calls are made in, when the identity names one (TKE)
	HCPToken, HCPTokenFrom   string
	GitHubURL, GitHubBearer  string
	NoToken                  string // the error's text when there is no token at all
}

// Chain is a resolved Config: the base credential and the layers on top,
// for STS.Chain.
type Chain struct {
	Base      tcapi.CredentialSource // nil with a web identity or a SAML assertion
	Profile   *Profile               // the profile read, if any: its region is used
	Layers    Layers
	STSRegion string // "" unless the identity names one
	// Secrets are the values of this configuration that no log line may
	// show: keys, tokens (given, read from a file or from the CI system),
	// assertions, codes. Tokens a renewal reads later are not among them.
	Secrets []string
}

// Resolve finds the credential chain, reading the files it names (profiles,
// token and role files) once now, so that a missing or unreadable file is an
// error of the configuration rather than of the first read.
func (c Config) Resolve() (Chain, error) {
	ch := Chain{Layers: Layers{AccountGuard: c.AccountGuard}}
	add := func(values ...string) {
		for _, v := range values {
			if v != "" {
				ch.Secrets = append(ch.Secrets, v)
			}
		}
	}
	add(c.Keys.SecretKey, c.Keys.SecurityToken)

	switch {
	case c.WebIdentity != nil:
		w := *c.WebIdentity
		web, token, err := c.webIdentity(w)
		if err != nil {
			return ch, err
		}
		ch.Layers.WebIdentity, ch.STSRegion = web, w.STSRegion
		add(token, w.HCPToken, w.GitHubBearer)
		return ch, nil
	case c.SAML != nil:
		ch.Layers.SAML = c.SAML
		add(c.SAML.Assertion)
		return ch, nil
	}

	base, profile, err := c.base()
	if err != nil {
		return ch, err
	}
	ch.Base, ch.Profile = base, profile
	if profile != nil {
		add(profile.SecretKey, profile.Token)
	}
	switch {
	case c.AssumeRole != nil:
		ch.Layers.AssumeRole = c.AssumeRole
		add(c.AssumeRole.TokenCode)
	case profile != nil && profile.RoleARN != "":
		// tccli configure set role-arn …: the profile acts as the role.
		if c.MFA != nil {
			return ch, errors.New(c.MFAConflict(fmt.Sprintf("the role-arn of profile %q (%s)", profile.Name, profile.CredentialFile)))
		}
		if msg := check(c.RoleARNProblem, profile.RoleARN); msg != "" {
			return ch, fmt.Errorf("profile %q (%s): its role-arn %s", profile.Name, profile.CredentialFile, msg)
		}
		ar := &AssumeRole{RoleARN: profile.RoleARN, SessionName: cmp.Or(profile.RoleSessionName, c.ProfileRole.SessionName), DurationSeconds: c.ProfileRole.DurationSeconds}
		if msg := check(c.SessionNameProblem, ar.SessionName); msg != "" {
			return ch, fmt.Errorf("profile %q (%s): its role-session-name %s", profile.Name, profile.CredentialFile, msg)
		}
		ch.Layers.AssumeRole = ar
	}
	if c.MFA != nil {
		ch.Layers.SessionToken = c.MFA
		add(c.MFA.TokenCode)
	}
	return ch, nil
}

func check(problem func(string) string, v string) string {
	if problem == nil {
		return ""
	}
	return problem(v)
}

func (c Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// base picks the base credential: keys, then the shared tccli profile, then
// the CAM role of the instance. It returns the profile it read, if any.
func (c Config) base() (tcapi.CredentialSource, *Profile, error) {
	k := c.Keys
	switch {
	case k.SecretID != "" && k.SecretKey != "":
		return StaticCredentials(k.Name, tcapi.Credential{SecretID: k.SecretID, SecretKey: k.SecretKey, Token: k.SecurityToken}), nil, nil
	case k.SecretID != "":
		return nil, nil, fmt.Errorf("%s is set but %s is not: set both %s", k.SecretIDLabel, k.SecretKeyLabel, k.PairHint)
	case k.SecretKey != "":
		return nil, nil, fmt.Errorf("%s is set but %s is not: set both %s", k.SecretKeyLabel, k.SecretIDLabel, k.PairHint)
	}

	p, found, err := LoadProfile(c.SharedDir, c.Profile)
	if err != nil {
		return nil, nil, fmt.Errorf("profile %q: %w", c.Profile, err)
	}
	if found {
		src, err := c.profileCredential(p)
		return src, &p, err
	}
	if c.ProfileExplicit && c.CAMRoleName == "" {
		return nil, nil, fmt.Errorf("profile %q was asked for, but %s does not exist%s", c.Profile, p.CredentialFile, profilesThere(c.SharedDir))
	}
	if c.CAMRoleName != "" {
		return CAMRoleCredentials(c.CAMRoleName, c.MetadataURL, c.HTTPClient, nil), nil, nil
	}
	return nil, nil, fmt.Errorf("no Tencent Cloud credentials found. "+c.NoneFound, p.CredentialFile)
}

// profileCredential is the credential a profile holds, by its type.
func (c Config) profileCredential(p Profile) (tcapi.CredentialSource, error) {
	name := fmt.Sprintf("profile %q (%s)", p.Name, p.CredentialFile)
	switch p.Type {
	case ProfileCVMRole:
		// --use-cvm-role true: the instance's role; CAMRoleName names it,
		// else the metadata service does.
		return CAMRoleCredentials(c.CAMRoleName, c.MetadataURL, c.HTTPClient, nil), nil
	case ProfileOAuth, ProfileSSO:
		renew := fmt.Sprintf("run `tccli auth login --profile %s` to sign in again (tccli itself renews the keys of an oauth login at its next command while the login lasts)", p.Name)
		if p.Type == ProfileSSO {
			renew = fmt.Sprintf("run `tccli sso login --profile %s` to sign in again", p.Name)
		}
		renew += "; this provider never writes to tccli's files"
		if !c.now().Before(p.ExpiresAt) {
			return nil, fmt.Errorf("%s is a tccli %s login that expired at %s: %s", name, p.Type, p.ExpiresAt.UTC().Format(time.RFC3339), renew)
		}
		return ExpiringCredentials(name+", a tccli "+p.Type+" login", tcapi.Credential{SecretID: p.SecretID, SecretKey: p.SecretKey, Token: p.Token, Expiration: p.ExpiresAt}, renew, nil), nil
	}
	return StaticCredentials(name, tcapi.Credential{SecretID: p.SecretID, SecretKey: p.SecretKey, Token: p.Token}), nil
}

// webIdentity reads the role file and checks the token source now; the
// token itself is read again at every renewal. token is the one known now,
// if any, for the log masks.
func (c Config) webIdentity(w WebIdentityConfig) (web *WebIdentity, token string, err error) {
	roleARN := w.RoleARN
	if roleARN == "" {
		raw, err := ReadFile(w.RoleARNFile)
		if err != nil {
			return nil, "", fmt.Errorf("the role ARN file %s (from %s) cannot be read: %w", w.RoleARNFile, w.RoleARNFrom, err)
		}
		roleARN = strings.TrimSpace(string(raw))
		if msg := check(c.RoleARNProblem, roleARN); msg != "" {
			return nil, "", fmt.Errorf("the role ARN file %s (from %s) holds %s", w.RoleARNFile, w.RoleARNFrom, msg)
		}
	}
	source, token, err := c.tokenSource(w)
	if err != nil {
		return nil, "", err
	}
	return &WebIdentity{ProviderID: w.ProviderID, Token: source, RoleARN: roleARN, SessionName: w.SessionName, DurationSeconds: w.DurationSeconds}, token, nil
}

// tokenSource chooses where the web identity token comes from: the token
// given, the token file (read now to check it, and again at each renewal),
// HCP Terraform's workload identity token, or GitHub Actions. now is the
// token read now ("" for GitHub's, requested at each renewal).
func (c Config) tokenSource(w WebIdentityConfig) (source func(context.Context) (string, error), now string, err error) {
	fixed := func(what, token string) (func(context.Context) (string, error), string, error) {
		if err := CheckToken(token); err != nil {
			return nil, "", fmt.Errorf("the web identity token from %s %w", what, err)
		}
		return func(context.Context) (string, error) { return token, nil }, token, nil
	}
	switch {
	case w.Token != "":
		return fixed(w.TokenFrom, w.Token)
	case w.TokenFile != "":
		read := func(context.Context) (string, error) {
			token, err := ReadTokenFile(w.TokenFile)
			if err != nil {
				return "", fmt.Errorf("the web identity token file %s (from %s): %w", w.TokenFile, w.TokenFileFrom, err)
			}
			return token, nil
		}
		token, err := read(context.Background())
		if err != nil {
			return nil, "", err
		}
		if err := CheckToken(token); err != nil {
			return nil, "", fmt.Errorf("the web identity token in %s (from %s) %w", w.TokenFile, w.TokenFileFrom, err)
		}
		return read, token, nil
	case w.HCPToken != "":
		return fixed(w.HCPTokenFrom, w.HCPToken)
	case w.GitHubURL != "" && w.GitHubBearer != "":
		source, err := GitHubActionsToken(w.GitHubURL, w.GitHubBearer, w.Audience, c.HTTPClient)
		return source, "", err
	}
	return nil, "", errors.New(w.NoToken)
}

// profilesThere names the profiles a mistyped one may have meant.
func profilesThere(dir string) string {
	names := Profiles(dir)
	switch {
	case len(names) == 0:
		return "; the directory holds no profile (tccli configure --profile NAME writes one)"
	case len(names) > 10:
		return fmt.Sprintf("; the profiles there are %s and %d more", strings.Join(names[:10], ", "), len(names)-10)
	}
	return "; the profiles there are " + strings.Join(names, ", ")
}
