package credentials

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// The order of precedence and the labels in errors, with no Terraform: the
// labels are whatever the caller says a value came from.
func TestResolvePrecedence(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "default.credential"), `{"secretId": "AKIDprofile", "secretKey": "profile-key"}`)
	writeFile(t, filepath.Join(dir, "ops.credential"), `{"secretId": "AKIDops", "secretKey": "ops-key", "role-arn": "qcs::cam::uin/1:roleName/ops"}`)
	base := Config{Profile: "default", SharedDir: dir, ProfileRole: AssumeRole{SessionName: "dflt", DurationSeconds: 7200}}

	keys := base
	keys.Keys = Keys{SecretID: "AKIDkeys", SecretKey: "k", Name: "the keys"}
	ch, err := keys.Resolve()
	if err != nil || ch.Base.Name() != "the keys" || ch.Profile != nil {
		t.Fatalf("keys: %v, %v; want the keys before the profile", ch.Base, err)
	}

	ch, err = base.Resolve()
	if c, _ := ch.Base.Credential(context.Background()); err != nil || c.SecretID != "AKIDprofile" {
		t.Fatalf("profile: %v, %v", c, err)
	}

	ops := base
	ops.Profile = "ops"
	ch, err = ops.Resolve()
	if err != nil || ch.Layers.AssumeRole == nil || ch.Layers.AssumeRole.SessionName != "dflt" || ch.Layers.AssumeRole.DurationSeconds != 7200 {
		t.Fatalf("a profile's role-arn: %+v, %v; want it assumed with the default session", ch.Layers.AssumeRole, err)
	}
	explicit := ops
	explicit.AssumeRole = &AssumeRole{RoleARN: "qcs::cam::uin/1:roleName/explicit"}
	if ch, _ = explicit.Resolve(); ch.Layers.AssumeRole.RoleARN != explicit.AssumeRole.RoleARN {
		t.Fatalf("AssumeRole %q; want the configured role before the profile's", ch.Layers.AssumeRole.RoleARN)
	}

	saml := base
	saml.SAML = &SAML{Assertion: "assertion"}
	if ch, err = saml.Resolve(); err != nil || ch.Base != nil || ch.Layers.SAML == nil || !strings.Contains(strings.Join(ch.Secrets, " "), "assertion") {
		t.Fatalf("SAML: %+v, %v; want no base, the assertion among the secrets", ch, err)
	}
}

func TestResolveErrorsNameTheSettings(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cases := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"half a key pair", Config{Keys: Keys{SecretID: "AKIDx", SecretIDLabel: "the id setting", SecretKeyLabel: "the key setting", PairHint: "(or ID and KEY)"}},
			[]string{"the key setting is not", "(or ID and KEY)"}},
		{"a role file that is missing", Config{WebIdentity: &WebIdentityConfig{RoleARNFile: filepath.Join(dir, "role"), RoleARNFrom: "ROLE_FILE_VARIABLE"}},
			[]string{"ROLE_FILE_VARIABLE", "cannot be read"}},
		{"a token that is not a JWT", Config{WebIdentity: &WebIdentityConfig{RoleARN: "r", Token: "not-a-jwt", TokenFrom: "block.web_identity_token"}},
			[]string{"block.web_identity_token", "is not a JWT"}},
		{"no token", Config{WebIdentity: &WebIdentityConfig{RoleARN: "r", NoToken: "set a token somewhere"}}, []string{"set a token somewhere"}},
		{"nothing anywhere", Config{Profile: "default", SharedDir: dir, NoneFound: "look in %s"}, []string{"look in " + filepath.Join(dir, "default.credential")}},
	}
	for _, tc := range cases {
		_, err := tc.cfg.Resolve()
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %v does not say %q", tc.name, err, w)
			}
		}
	}
}
