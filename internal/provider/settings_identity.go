package provider

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/cvmkit/terraform-provider-cvm/internal/credentials"
)

// The identity part of the settings: the assume_role*, enable_pod_oidc,
// mfa_certification blocks and the account guards, merged with their
// environment variables. credentials.go turns them into a credential chain.

// identitySettings say who the reads act as beyond the base credential: at
// most one role layer, or an MFA session of the base, and the account guard.
type identitySettings struct {
	assumeRole  *credentials.AssumeRole
	webIdentity *credentials.WebIdentityConfig
	saml        *credentials.SAML
	mfa         *credentials.SessionToken
	// from names where the role layer came from, for messages.
	from  string
	guard *credentials.AccountGuard
}

// firstEnv is the first of names that is set, and its name.
func (m settingReader) firstEnv(names ...string) (value, from string) {
	for _, n := range names {
		if v := m.envValue(n); v != "" {
			return v, n
		}
	}
	return "", ""
}

// reportMissing reports a missing setting of a source at p.
func (m settingReader) reportMissing(p path.Path, what, source, how string) {
	m.diags.AddAttributeError(p, "Incomplete Credential Source", fmt.Sprintf("%s needs %s: set %s.", source, what, how))
}

// checkPattern reports value at p if it came from the environment variable
// name (fromEnv) and breaks rule; configured values were validated by the
// schema already.
func (m settingReader) checkPattern(p path.Path, title, name string, fromEnv bool, value string, rule pattern) {
	if !fromEnv {
		return
	}
	if msg := rule.problem(value); msg != "" {
		m.envProblem(p, title, name, msg)
	}
}

// sessionDuration is a role session's duration: the block's, else
// TENCENTCLOUD_ASSUME_ROLE_SESSION_DURATION, else the default.
func (m settingReader) sessionDuration(p path.Path, v types.Int64) int64 {
	return int64(m.number(p, "Invalid Session Duration", configuredInt(v), EnvAssumeRoleDuration, sessionDurationRange, DefaultSessionDuration))
}

// identity merges the assume_role*, enable_pod_oidc and mfa_certification
// blocks with their environment variables. ValidateConfig has refused two
// role blocks at once; here the environment can still conflict with itself.
func (m settingReader) identity(cfg providerModel) identitySettings {
	var id identitySettings
	switch {
	case cfg.AssumeRole != nil:
		id.assumeRole, id.from = m.assumeRoleBlock(cfg.AssumeRole), "the assume_role block"
	case cfg.WebIdentity != nil:
		const block = "assume_role_with_web_identity"
		id.webIdentity, id.from = m.webIdentityBlock(cfg.WebIdentity, path.Root(block), block), "the assume_role_with_web_identity block"
	case cfg.SAML != nil:
		const block = "assume_role_with_saml"
		id.saml, id.from = m.samlBlock(cfg.SAML, path.Root(block), block), "the assume_role_with_saml block"
	case cfg.EnablePodOIDC.ValueBool():
		id.webIdentity, id.from = m.podOIDC(), "enable_pod_oidc"
	default:
		id.assumeRole, id.webIdentity, id.saml, id.from = m.roleFromEnvironment()
	}
	id.mfa = m.mfa(cfg.MFA)
	if id.mfa != nil && id.from != "" {
		m.diags.AddAttributeError(path.Root("mfa_certification"), "Conflicting Credential Sources", mfaConflict(id.from))
	}
	allowed, forbidden := stringSet(cfg.AllowedAccountIDs), stringSet(cfg.ForbiddenAccountIDs)
	if len(allowed) > 0 || len(forbidden) > 0 {
		id.guard = &credentials.AccountGuard{Allowed: allowed, Forbidden: forbidden}
	}
	return id
}

// mfaConflict says that mfa_certification cannot be combined with role, a
// layer that changes who acts, and what to do instead. ValidateConfig,
// identity and resolveIdentity each find such a role: in the configuration,
// in the environment, in the profile.
func mfaConflict(role string) string {
	return "mfa_certification (an MFA session of the base key) cannot be combined with " + role +
		". For a role that requires MFA, set serial_number and token_code in assume_role."
}

func stringSet(v types.Set) []string {
	var out []string
	for _, e := range v.Elements() {
		if s, ok := e.(types.String); ok && !s.IsNull() && !s.IsUnknown() {
			out = append(out, s.ValueString())
		}
	}
	slices.Sort(out)
	return out
}

// assumeRoleBlock is the assume_role block, each attribute falling back to
// its variable; an empty block (all null) is the environment alone.
func (m settingReader) assumeRoleBlock(b *assumeRoleModel) *credentials.AssumeRole {
	at := path.Root("assume_role")
	ar := &credentials.AssumeRole{Policy: b.Policy.ValueString()}
	var env bool
	ar.RoleARN, env = m.setting(b.RoleARN, EnvAssumeRoleARN)
	if ar.RoleARN == "" {
		m.diags.AddAttributeError(at.AtName("role_arn"), "Missing Role ARN",
			fmt.Sprintf("The assume_role block needs role_arn (or %s), the ARN of the role to assume: %s.", EnvAssumeRoleARN, roleARNRule.rule))
	}
	m.checkPattern(at, "Invalid Role ARN", EnvAssumeRoleARN, env, ar.RoleARN, roleARNRule)
	ar.SessionName, env = m.setting(b.SessionName, EnvAssumeRoleSession)
	m.checkPattern(at, "Invalid Session Name", EnvAssumeRoleSession, env, ar.SessionName, sessionNameRule)
	ar.SessionName = cmp.Or(ar.SessionName, DefaultSessionName)
	ar.DurationSeconds = m.sessionDuration(at, b.SessionDuration)
	ar.ExternalID, _ = m.setting(b.ExternalID, EnvAssumeRoleExternalID)
	ar.SourceIdentity, _ = m.setting(b.SourceIdentity, EnvAssumeRoleSourceIdentity)
	ar.SerialNumber, _ = m.setting(b.SerialNumber, EnvAssumeRoleSerialNumber)
	ar.TokenCode, env = m.setting(b.TokenCode, EnvAssumeRoleTokenCode)
	m.checkPattern(at, "Invalid Token Code", EnvAssumeRoleTokenCode, env, ar.TokenCode, mfaCodeRule)
	if (ar.SerialNumber == "") != (ar.TokenCode == "") {
		m.reportMissing(at, "both serial_number and token_code for MFA", "assume_role",
			fmt.Sprintf("both (or %s and %s), or neither", EnvAssumeRoleSerialNumber, EnvAssumeRoleTokenCode))
	}
	return ar
}

// webIdentityBlock is the assume_role_with_web_identity block, each
// attribute falling back to its variable; an empty block (all null) is the
// environment alone. Problems are reported at at, and a missing role names
// source as what needs it.
func (m settingReader) webIdentityBlock(b *webIdentityModel, at path.Path, source string) *credentials.WebIdentityConfig {
	const block = "assume_role_with_web_identity"
	w := &credentials.WebIdentityConfig{}
	w.ProviderID, _ = m.setting(b.ProviderID, EnvAssumeRoleProviderID)
	// Configured before the environment, and a token before a file, as the
	// official provider reads them; both configured at once is refused by
	// ValidateConfig.
	switch {
	case !b.WebIdentityToken.IsNull():
		w.Token, w.TokenFrom = b.WebIdentityToken.ValueString(), block+".web_identity_token"
	case !b.WebIdentityTokenFile.IsNull():
		w.TokenFile, w.TokenFileFrom = b.WebIdentityTokenFile.ValueString(), block+".web_identity_token_file"
	default:
		w.Token, w.TokenFrom = m.envValue(EnvAssumeRoleWebIdentityToken), EnvAssumeRoleWebIdentityToken
		if w.Token == "" {
			w.TokenFile, w.TokenFileFrom = m.envValue(EnvAssumeRoleWebIdentityTokenFile), EnvAssumeRoleWebIdentityTokenFile
		}
	}
	var roleFromEnv bool
	switch {
	case !b.RoleARN.IsNull():
		w.RoleARN = b.RoleARN.ValueString()
	case !b.RoleARNFile.IsNull():
		w.RoleARNFile, w.RoleARNFrom = b.RoleARNFile.ValueString(), block+".role_arn_file"
	default:
		w.RoleARN, roleFromEnv = m.setting(b.RoleARN, EnvAssumeRoleARN)
		if w.RoleARN == "" {
			w.RoleARNFile, w.RoleARNFrom = m.firstEnv(EnvAssumeRoleARNFile, EnvAssumeRoleARNFileOfficial)
		}
	}
	w.SessionName, _ = m.setting(b.SessionName, EnvAssumeRoleSession)
	w.DurationSeconds = m.sessionDuration(at, b.SessionDuration)
	w.Audience = cmp.Or(b.Audience.ValueString(), DefaultWebIdentityAudience)
	w.HCPToken = m.envValue(EnvTFCWorkloadIdentityToken)
	w.GitHubURL, w.GitHubBearer = m.envValue(EnvGitHubTokenRequestURL), m.envValue(EnvGitHubTokenRequestToken)

	if w.RoleARN == "" && w.RoleARNFile == "" {
		m.reportMissing(at.AtName("role_arn"), "a role", source, fmt.Sprintf("role_arn or role_arn_file (or %s or %s)", EnvAssumeRoleARN, EnvAssumeRoleARNFile))
	}
	m.checkPattern(at, "Invalid Role ARN", EnvAssumeRoleARN, roleFromEnv, w.RoleARN, roleARNRule)
	w.ProviderID = cmp.Or(w.ProviderID, DefaultWebIdentityProvider)
	w.SessionName = cmp.Or(w.SessionName, DefaultSessionName)
	if msg := sessionNameRule.problem(w.SessionName); msg != "" {
		m.envProblem(at, "Invalid Session Name", EnvAssumeRoleSession, msg)
	}
	return w
}

// samlBlock is the assume_role_with_saml block, each attribute falling back
// to its variable; an empty block (all null) is the environment alone.
// Problems are reported at at, and what is missing names source as what
// needs it.
func (m settingReader) samlBlock(b *samlModel, at path.Path, source string) *credentials.SAML {
	sa := &credentials.SAML{}
	var roleFromEnv, sessionFromEnv bool
	sa.Assertion, _ = m.setting(b.SAMLAssertion, EnvAssumeRoleSAMLAssertion)
	sa.PrincipalARN, _ = m.setting(b.PrincipalARN, EnvAssumeRolePrincipalARN)
	sa.RoleARN, roleFromEnv = m.setting(b.RoleARN, EnvAssumeRoleARN)
	sa.SessionName, sessionFromEnv = m.setting(b.SessionName, EnvAssumeRoleSession)
	sa.DurationSeconds = m.sessionDuration(at, b.SessionDuration)

	for _, need := range []struct{ value, attr, env string }{
		{sa.Assertion, "saml_assertion", EnvAssumeRoleSAMLAssertion},
		{sa.PrincipalARN, "principal_arn", EnvAssumeRolePrincipalARN},
		{sa.RoleARN, "role_arn", EnvAssumeRoleARN},
	} {
		if need.value == "" {
			m.reportMissing(at.AtName(need.attr), need.attr, source, fmt.Sprintf("%s (or %s)", need.attr, need.env))
		}
	}
	m.checkPattern(at, "Invalid Role ARN", EnvAssumeRoleARN, roleFromEnv, sa.RoleARN, roleARNRule)
	m.checkPattern(at, "Invalid Session Name", EnvAssumeRoleSession, sessionFromEnv, sa.SessionName, sessionNameRule)
	sa.SessionName = cmp.Or(sa.SessionName, DefaultSessionName)
	return sa
}

// podOIDC is the TKE pod identity, from the variables TKE sets.
func (m settingReader) podOIDC() *credentials.WebIdentityConfig {
	w := &credentials.WebIdentityConfig{
		STSRegion: m.envValue(EnvTKERegion), TokenFile: m.envValue(EnvTKEWebIdentityTokenFile), TokenFileFrom: EnvTKEWebIdentityTokenFile,
		ProviderID: m.envValue(EnvTKEProviderID), RoleARN: m.envValue(EnvTKERoleARN),
		SessionName: DefaultSessionName, DurationSeconds: DefaultSessionDuration,
	}
	var missing []string
	for name, v := range map[string]string{EnvTKERegion: w.STSRegion, EnvTKEWebIdentityTokenFile: w.TokenFile, EnvTKEProviderID: w.ProviderID, EnvTKERoleARN: w.RoleARN} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		m.diags.AddAttributeError(path.Root("enable_pod_oidc"), "Incomplete Credential Source",
			fmt.Sprintf("enable_pod_oidc needs the variables TKE sets in a pod whose service account has a role; %s %s not set. "+
				"Give the pod's service account a role (the TKE OIDC add-on), or sign in another way.", strings.Join(missing, ", "), isOrAre(len(missing))))
		return w
	}
	m.checkPattern(path.Root("enable_pod_oidc"), "Invalid Role ARN", EnvTKERoleARN, true, w.RoleARN, roleARNRule)
	return w
}

func isOrAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// roleFromEnvironment is the role layer the environment alone gives, as the
// official provider reads it: TENCENTCLOUD_ASSUME_ROLE_ARN (or its file) with
// a SAML assertion, with a web identity token (or its file), or alone. Each
// is its block with every attribute null, reported at assume_role.
func (m settingReader) roleFromEnvironment() (*credentials.AssumeRole, *credentials.WebIdentityConfig, *credentials.SAML, string) {
	at := path.Root("assume_role")
	web := m.envValue(EnvAssumeRoleWebIdentityToken) != "" || m.envValue(EnvAssumeRoleWebIdentityTokenFile) != ""
	saml := m.envValue(EnvAssumeRoleSAMLAssertion) != "" || m.envValue(EnvAssumeRolePrincipalARN) != ""
	switch {
	case web && saml:
		m.diags.AddAttributeError(at, "Conflicting Credential Sources",
			fmt.Sprintf("Both a web identity token (%s or %s) and a SAML assertion (%s, %s) are set in the environment: unset one of them.",
				EnvAssumeRoleWebIdentityToken, EnvAssumeRoleWebIdentityTokenFile, EnvAssumeRoleSAMLAssertion, EnvAssumeRolePrincipalARN))
		return nil, nil, nil, ""
	case web:
		return nil, m.webIdentityBlock(&webIdentityModel{}, at, "A web identity token in the environment"), nil, EnvAssumeRoleWebIdentityToken
	case saml:
		return nil, nil, m.samlBlock(&samlModel{}, at, "A SAML assertion in the environment"), EnvAssumeRoleSAMLAssertion
	case m.envValue(EnvAssumeRoleARN) != "":
		return m.assumeRoleBlock(&assumeRoleModel{}), nil, nil, EnvAssumeRoleARN
	}
	return nil, nil, nil, ""
}

// mfa is the mfa_certification block, else its variables, else nil.
func (m settingReader) mfa(b *mfaModel) *credentials.SessionToken {
	at := path.Root("mfa_certification")
	configured := b != nil
	if !configured {
		b = &mfaModel{} // all null: the variables alone
	}
	st := &credentials.SessionToken{}
	st.SerialNumber, _ = m.setting(b.SerialNumber, EnvMFASerialNumber)
	var env bool
	st.TokenCode, env = m.setting(b.TokenCode, EnvMFATokenCode)
	m.checkPattern(at, "Invalid Token Code", EnvMFATokenCode, env, st.TokenCode, mfaCodeRule)
	if !configured && st.SerialNumber == "" && st.TokenCode == "" {
		return nil
	}
	if st.SerialNumber == "" || st.TokenCode == "" {
		m.reportMissing(at, "both serial_number and token_code", "mfa_certification",
			fmt.Sprintf("both (or %s and %s)", EnvMFASerialNumber, EnvMFATokenCode))
	}
	st.DurationSeconds = int64(m.number(at, "Invalid Duration Seconds", configuredInt(b.DurationSeconds), EnvMFADuration, mfaDurationRange, DefaultMFADuration))
	return st
}
