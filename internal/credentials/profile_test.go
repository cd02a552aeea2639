package credentials

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A profile is read as tccli writes it; what is wrong with a broken one is
// said with the file's name.
func TestLoadProfile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "default.credential"), `{"secretId": "AKIDprofile", "secretKey": "profile-key"}`)
	writeFile(t, filepath.Join(dir, "default.configure"), `{"_sys_param": {"region": "ap-shanghai", "output": "json"}}`)
	writeFile(t, filepath.Join(dir, "ops.credential"), `{"secretId": "AKIDops", "secretKey": "ops-key", "token": "ops-token"}`)
	writeFile(t, filepath.Join(dir, "broken.credential"), `{"secretId": "AKID`)
	writeFile(t, filepath.Join(dir, "half.credential"), `{"secretId": "AKIDhalf"}`)
	if err := os.Mkdir(filepath.Join(dir, "dir.credential"), 0o700); err != nil {
		t.Fatal(err)
	}
	p, found, err := LoadProfile(dir, "default")
	if err != nil || !found || p.SecretID != "AKIDprofile" || p.Region != "ap-shanghai" {
		t.Fatalf("default: %+v, found %v, err %v", p, found, err)
	}
	p, found, err = LoadProfile(dir, "ops")
	if err != nil || !found || p.Token != "ops-token" || p.Region != "" || p.Type != ProfileKeys {
		t.Fatalf("ops: %+v, found %v, err %v", p, found, err)
	}
	// As tccli writes them: indented, sorted keys, no trailing newline; the
	// official provider trims the values.
	writeFile(t, filepath.Join(dir, "role.credential"), "{\n    \"role-arn\": \" qcs::cam::uin/100000000001:roleName/deployer \",\n    \"role-session-name\": \"ci\",\n    \"secretId\": \"AKIDrole \",\n    \"secretKey\": \"role-key\",\n    \"type\": \"default\"\n}")
	writeFile(t, filepath.Join(dir, "vm.credential"), `{"type": "cvm-role"}`)
	writeFile(t, filepath.Join(dir, "login.credential"), `{"expiresAt": 1900000000, "oauth": {"accessToken": "x"}, "secretId": "AKIDtmp", "secretKey": "k", "token": "t", "type": "oauth"}`)
	p, _, err = LoadProfile(dir, "role")
	if err != nil || p.RoleARN != "qcs::cam::uin/100000000001:roleName/deployer" || p.RoleSessionName != "ci" || p.SecretID != "AKIDrole" {
		t.Fatalf("role: %+v, err %v", p, err)
	}
	if p, _, err = LoadProfile(dir, "vm"); err != nil || p.Type != ProfileCVMRole {
		t.Fatalf("cvm-role: %+v, err %v", p, err)
	}
	if p, _, err = LoadProfile(dir, "login"); err != nil || p.Type != ProfileOAuth || p.ExpiresAt.Unix() != 1900000000 || p.Token != "t" {
		t.Fatalf("oauth: %+v, err %v", p, err)
	}
	writeFile(t, filepath.Join(dir, "strange.credential"), `{"secretId": "AKIDx", "secretKey": "k", "type": "saml-cache"}`)
	writeFile(t, filepath.Join(dir, "extra.credential"), `{"secretId": "AKIDx", "secretKey": "k", "role-duration": "3600"}`)
	writeFile(t, filepath.Join(dir, "noexpiry.credential"), `{"secretId": "AKIDx", "secretKey": "k", "token": "t", "type": "sso"}`)
	if _, found, err := LoadProfile(dir, "nope"); found || err != nil {
		t.Fatalf("a missing profile: found %v, err %v; want neither", found, err)
	}
	for name, want := range map[string][]string{
		"broken":   {"broken.credential", "not valid JSON"},
		"half":     {"half.credential", "secretKey"},
		"dir":      {"cannot read", "dir.credential"},
		"strange":  {"strange.credential", `type "saml-cache"`, "refused"},
		"extra":    {"extra.credential", `"role-duration"`, "half-read"},
		"noexpiry": {"noexpiry.credential", "expiresAt", "log in again"},
	} {
		_, _, err := LoadProfile(dir, name)
		for _, w := range want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %v does not mention %q", name, err, w)
			}
		}
	}
}
