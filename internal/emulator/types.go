package emulator

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"
)

// Instance is one CVM instance as the emulator serves it. InstanceState and
// Readiness are as at load time; Transitions change them later.
type Instance struct {
	InstanceId    string `json:"InstanceId"`
	InstanceState string `json:"InstanceState"`
	Readiness
	Transitions []Transition `json:"Transitions,omitempty"`
}

// Transition changes an instance once After has passed since the instance was
// loaded (at New, or when SetInstances / PUT /_emulator/instances replaced its
// region): to InstanceState if set, and the Readiness fields it sets. It must
// change something.
type Transition struct {
	After         Duration `json:"After"`
	InstanceState string   `json:"InstanceState,omitempty"`
	Readiness
}

// Duration is a time.Duration that reads and writes JSON as a Go duration
// string such as "1.5s" or "250ms".
type Duration time.Duration

// String formats the duration like time.Duration does.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes the duration as a string such as "1.5s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string such as "1.5s". Bare numbers are
// refused because their unit would be a guess.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration must be a string such as \"1.5s\", got %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q: a duration is a string such as \"1.5s\" or \"250ms\"", s)
	}
	*d = Duration(v)
	return nil
}

// Credential is a permanent API key pair the emulator accepts. When Token is
// set, every request signed with it must carry that token (X-TC-Token or the
// Token parameter), like a temporary credential would.
type Credential struct {
	SecretID  string `json:"secret_id"`
	SecretKey string `json:"secret_key"`
	Token     string `json:"token,omitempty"`
}

// Config configures a Server. The zero value is usable: one credential
// (AKIDemulator / emulator-secret), no instances, no latency, no rate limit.
type Config struct {
	// Credentials accepted by the API. If empty: AKIDemulator / emulator-secret.
	Credentials []Credential
	// Regions maps a region name to its instances. Every region named here is
	// supported in addition to the 18 regions DescribeInstancesStatus lists.
	Regions map[string][]Instance
	// Latency delays every API answer (not admin, not metadata).
	Latency time.Duration
	// RateLimit is the number of requests per second allowed per account and
	// action (token bucket, burst of one second's worth; the account of a
	// credential as Identity.Accounts says); 0 means unlimited. While it is
	// on, DescribeInstances (40), DescribeTaskInfo (20) and
	// DescribeAutomationAgentStatus (60) keep their own documented limits.
	RateLimit float64
	// Now is the emulator's clock; default time.Now. It decides signature
	// expiry, instance transitions and temporary credential expiry.
	Now func() time.Time
	// Logger receives one line per API request; default: discard.
	Logger *slog.Logger
	// Seed makes fault injection reproducible. RequestIds and issued
	// credentials stay random.
	Seed int64
	// CAMRoleName is the role the metadata endpoint serves; default
	// "emulator-cvm-role".
	CAMRoleName string
	// TempCredentialTTL is the lifetime of credentials issued by the metadata
	// endpoint (AssumeRole uses DurationSeconds, default 7200 s); default 2h.
	TempCredentialTTL time.Duration
	// Identity assigns credentials to accounts and configures the identity
	// providers and MFA devices of STS.
	Identity Identity

	// oidcKeys are the OIDC public keys LoadDataFile read, by PublicKeyFile,
	// so that New and Reload do not read and parse the files again.
	oidcKeys map[string]*rsa.PublicKey
}

// Stats counts the API requests the emulator received since start or the last
// ResetStats.
type Stats struct {
	Requests  int64            `json:"requests"`
	Throttled int64            `json:"throttled"`
	ByAction  map[string]int64 `json:"by_action"`
	ByCode    map[string]int64 `json:"by_code"`
	// BySecretID counts the requests of each SecretId whose signature
	// verified, and says whose key it is: who signed. A wrong signature
	// proves nothing about its sender and is counted in ByCode alone, as
	// are the unsigned actions, which the key they issue names instead.
	BySecretID map[string]SignerStats `json:"by_secret_id"`
}

// SignerStats are the requests signed with one SecretId and what the
// emulator knows of the key; never a secret key or token.
type SignerStats struct {
	Requests int64            `json:"requests"`
	ByCode   map[string]int64 `json:"by_code"`
	// Account is the account the key signs for: a permanent key's own, the
	// role's for a role session, the key's for GetSessionToken.
	Account   string `json:"account"`
	Temporary bool   `json:"temporary"`
	// A temporary key's origin: IssuedBy is the STS action, or "metadata"
	// for the CVM metadata endpoint; Role and Session the role session it
	// was issued for (none for GetSessionToken); Provider the OIDC
	// ProviderId or SAML PrincipalArn that vouched for it.
	IssuedBy string `json:"issued_by,omitempty"`
	Role     string `json:"role,omitempty"`
	Session  string `json:"session,omitempty"`
	Provider string `json:"provider,omitempty"`
}

// Faults describes injected misbehavior; it is also the JSON body of
// PUT /_emulator/faults. The zero value injects nothing. See the package
// documentation for the exact semantics.
type Faults struct {
	Latency   Duration           `json:"latency"`
	Jitter    Duration           `json:"jitter"`
	Errors    map[string]float64 `json:"errors"`
	HTTP502   float64            `json:"http_502"`
	HTTP504   float64            `json:"http_504"`
	Reset     float64            `json:"reset"`
	Truncate  float64            `json:"truncate"`
	Slow      float64            `json:"slow"`
	SlowDelay Duration           `json:"slow_delay"`
	Appear    float64            `json:"appear"`
	Disappear float64            `json:"disappear"`
	// ChurnEvery launches or terminates one instance in every region each
	// time this much of the emulator's clock has passed since SetFaults.
	ChurnEvery Duration `json:"churn_every,omitempty"`
	// Actions limits the faults above but ChurnEvery to these actions;
	// empty: every action.
	Actions []string `json:"actions,omitempty"`
}

// DefaultAccountID is the account that owns every credential no
// Identity.Accounts entry lists, the default credential included.
const DefaultAccountID = "100000000001"

// Identity describes who the credentials are and which identity providers
// STS trusts; it is also the data file's "identity" object. The zero value
// puts every credential in DefaultAccountID and trusts no provider.
type Identity struct {
	// Accounts map SecretIds to accounts. With at least one, a role ARN
	// must name one of these accounts or DefaultAccountID; with none, any
	// account's role can be assumed.
	Accounts []Account `json:"accounts,omitempty"`
	// OIDCProviders verify AssumeRoleWithWebIdentity tokens.
	OIDCProviders []OIDCProvider `json:"oidc_providers,omitempty"`
	// SAMLProviders accept AssumeRoleWithSAML assertions.
	SAMLProviders []SAMLProvider `json:"saml_providers,omitempty"`
	// MFADevices check the TokenCode of GetSessionToken and AssumeRole.
	MFADevices []MFADevice `json:"mfa_devices,omitempty"`
}

// Account is a Tencent Cloud account (its UIN, digits) and the SecretIds
// that belong to it.
type Account struct {
	AccountId string   `json:"AccountId"`
	SecretIds []string `json:"SecretIds"`
}

// OIDCProvider is an OpenID Connect identity provider: tokens must be RS256
// JWTs signed by the key in PublicKeyFile (a PEM RSA public key or a
// certificate), issued by Issuer (the "iss" claim) for one of Audiences.
// In a data file, a relative PublicKeyFile is relative to the file's
// directory; in a Config, to the working directory.
type OIDCProvider struct {
	ProviderId    string   `json:"ProviderId"`
	Issuer        string   `json:"Issuer"`
	Audiences     []string `json:"Audiences"`
	PublicKeyFile string   `json:"PublicKeyFile"`
}

// SAMLProvider is a SAML 2.0 identity provider, named in requests by its
// PrincipalArn (qcs::cam::uin/<account>:saml-provider/<name>); assertions
// must come from Issuer. Their XML signature is not verified.
type SAMLProvider struct {
	PrincipalArn string `json:"PrincipalArn"`
	Issuer       string `json:"Issuer"`
}

// MFADevice is a software MFA token: TOTP (RFC 6238, HMAC-SHA1, 6 digits,
// 30-second steps) over the base32 TOTPSecret. SerialNumber is written as
// the service does, qcs::cam:uin/<account>::mfa/softToken; the account then
// must be the caller's.
type MFADevice struct {
	SerialNumber string `json:"SerialNumber"`
	TOTPSecret   string `json:"TOTPSecret"`
}
