package emulator

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"hash/fnv"
	"os"
	"regexp"
	"strings"
)

// authState is what authentication and STS know about credentials and
// identities. It is replaced whole (SetIdentity), never changed in place.
type authState struct {
	creds    map[string]Credential // by SecretId
	owner    map[string]string     // SecretId → AccountId, for those listed
	accounts map[string]bool       // configured accounts; empty: any
	oidc     map[string]oidcProvider
	saml     map[string]samlProvider // by PrincipalArn
	mfa      map[string]mfaDevice    // by SerialNumber
}

type oidcProvider struct {
	OIDCProvider
	key *rsa.PublicKey
}

type samlProvider struct {
	SAMLProvider
	account string // from its qcs::cam::uin/<account>:saml-provider/… ARN
}

type mfaDevice struct {
	account string // from a qcs::cam:uin/<account>::mfa/… serial number; "" otherwise
	secret  []byte
}

var (
	accountIDPattern    = regexp.MustCompile(`^[0-9]{1,20}$`)
	samlProviderPattern = regexp.MustCompile(`^qcs::cam::uin/([0-9]+):saml-provider/[\w+=,.@-]+$`)
	mfaSerialPattern    = regexp.MustCompile(`^qcs::cam:uin/([0-9]+)::mfa/(\w+)$`)
)

// newAuthState checks credentials and identity. Problems are *pathError
// values whose paths start with credRoot or idRoot ("Credentials" and
// "Identity" for a Config). An OIDC provider's key is taken from keys, by
// PublicKeyFile, when there, else read from the file.
func newAuthState(creds []Credential, id Identity, credRoot, idRoot string, keys map[string]*rsa.PublicKey) (*authState, error) {
	st := &authState{
		creds: make(map[string]Credential, len(creds)), owner: map[string]string{}, accounts: map[string]bool{},
		oidc: map[string]oidcProvider{}, saml: map[string]samlProvider{}, mfa: map[string]mfaDevice{},
	}
	bad := func(path, format string, args ...any) error { return &pathError{path, fmt.Sprintf(format, args...)} }
	for i, c := range creds {
		switch _, dup := st.creds[c.SecretID]; {
		case c.SecretID == "":
			return nil, bad(fmt.Sprintf("%s[%d].SecretID", credRoot, i), "empty; give every credential a SecretId")
		case c.SecretKey == "":
			return nil, bad(fmt.Sprintf("%s[%d].SecretKey", credRoot, i), "empty; give %s a secret key", c.SecretID)
		case dup:
			return nil, bad(fmt.Sprintf("%s[%d].SecretID", credRoot, i), "duplicate SecretId %q", c.SecretID)
		}
		st.creds[c.SecretID] = c
	}
	for i, a := range id.Accounts {
		at := fmt.Sprintf("%s.accounts[%d]", idRoot, i)
		switch {
		case !accountIDPattern.MatchString(a.AccountId):
			return nil, bad(at+".AccountId", "%q is not an account ID: write its digits, such as %s", a.AccountId, DefaultAccountID)
		case st.accounts[a.AccountId]:
			return nil, bad(at+".AccountId", "account %s is listed twice; list its SecretIds once", a.AccountId)
		}
		st.accounts[a.AccountId] = true
		for j, sid := range a.SecretIds {
			if other, dup := st.owner[sid]; dup || sid == "" {
				return nil, bad(fmt.Sprintf("%s.SecretIds[%d]", at, j), "%q is empty or already belongs to account %s; a SecretId belongs to one account", sid, other)
			}
			st.owner[sid] = a.AccountId
		}
	}
	for i, p := range id.OIDCProviders {
		at := fmt.Sprintf("%s.oidc_providers[%d]", idRoot, i)
		switch _, dup := st.oidc[p.ProviderId]; {
		case p.ProviderId == "" || dup:
			return nil, bad(at+".ProviderId", "%q is empty or used twice; name each provider once", p.ProviderId)
		case p.Issuer == "":
			return nil, bad(at+".Issuer", "empty; write the \"iss\" of its tokens, such as https://oidc.example.com")
		case len(p.Audiences) == 0 || containsEmpty(p.Audiences):
			return nil, bad(at+".Audiences", "list at least one audience (the \"aud\" of its tokens), such as sts.tencentcloudapi.com, and no empty one")
		}
		key, ok := keys[p.PublicKeyFile]
		if !ok {
			var err error
			if key, err = loadRSAPublicKey(p.PublicKeyFile); err != nil {
				return nil, bad(at+".PublicKeyFile", "%v", err)
			}
		}
		st.oidc[p.ProviderId] = oidcProvider{OIDCProvider: p, key: key}
	}
	for i, p := range id.SAMLProviders {
		at := fmt.Sprintf("%s.saml_providers[%d]", idRoot, i)
		m := samlProviderPattern.FindStringSubmatch(p.PrincipalArn)
		switch _, dup := st.saml[p.PrincipalArn]; {
		case m == nil || dup:
			return nil, bad(at+".PrincipalArn", "%q is used twice or is not a provider ARN such as qcs::cam::uin/%s:saml-provider/idp", p.PrincipalArn, DefaultAccountID)
		case p.Issuer == "":
			return nil, bad(at+".Issuer", "empty; write the <Issuer> of its assertions, such as https://idp.example.com")
		}
		st.saml[p.PrincipalArn] = samlProvider{SAMLProvider: p, account: m[1]}
	}
	for i, d := range id.MFADevices {
		at := fmt.Sprintf("%s.mfa_devices[%d]", idRoot, i)
		if _, dup := st.mfa[d.SerialNumber]; d.SerialNumber == "" || dup {
			return nil, bad(at+".SerialNumber", "%q is empty or used twice; write it as qcs::cam:uin/%s::mfa/softToken", d.SerialNumber, DefaultAccountID)
		}
		secret, err := decodeTOTPSecret(d.TOTPSecret)
		if err != nil {
			return nil, bad(at+".TOTPSecret", "%v", err)
		}
		dev := mfaDevice{secret: secret}
		if m := mfaSerialPattern.FindStringSubmatch(d.SerialNumber); m != nil {
			dev.account = m[1]
		}
		st.mfa[d.SerialNumber] = dev
	}
	return st, nil
}

func containsEmpty(list []string) bool {
	for _, s := range list {
		if s == "" {
			return true
		}
	}
	return false
}

// loadRSAPublicKey reads a PEM RSA public key (PKIX "PUBLIC KEY" or PKCS #1
// "RSA PUBLIC KEY") or a certificate holding one.
func loadRSAPublicKey(path string) (*rsa.PublicKey, error) {
	if path == "" {
		return nil, fmt.Errorf("empty; name a PEM file with the provider's RSA public key or certificate")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%v", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s holds no PEM block; it must be a PEM RSA public key or certificate", path)
	}
	var key any
	switch block.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
			key = cert.PublicKey
		}
	default:
		return nil, fmt.Errorf("%s holds a PEM %q block; it must be a PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE", path, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	rsaKey, ok := key.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%s holds a %T key; tokens are RS256, so it must be an RSA key", path, key)
	}
	return rsaKey, nil
}

// account is the account a permanent SecretId belongs to.
func (st *authState) account(secretID string) string {
	if a, ok := st.owner[secretID]; ok {
		return a
	}
	return DefaultAccountID
}

// roleExists applies the account rule: with accounts configured, a role
// must belong to one of them or to DefaultAccountID.
func (st *authState) roleExists(account string) bool {
	return len(st.accounts) == 0 || st.accounts[account] || account == DefaultAccountID
}

// principal is who a credential is, as GetCallerIdentity answers.
type principal struct {
	Type        string // CAMUser (an account's key) or CAMRole (an assumed role)
	AccountId   string
	Arn         string
	UserId      string
	PrincipalId string
}

// accountPrincipal is a permanent key: the account's own (root) identity.
func accountPrincipal(account string) principal {
	return principal{Type: "CAMUser", AccountId: account, UserId: account, PrincipalId: account,
		Arn: "qcs::cam::uin/" + account + ":uin/" + account}
}

// rolePrincipal is a session of the role roleArn of account, asked for by
// account by.
func rolePrincipal(account, roleArn, session, by string) principal {
	id := roleID(roleArn)
	return principal{Type: "CAMRole", AccountId: account, UserId: id + ":" + session, PrincipalId: by,
		Arn: "qcs::sts:" + account + ":assumed-role/" + id}
}

// roleID is a role's numeric ID: the one in a qcs::cam::uin/…:role/<ID>
// ARN, else a stable 19-digit number derived from the ARN, shaped like the
// service's (4611686018…).
func roleID(roleArn string) string {
	if _, id, ok := strings.Cut(roleArn, ":role/"); ok {
		return id
	}
	h := fnv.New32a()
	h.Write([]byte(roleArn))
	return fmt.Sprintf("4611686018%09d", h.Sum32()%1_000_000_000)
}
