package provider

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/credentials"
	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// Where credentials come from, in order of precedence. The documentation
// (templates/index.md.tmpl) has this as a table.
//
// The base credential, the first found:
//  1. secret_id / secret_key (configuration, then TENCENTCLOUD_SECRET_ID /
//     TENCENTCLOUD_SECRET_KEY), with security_token;
//  2. the tccli profile: its keys, its type "cvm-role" (the instance's CAM
//     role) or "oauth" / "sso" (a tccli login's temporary keys, until they
//     expire);
//  3. cam_role_name: the CAM role of the CVM instance.
//
// Then at most one layer that changes who acts:
//   - assume_role_with_web_identity, assume_role_with_saml or
//     enable_pod_oidc, which need no base at all;
//   - assume_role, signed with the base;
//   - without any of these blocks, the same from the environment
//     (TENCENTCLOUD_ASSUME_ROLE_ARN with a web identity token, a SAML
//     assertion, or alone);
//   - without any of these, the profile's role-arn, signed with its key;
//   - mfa_certification, an MFA session of the base itself.

// credentialSources says, in order of precedence, where a credential can come
// from; the error for "none found" lists it.
const credentialSources = `Provide them in one of these ways, in this order of precedence:
  - secret_id and secret_key (and security_token for temporary keys) in the provider block;
  - the environment variables TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY (and TENCENTCLOUD_SECURITY_TOKEN);
  - a tccli profile: %s (profile / TENCENTCLOUD_PROFILE, shared_credentials_dir / TENCENTCLOUD_SHARED_CREDENTIALS_DIR);
  - cam_role_name / TENCENTCLOUD_CAM_ROLE_NAME, on a CVM instance with that CAM role bound;
  - or, with no key at all, assume_role_with_web_identity, assume_role_with_saml or enable_pod_oidc.
assume_role (TENCENTCLOUD_ASSUME_ROLE_ARN) or mfa_certification then applies on top of the key found`

// identity is what the client's configuration takes to sign as the
// configured identity.
type identity struct {
	base      tcapi.CredentialSource
	profile   *credentials.Profile // the profile read, if any: its region is used
	assume    *credentials.AssumeRole
	web       *credentials.WebIdentity
	saml      *credentials.SAML
	session   *credentials.SessionToken
	stsRegion string
	guard     *credentials.AccountGuard
	// secrets are the values of this configuration that no log line may
	// show: keys, tokens (given, read from a file or from the CI system),
	// assertions, codes. Tokens a renewal reads later are not among them.
	secrets []string
}

// resolveIdentity turns the merged settings into the credential chain,
// reading the files it names (profiles, token and role files) once now, so
// that a missing or unreadable file is an error of the configuration rather
// than of the first read.
func (p *CVMProvider) resolveIdentity(s settings) (identity, error) {
	id := identity{guard: s.identity.guard}
	add := func(values ...string) {
		for _, v := range values {
			if v != "" {
				id.secrets = append(id.secrets, v)
			}
		}
	}
	add(s.creds.secretKey, s.creds.securityToken)

	switch {
	case s.identity.webIdentity != nil:
		w := *s.identity.webIdentity
		web, token, err := p.webIdentity(w)
		if err != nil {
			return id, err
		}
		id.web, id.stsRegion = web, w.stsRegion
		add(token, w.hcpToken, w.githubBearer)
		return id, nil
	case s.identity.saml != nil:
		id.saml = s.identity.saml
		add(id.saml.Assertion)
		return id, nil
	}

	base, profile, err := baseCredential(s.creds, p.opts.httpClient)
	if err != nil {
		return id, err
	}
	id.base, id.profile = base, profile
	if profile != nil {
		add(profile.SecretKey, profile.Token)
	}
	switch {
	case s.identity.assumeRole != nil:
		id.assume = s.identity.assumeRole
		add(id.assume.TokenCode)
	case profile != nil && profile.RoleARN != "":
		// tccli configure set role-arn …: the profile acts as the role.
		if s.identity.mfa != nil {
			return id, errors.New(mfaConflict(fmt.Sprintf("the role-arn of profile %q (%s)", profile.Name, profile.CredentialFile)))
		}
		if msg := roleARNRule.problem(profile.RoleARN); msg != "" {
			return id, fmt.Errorf("profile %q (%s): its role-arn %s", profile.Name, profile.CredentialFile, msg)
		}
		id.assume = &credentials.AssumeRole{RoleARN: profile.RoleARN, SessionName: cmp.Or(profile.RoleSessionName, DefaultSessionName), DurationSeconds: DefaultSessionDuration}
		if msg := sessionNameRule.problem(id.assume.SessionName); msg != "" {
			return id, fmt.Errorf("profile %q (%s): its role-session-name %s", profile.Name, profile.CredentialFile, msg)
		}
	}
	if s.identity.mfa != nil {
		id.session = s.identity.mfa
		add(id.session.TokenCode)
	}
	return id, nil
}

// baseCredential picks the base credential: keys (configuration, then
// environment), then the shared tccli profile, then the CAM role of the
// instance. It returns the profile it read, if any.
func baseCredential(cs credentialSettings, hc *http.Client) (tcapi.CredentialSource, *credentials.Profile, error) {
	switch {
	case cs.secretID != "" && cs.secretKey != "":
		return credentials.StaticCredentials("secret_id/secret_key", tcapi.Credential{SecretID: cs.secretID, SecretKey: cs.secretKey, Token: cs.securityToken}), nil, nil
	case cs.secretID != "":
		return nil, nil, fmt.Errorf("secret_id is set but secret_key is not: set both (or %s and %s)", EnvSecretID, EnvSecretKey)
	case cs.secretKey != "":
		return nil, nil, fmt.Errorf("secret_key is set but secret_id is not: set both (or %s and %s)", EnvSecretID, EnvSecretKey)
	}

	p, found, err := credentials.LoadProfile(cs.sharedDir, cs.profile)
	if err != nil {
		return nil, nil, fmt.Errorf("profile %q: %w", cs.profile, err)
	}
	if found {
		src, err := profileCredential(p, cs, hc)
		return src, &p, err
	}
	if cs.profileExplicit && cs.camRoleName == "" {
		return nil, nil, fmt.Errorf("profile %q was asked for, but %s does not exist%s", cs.profile, p.CredentialFile, profilesThere(cs.sharedDir))
	}

	if cs.camRoleName != "" {
		return credentials.CAMRoleCredentials(cs.camRoleName, cs.metadataURL, hc, nil), nil, nil
	}
	return nil, nil, fmt.Errorf("no Tencent Cloud credentials found. "+credentialSources, p.CredentialFile)
}

// profileCredential is the credential a profile holds, by its type.
func profileCredential(p credentials.Profile, cs credentialSettings, hc *http.Client) (tcapi.CredentialSource, error) {
	name := fmt.Sprintf("profile %q (%s)", p.Name, p.CredentialFile)
	switch p.Type {
	case credentials.ProfileCVMRole:
		// --use-cvm-role true: the instance's role; cam_role_name names it,
		// else the metadata service does.
		return credentials.CAMRoleCredentials(cs.camRoleName, cs.metadataURL, hc, nil), nil
	case credentials.ProfileOAuth, credentials.ProfileSSO:
		renew := fmt.Sprintf("run `tccli auth login --profile %s` to sign in again (tccli itself renews the keys of an oauth login at its next command while the login lasts)", p.Name)
		if p.Type == credentials.ProfileSSO {
			renew = fmt.Sprintf("run `tccli sso login --profile %s` to sign in again", p.Name)
		}
		renew += "; this provider never writes to tccli's files"
		if !time.Now().Before(p.ExpiresAt) {
			return nil, fmt.Errorf("%s is a tccli %s login that expired at %s: %s", name, p.Type, p.ExpiresAt.UTC().Format(time.RFC3339), renew)
		}
		return credentials.ExpiringCredentials(name+", a tccli "+p.Type+" login", tcapi.Credential{SecretID: p.SecretID, SecretKey: p.SecretKey, Token: p.Token, Expiration: p.ExpiresAt}, renew, nil), nil
	}
	return credentials.StaticCredentials(name, tcapi.Credential{SecretID: p.SecretID, SecretKey: p.SecretKey, Token: p.Token}), nil
}

// webIdentity reads the role file and checks the token source now; the
// token itself is read again at every renewal. token is the one known now,
// if any, for the log masks.
func (p *CVMProvider) webIdentity(w webIdentitySettings) (web *credentials.WebIdentity, token string, err error) {
	roleARN := w.roleARN
	if roleARN == "" {
		raw, err := credentials.ReadFile(w.roleARNFile)
		if err != nil {
			return nil, "", fmt.Errorf("the role ARN file %s (from %s) cannot be read: %w", w.roleARNFile, w.arnFrom, err)
		}
		roleARN = strings.TrimSpace(string(raw))
		if msg := roleARNRule.problem(roleARN); msg != "" {
			return nil, "", fmt.Errorf("the role ARN file %s (from %s) holds %s", w.roleARNFile, w.arnFrom, msg)
		}
	}
	source, token, err := p.tokenSource(w)
	if err != nil {
		return nil, "", err
	}
	return &credentials.WebIdentity{ProviderID: w.providerID, Token: source, RoleARN: roleARN, SessionName: w.sessionName, DurationSeconds: w.duration}, token, nil
}

// tokenSource chooses where the web identity token comes from: the token
// given, the token file (read now to check it, and again at each renewal),
// HCP Terraform's workload identity token, or GitHub Actions. now is the
// token read now ("" for GitHub's, requested at each renewal).
func (p *CVMProvider) tokenSource(w webIdentitySettings) (source func(context.Context) (string, error), now string, err error) {
	fixed := func(what, token string) (func(context.Context) (string, error), string, error) {
		if err := credentials.CheckToken(token); err != nil {
			return nil, "", fmt.Errorf("the web identity token from %s %w", what, err)
		}
		return func(context.Context) (string, error) { return token, nil }, token, nil
	}
	switch {
	case w.token != "":
		return fixed(w.tokenFrom, w.token)
	case w.tokenFile != "":
		read := func(context.Context) (string, error) {
			token, err := credentials.ReadTokenFile(w.tokenFile)
			if err != nil {
				return "", fmt.Errorf("the web identity token file %s (from %s): %w", w.tokenFile, w.fileFrom, err)
			}
			return token, nil
		}
		token, err := read(context.Background())
		if err != nil {
			return nil, "", err
		}
		if err := credentials.CheckToken(token); err != nil {
			return nil, "", fmt.Errorf("the web identity token in %s (from %s) %w", w.tokenFile, w.fileFrom, err)
		}
		return read, token, nil
	case w.hcpToken != "":
		return fixed(EnvTFCWorkloadIdentityToken+" (HCP Terraform's workload identity)", w.hcpToken)
	case w.githubURL != "" && w.githubBearer != "":
		source, err := credentials.GitHubActionsToken(w.githubURL, w.githubBearer, w.audience, p.opts.httpClient)
		return source, "", err
	}
	return nil, "", fmt.Errorf("assume_role_with_web_identity has no token: set web_identity_token (%s) or web_identity_token_file (%s), "+
		"or run in HCP Terraform with workload identity (%s) or in a GitHub Actions job with `permissions: id-token: write` (%s, %s)",
		EnvAssumeRoleWebIdentityToken, EnvAssumeRoleWebIdentityTokenFile, EnvTFCWorkloadIdentityToken, EnvGitHubTokenRequestURL, EnvGitHubTokenRequestToken)
}

// profilesThere names the profiles a mistyped one may have meant.
func profilesThere(dir string) string {
	names := credentials.Profiles(dir)
	switch {
	case len(names) == 0:
		return "; the directory holds no profile (tccli configure --profile NAME writes one)"
	case len(names) > 10:
		return fmt.Sprintf("; the profiles there are %s and %d more", strings.Join(names[:10], ", "), len(names)-10)
	}
	return "; the profiles there are " + strings.Join(names, ", ")
}

// credentialChain is id's credential chain, its STS calls made with the
// transport settings of the CVM client's configuration.
func credentialChain(c cvm.Config, stsEndpoint, stsRegion string, id identity) (tcapi.CredentialSource, error) {
	api := tcapi.New(tcapi.Config{
		HTTPClient: c.HTTPClient, RequestTimeout: c.RequestTimeout, MaxRetries: *c.MaxRetries,
		RetryBaseDelay: c.RetryBaseDelay, RetryMaxDelay: c.RetryMaxDelay, Now: c.Now, UserAgent: c.UserAgent,
	})
	sts, err := credentials.NewSTS(api, stsEndpoint, stsRegion)
	if err != nil {
		return nil, err
	}
	return sts.Chain(id.base, credentials.Layers{
		AssumeRole: id.assume, WebIdentity: id.web, SAML: id.saml, SessionToken: id.session, AccountGuard: id.guard,
	})
}
