package provider

import (
	"cmp"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// Environment variables, named as the official Tencent Cloud provider names
// them, so that existing environments work unchanged; the TENCENTCLOUD_CVM_
// ones are this provider's own.
const (
	EnvSecretID           = "TENCENTCLOUD_SECRET_ID"
	EnvSecretKey          = "TENCENTCLOUD_SECRET_KEY"
	EnvSecurityToken      = "TENCENTCLOUD_SECURITY_TOKEN"
	EnvRegion             = "TENCENTCLOUD_REGION"
	EnvProfile            = "TENCENTCLOUD_PROFILE"
	EnvSharedCredentials  = "TENCENTCLOUD_SHARED_CREDENTIALS_DIR"
	EnvCAMRoleName        = "TENCENTCLOUD_CAM_ROLE_NAME"
	EnvAssumeRoleARN      = "TENCENTCLOUD_ASSUME_ROLE_ARN"
	EnvAssumeRoleSession  = "TENCENTCLOUD_ASSUME_ROLE_SESSION_NAME"
	EnvAssumeRoleDuration = "TENCENTCLOUD_ASSUME_ROLE_SESSION_DURATION"
	EnvDomain             = "TENCENTCLOUD_DOMAIN"
	EnvProtocol           = "TENCENTCLOUD_PROTOCOL"
	EnvEndpoint           = "TENCENTCLOUD_CVM_ENDPOINT"
	EnvRateLimit          = "TENCENTCLOUD_CVM_RATE_LIMIT"
	EnvMaxRetries         = "TENCENTCLOUD_CVM_MAX_RETRIES"
	EnvRequestTimeout     = "TENCENTCLOUD_CVM_REQUEST_TIMEOUT"
	EnvSTSEndpoint        = "TENCENTCLOUD_STS_ENDPOINT"
	EnvTATEndpoint        = "TENCENTCLOUD_TAT_ENDPOINT"
	EnvMetadataEndpoint   = "TENCENTCLOUD_METADATA_ENDPOINT"

	envAssumeRolePrefix               = "TENCENTCLOUD_ASSUME_ROLE_"
	EnvAssumeRoleExternalID           = "TENCENTCLOUD_ASSUME_ROLE_EXTERNAL_ID"
	EnvAssumeRoleSourceIdentity       = "TENCENTCLOUD_ASSUME_ROLE_SOURCE_IDENTITY"
	EnvAssumeRoleSerialNumber         = "TENCENTCLOUD_ASSUME_ROLE_SERIAL_NUMBER"
	EnvAssumeRoleTokenCode            = "TENCENTCLOUD_ASSUME_ROLE_TOKEN_CODE"
	EnvAssumeRoleProviderID           = "TENCENTCLOUD_ASSUME_ROLE_PROVIDER_ID"
	EnvAssumeRoleWebIdentityToken     = "TENCENTCLOUD_ASSUME_ROLE_WEB_IDENTITY_TOKEN"
	EnvAssumeRoleWebIdentityTokenFile = "TENCENTCLOUD_ASSUME_ROLE_WEB_IDENTITY_TOKEN_FILE"
	EnvAssumeRoleARNFile              = "TENCENTCLOUD_ASSUME_ROLE_ARN_FILE"
	// EnvAssumeRoleARNFileOfficial is the official provider's spelling,
	// accepted too.
	EnvAssumeRoleARNFileOfficial = "TENCENTCLOUD_ASSUME_ROLE_ARNN_FILE"
	EnvAssumeRoleSAMLAssertion   = "TENCENTCLOUD_ASSUME_ROLE_SAML_ASSERTION"
	EnvAssumeRolePrincipalARN    = "TENCENTCLOUD_ASSUME_ROLE_PRINCIPAL_ARN"
	EnvMFASerialNumber           = "TENCENTCLOUD_MFA_CERTIFICATION_SERIAL_NUMBER"
	EnvMFATokenCode              = "TENCENTCLOUD_MFA_CERTIFICATION_TOKEN_CODE"
	EnvMFADuration               = "TENCENTCLOUD_MFA_CERTIFICATION_DURATION_SECONDS"

	// The TKE pod identity, set by TKE in a pod whose service account has a role.
	EnvTKERegion                = "TKE_REGION"
	EnvTKEWebIdentityTokenFile  = "TKE_WEB_IDENTITY_TOKEN_FILE"
	EnvTKEProviderID            = "TKE_PROVIDER_ID"
	EnvTKERoleARN               = "TKE_ROLE_ARN"
	EnvTFCWorkloadIdentityToken = "TFC_WORKLOAD_IDENTITY_TOKEN"
	EnvGitHubTokenRequestURL    = "ACTIONS_ID_TOKEN_REQUEST_URL"
	EnvGitHubTokenRequestToken  = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
)

// Defaults for settings that are neither configured nor in the environment.
const (
	DefaultRegion               = "ap-guangzhou"
	DefaultSessionName          = "terraform-provider-cvm"
	DefaultSessionDuration      = 7200
	DefaultProfile              = "default"
	DefaultSharedCredentialsDir = "~/.tccli"
	DefaultWebIdentityProvider  = "OIDC"
	DefaultWebIdentityAudience  = "sts.tencentcloudapi.com"
	DefaultMFADuration          = 1800
)

// settings are the provider's inputs after merging the configuration, the
// environment and the defaults, in that order of precedence.
type settings struct {
	region         string // "" until the profile or the default gives one
	creds          credentialSettings
	identity       identitySettings
	endpoint       string
	stsEndpoint    string
	tatEndpoint    string
	rateLimit      float64
	maxRetries     int
	requestTimeout time.Duration
}

// credentialSettings are the credential inputs after merging.
type credentialSettings struct {
	secretID, secretKey, securityToken string

	profile   string // DefaultProfile when neither configured nor in the environment
	sharedDir string // with "~" expanded
	// profileExplicit is true when the user named the profile or the
	// directory: a missing profile is then an error rather than a skip.
	profileExplicit bool

	camRoleName string
	// metadataURL is the instance metadata service ("" for the real one).
	metadataURL string
}

// settingReader reads each setting from the configuration, else the environment,
// and reports a bad value from the environment at the attribute it stands
// for, naming the variable. Configured values were checked by the schema's
// validators already, with the same rules.
type settingReader struct {
	env   func(string) (string, bool)
	diags *diag.Diagnostics
}

// envValue is one variable ("" when unset).
func (m settingReader) envValue(name string) string {
	v, _ := m.env(name)
	return v
}

// setting is the configured value, else the environment variable's ("" when
// neither is set); fromEnv says that the variable gave it.
func (m settingReader) setting(v types.String, name string) (value string, fromEnv bool) {
	if !v.IsNull() {
		return v.ValueString(), false
	}
	value = m.envValue(name)
	return value, value != ""
}

// settingFrom is setting, with where the value came from for messages: the
// variable, or the provider configuration.
func (m settingReader) settingFrom(v types.String, name string) (value, from string) {
	value, fromEnv := m.setting(v, name)
	if fromEnv {
		return value, name
	}
	return value, "the provider configuration"
}

// envProblem reports a bad value of the environment variable name at p.
func (m settingReader) envProblem(p path.Path, title, name, msg string) {
	m.diags.AddAttributeError(p, title, fmt.Sprintf("%s: %s.", name, msg))
}

// number reads a number setting: configured, else from the environment
// (checked against r), else def.
func (m settingReader) number(p path.Path, title string, configured *float64, name string, r numberRange, def float64) float64 {
	if configured != nil {
		return *configured
	}
	s, ok := m.env(name)
	if !ok || s == "" {
		return def
	}
	v, msg := r.parse(s)
	if msg != "" {
		m.envProblem(p, title, name, msg)
	}
	return v
}

// duration reads a duration setting the same way.
func (m settingReader) duration(p path.Path, title string, v types.String, name string, r durationRange, def time.Duration) time.Duration {
	s, from := m.settingFrom(v, name)
	if s == "" {
		return def
	}
	d, msg := r.parse(s)
	if msg != "" {
		m.envProblem(p, title, from, msg)
	}
	return d
}

// configuredFloat and configuredInt are a configured number as number takes
// it: nil when the attribute is not set.
func configuredFloat(v types.Float64) *float64 {
	if v.IsNull() {
		return nil
	}
	f := v.ValueFloat64()
	return &f
}

func configuredInt(v types.Int64) *float64 {
	if v.IsNull() {
		return nil
	}
	f := float64(v.ValueInt64())
	return &f
}

// settingsFrom merges the provider block cfg with the environment env.
func settingsFrom(cfg providerModel, env func(string) (string, bool), diags *diag.Diagnostics) settings {
	m := settingReader{env: env, diags: diags}
	var s settings

	if region, from := m.settingFrom(cfg.Region, EnvRegion); region != "" {
		if msg := regionRule.problem(region); msg != "" {
			m.envProblem(path.Root("region"), "Invalid Region", from, msg)
		}
		s.region = region
	}

	s.creds.secretID, _ = m.settingFrom(cfg.SecretID, EnvSecretID)
	s.creds.secretKey, _ = m.settingFrom(cfg.SecretKey, EnvSecretKey)
	s.creds.securityToken, _ = m.settingFrom(cfg.SecurityToken, EnvSecurityToken)
	profile, _ := m.settingFrom(cfg.Profile, EnvProfile)
	dir, _ := m.settingFrom(cfg.SharedCredentialsDir, EnvSharedCredentials)
	s.creds.profileExplicit = profile != "" || dir != ""
	s.creds.profile = cmp.Or(profile, DefaultProfile)
	s.creds.sharedDir = expandHome(cmp.Or(dir, DefaultSharedCredentialsDir), env)
	s.creds.camRoleName, _ = m.settingFrom(cfg.CAMRoleName, EnvCAMRoleName)
	var metadataFrom string
	if s.creds.metadataURL, metadataFrom = m.settingFrom(cfg.MetadataEndpoint, EnvMetadataEndpoint); s.creds.metadataURL != "" {
		if msg := metadataEndpointProblem(s.creds.metadataURL); msg != "" {
			m.envProblem(path.Root("metadata_endpoint"), "Invalid Metadata Endpoint", metadataFrom, msg)
		}
	}

	domain, _ := m.settingFrom(cfg.Domain, EnvDomain)
	protocol, protocolFrom := m.settingFrom(cfg.Protocol, EnvProtocol)
	if protocol != "" && !knownProtocol(protocol) {
		diags.AddAttributeError(path.Root("protocol"), "Invalid Protocol",
			fmt.Sprintf("%s: %s is not a supported protocol: use HTTPS (or HTTP for a loopback emulator).", protocolFrom, quote(protocol)))
	}
	endpoint, endpointFrom := m.settingFrom(cfg.Endpoint, EnvEndpoint)
	if endpoint == "" {
		endpoint, endpointFrom = tcapi.ServiceURL("cvm", domain, protocol), "domain and protocol"
	}
	if _, err := tcapi.ParseEndpoint(endpoint); err != nil {
		diags.AddAttributeError(path.Root("endpoint"), "Invalid Endpoint", fmt.Sprintf("The CVM endpoint (from %s) is not usable: %s", endpointFrom, endpointProblem(err)))
	}
	s.endpoint = endpoint

	s.rateLimit = m.number(path.Root("rate_limit"), "Invalid Rate Limit", configuredFloat(cfg.RateLimit), EnvRateLimit, rateLimitRange, cvm.DefaultRateLimit)
	s.maxRetries = int(m.number(path.Root("max_retries"), "Invalid Max Retries", configuredInt(cfg.MaxRetries), EnvMaxRetries, maxRetriesRange, cvm.DefaultMaxRetries))
	s.requestTimeout = m.duration(path.Root("request_timeout"), "Invalid Request Timeout", cfg.RequestTimeout, EnvRequestTimeout, requestTimeoutRange, cvm.DefaultRequestTimeout)
	var stsFrom string
	s.stsEndpoint, stsFrom = m.settingFrom(cfg.STSEndpoint, EnvSTSEndpoint)
	if s.stsEndpoint == "" {
		s.stsEndpoint = tcapi.ServiceURL("sts", domain, protocol)
	} else if _, err := tcapi.ParseEndpoint(s.stsEndpoint); err != nil {
		diags.AddAttributeError(path.Root("sts_endpoint"), "Invalid Endpoint", fmt.Sprintf("The STS endpoint (from %s) is not usable: %s", stsFrom, endpointProblem(err)))
	}
	s.tatEndpoint = m.tatEndpoint(cfg.TATEndpoint, endpoint, endpointFrom == "domain and protocol", domain, protocol)
	s.identity = m.identity(cfg)
	return s
}

// tatEndpoint is where TAT requests go: tat_endpoint, else its variable,
// else the CVM endpoint when that is a local emulator's, else tat.<domain>.
// The emulator serves TAT beside CVM, and a user who pointed the provider
// at a local one must never have requests sent to the real service.
//
// One built from domain and protocol is checked only when the CVM endpoint
// was not built from them too: that one's check has then said the same.
func (m settingReader) tatEndpoint(v types.String, cvmEndpoint string, cvmFromDomain bool, domain, protocol string) string {
	tatEndpoint, from := m.settingFrom(v, EnvTATEndpoint)
	switch {
	case tatEndpoint != "":
	case localEndpoint(cvmEndpoint):
		return cvmEndpoint
	case cvmFromDomain:
		return tcapi.ServiceURL("tat", domain, protocol)
	default:
		tatEndpoint, from = tcapi.ServiceURL("tat", domain, protocol), "domain and protocol, as neither tat_endpoint nor "+EnvTATEndpoint+" is set"
	}
	if _, err := tcapi.ParseEndpoint(tatEndpoint); err != nil {
		m.diags.AddAttributeError(path.Root("tat_endpoint"), "Invalid Endpoint", fmt.Sprintf("The TAT endpoint (from %s) is not usable: %s", from, endpointProblem(err)))
	}
	return tatEndpoint
}

// localEndpoint reports whether raw is a URL to a loopback host, as
// tcapi.ParseEndpoint decides where plain http is safe.
func localEndpoint(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Host != "" && tcapi.IsLoopback(u.Hostname())
}

// expandHome replaces a leading "~" with the home directory: HOME from env,
// else the operating system's idea of it.
func expandHome(dir string, env func(string) (string, bool)) string {
	if dir != "~" && !strings.HasPrefix(dir, "~/") {
		return dir
	}
	home, ok := env("HOME")
	if !ok || home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return dir // the profile is then not found, and that is reported
		}
	}
	return filepath.Join(home, strings.TrimPrefix(dir, "~"))
}
