package provider

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
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
)

// Defaults for settings that are neither configured nor in the environment.
const (
	DefaultRegion               = "ap-guangzhou"
	DefaultSessionName          = "terraform-provider-cvm"
	DefaultSessionDuration      = 7200
	DefaultProfile              = "default"
	DefaultSharedCredentialsDir = "~/.tccli"
)

// settings are the provider's inputs after merging the configuration, the
// environment and the defaults, in that order of precedence.
type settings struct {
	region         string // "" until the profile or the default gives one
	creds          credentialSettings
	assumeRole     *cvm.AssumeRole
	endpoint       string
	stsEndpoint    string
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
}

// merger reads each setting from the configuration, else the environment,
// and reports a bad value from the environment at the attribute it stands
// for, naming the variable. Configured values were checked by the schema's
// validators already, with the same rules.
type merger struct {
	env   func(string) (string, bool)
	diags diagAdder
}

// str is the configured value, else the environment variable's ("" when
// neither is set), and where it came from.
func (m merger) str(v types.String, name string) (value, from string) {
	if !v.IsNull() {
		return v.ValueString(), "the provider configuration"
	}
	if s, ok := m.env(name); ok && s != "" {
		return s, name
	}
	return "", ""
}

// envProblem reports a bad value of the environment variable name at p.
func (m merger) envProblem(p path.Path, title, name, msg string) {
	m.diags.AddAttributeError(p, title, fmt.Sprintf("%s: %s.", name, msg))
}

// number reads a number setting: configured, else from the environment
// (checked against r), else def.
func (m merger) number(p path.Path, title string, configured *float64, name string, r numberRange, def float64) float64 {
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
func (m merger) duration(p path.Path, title string, v types.String, name string, r durationRange, def time.Duration) time.Duration {
	s, from := m.str(v, name)
	if s == "" {
		return def
	}
	d, msg := r.parse(s)
	if msg != "" {
		m.envProblem(p, title, from, msg)
	}
	return d
}

func float64Of(v types.Float64) *float64 {
	if v.IsNull() {
		return nil
	}
	f := v.ValueFloat64()
	return &f
}

func int64Of(v types.Int64) *float64 {
	if v.IsNull() {
		return nil
	}
	f := float64(v.ValueInt64())
	return &f
}

// settingsFrom merges the provider block cfg with the environment env.
func settingsFrom(cfg providerModel, env func(string) (string, bool), diags diagAdder) settings {
	m := merger{env: env, diags: diags}
	var s settings

	if region, from := m.str(cfg.Region, EnvRegion); region != "" {
		if msg := regionRule.problem(region); msg != "" {
			diags.AddAttributeError(path.Root("region"), "Invalid Region", fmt.Sprintf("%s: %s.", from, msg))
		}
		s.region = region
	}

	s.creds.secretID, _ = m.str(cfg.SecretID, EnvSecretID)
	s.creds.secretKey, _ = m.str(cfg.SecretKey, EnvSecretKey)
	s.creds.securityToken, _ = m.str(cfg.SecurityToken, EnvSecurityToken)
	profile, _ := m.str(cfg.Profile, EnvProfile)
	dir, _ := m.str(cfg.SharedCredentialsDir, EnvSharedCredentials)
	s.creds.profileExplicit = profile != "" || dir != ""
	s.creds.profile = cmp.Or(profile, DefaultProfile)
	s.creds.sharedDir = expandHome(cmp.Or(dir, DefaultSharedCredentialsDir), env)
	s.creds.camRoleName, _ = m.str(cfg.CAMRoleName, EnvCAMRoleName)

	domain, _ := m.str(cfg.Domain, EnvDomain)
	protocol, protocolFrom := m.str(cfg.Protocol, EnvProtocol)
	if protocol != "" && !strings.EqualFold(protocol, "https") && !strings.EqualFold(protocol, "http") {
		diags.AddAttributeError(path.Root("protocol"), "Invalid Protocol",
			fmt.Sprintf("%s: %s is not a supported protocol: use HTTPS (or HTTP for a loopback emulator).", protocolFrom, quote(protocol)))
	}
	endpoint, endpointFrom := m.str(cfg.Endpoint, EnvEndpoint)
	if endpoint == "" {
		endpoint, endpointFrom = cvm.ServiceURL("cvm", domain, protocol), "domain and protocol"
	}
	if _, err := cvm.ParseEndpoint(endpoint); err != nil {
		diags.AddAttributeError(path.Root("endpoint"), "Invalid Endpoint", fmt.Sprintf("The CVM endpoint (from %s) is not usable: %s", endpointFrom, endpointProblem(err)))
	}
	s.endpoint = endpoint
	s.stsEndpoint = cvm.ServiceURL("sts", domain, protocol)

	s.rateLimit = m.number(path.Root("rate_limit"), "Invalid Rate Limit", float64Of(cfg.RateLimit), EnvRateLimit, rateLimitRange, cvm.DefaultRateLimit)
	s.maxRetries = int(m.number(path.Root("max_retries"), "Invalid Max Retries", int64Of(cfg.MaxRetries), EnvMaxRetries, maxRetriesRange, cvm.DefaultMaxRetries))
	s.requestTimeout = m.duration(path.Root("request_timeout"), "Invalid Request Timeout", cfg.RequestTimeout, EnvRequestTimeout, requestTimeoutRange, cvm.DefaultRequestTimeout)
	s.assumeRole = m.assumeRole(cfg.AssumeRole)
	return s
}

// assumeRole is the assume_role block, else TENCENTCLOUD_ASSUME_ROLE_ARN
// and its companions, else nil. The block's role_arn is checked by
// ValidateConfig; variables are checked here, by the same rules.
func (m merger) assumeRole(b *assumeRoleModel) *cvm.AssumeRole {
	ar := &cvm.AssumeRole{SessionName: DefaultSessionName, DurationSeconds: DefaultSessionDuration}
	if b != nil {
		ar.RoleARN = b.RoleARN.ValueString()
		ar.SessionName = cmp.Or(b.SessionName.ValueString(), ar.SessionName)
		if !b.SessionDuration.IsNull() {
			ar.DurationSeconds = b.SessionDuration.ValueInt64()
		}
		ar.Policy, ar.ExternalID = b.Policy.ValueString(), b.ExternalID.ValueString()
		return ar
	}
	arn, ok := m.env(EnvAssumeRoleARN)
	if !ok || arn == "" {
		return nil
	}
	at := path.Root("assume_role")
	if msg := roleARNRule.problem(arn); msg != "" {
		m.envProblem(at, "Invalid Role ARN", EnvAssumeRoleARN, msg)
		return nil
	}
	ar.RoleARN = arn
	if v, ok := m.env(EnvAssumeRoleSession); ok && v != "" {
		if msg := sessionNameRule.problem(v); msg != "" {
			m.envProblem(at, "Invalid Session Name", EnvAssumeRoleSession, msg)
			return nil
		}
		ar.SessionName = v
	}
	ar.DurationSeconds = int64(m.number(at, "Invalid Session Duration", nil, EnvAssumeRoleDuration, sessionDurationRange, DefaultSessionDuration))
	return ar
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
