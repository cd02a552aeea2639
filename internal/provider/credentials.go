package provider

import (
	"fmt"

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

// credentialConfig is the credential chain's input: the merged settings,
// with the labels and texts that name this provider's attributes and
// variables.
func (p *CVMProvider) credentialConfig(s settings) credentials.Config {
	cs := s.creds
	cfg := credentials.Config{
		Keys: credentials.Keys{
			SecretID: cs.secretID, SecretKey: cs.secretKey, SecurityToken: cs.securityToken,
			Name: "secret_id/secret_key", SecretIDLabel: "secret_id", SecretKeyLabel: "secret_key",
			PairHint: fmt.Sprintf("(or %s and %s)", EnvSecretID, EnvSecretKey),
		},
		Profile: cs.profile, SharedDir: cs.sharedDir, ProfileExplicit: cs.profileExplicit,
		CAMRoleName: cs.camRoleName, MetadataURL: cs.metadataURL,
		NoneFound:      credentialSources,
		AssumeRole:     s.identity.assumeRole,
		WebIdentity:    s.identity.webIdentity,
		SAML:           s.identity.saml,
		MFA:            s.identity.mfa,
		AccountGuard:   s.identity.guard,
		ProfileRole:    credentials.AssumeRole{SessionName: DefaultSessionName, DurationSeconds: DefaultSessionDuration},
		RoleARNProblem: roleARNRule.problem, SessionNameProblem: sessionNameRule.problem,
		MFAConflict: mfaConflict,
		HTTPClient:  p.opts.httpClient,
	}
	if s.identity.webIdentity != nil {
		w := *s.identity.webIdentity // the settings stay as merged
		cfg.WebIdentity = &w
		w.HCPTokenFrom = EnvTFCWorkloadIdentityToken + " (HCP Terraform's workload identity)"
		w.NoToken = fmt.Sprintf("assume_role_with_web_identity has no token: set web_identity_token (%s) or web_identity_token_file (%s), "+
			"or run in HCP Terraform with workload identity (%s) or in a GitHub Actions job with `permissions: id-token: write` (%s, %s)",
			EnvAssumeRoleWebIdentityToken, EnvAssumeRoleWebIdentityTokenFile, EnvTFCWorkloadIdentityToken, EnvGitHubTokenRequestURL, EnvGitHubTokenRequestToken)
	}
	return cfg
}

// credentialChain is the source that signs the reads, its STS calls made
// with the transport settings of the CVM client's configuration.
func credentialChain(c cvm.Config, stsEndpoint, stsRegion string, ch credentials.Chain) (tcapi.CredentialSource, error) {
	api := tcapi.New(tcapi.Config{
		HTTPClient: c.HTTPClient, RequestTimeout: c.RequestTimeout, MaxRetries: *c.MaxRetries,
		RetryBaseDelay: c.RetryBaseDelay, RetryMaxDelay: c.RetryMaxDelay, Now: c.Now, UserAgent: c.UserAgent,
	})
	sts, err := credentials.NewSTS(api, stsEndpoint, stsRegion)
	if err != nil {
		return nil, err
	}
	return sts.Chain(ch.Base, ch.Layers)
}
