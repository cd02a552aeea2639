package provider

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestBaseCredentialOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "default.credential"), `{"secretId": "AKIDprofile", "secretKey": "profile-key"}`)
	writeFile(t, filepath.Join(dir, "default.configure"), `{"_sys_param": {"region": "ap-shanghai", "output": "json"}}`)
	writeFile(t, filepath.Join(dir, "ops.credential"), `{"secretId": "AKIDops", "secretKey": "ops-key", "token": "ops-token"}`)

	defaults := credentialSettings{profile: DefaultProfile, sharedDir: dir}
	with := func(f func(*credentialSettings)) credentialSettings {
		cs := defaults
		f(&cs)
		return cs
	}
	cases := []struct {
		name       string
		cs         credentialSettings
		wantID     string
		wantToken  string
		wantRegion string
	}{
		{"explicit keys beat the profile", with(func(cs *credentialSettings) {
			cs.secretID, cs.secretKey, cs.securityToken = "AKIDexplicit", "k", "tok"
		}), "AKIDexplicit", "tok", ""},
		{"default profile", defaults, "AKIDprofile", "", "ap-shanghai"},
		{"named profile with token", with(func(cs *credentialSettings) { cs.profile, cs.profileExplicit = "ops", true }), "AKIDops", "ops-token", ""},
		{"profile beats CAM role", with(func(cs *credentialSettings) { cs.camRoleName = "role" }), "AKIDprofile", "", "ap-shanghai"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src, profile, err := baseCredential(tc.cs, nil)
			if err != nil {
				t.Fatal(err)
			}
			c, _ := src.Credential(context.Background())
			if c.SecretID != tc.wantID || c.Token != tc.wantToken {
				t.Fatalf("got %s with token %q, want %s with %q", c.SecretID, c.Token, tc.wantID, tc.wantToken)
			}
			region := ""
			if profile != nil {
				region = profile.Region
			}
			if region != tc.wantRegion {
				t.Fatalf("profile region = %q, want %q", region, tc.wantRegion)
			}
		})
	}
	t.Run("CAM role when nothing else", func(t *testing.T) {
		src, _, err := baseCredential(credentialSettings{profile: DefaultProfile, sharedDir: t.TempDir(), camRoleName: "deployer"}, nil)
		if err != nil || !strings.Contains(src.Name(), `CAM role "deployer"`) {
			t.Fatalf("source = %v, err = %v; want the CAM role", src, err)
		}
	})
}

func TestBaseCredentialErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "broken.credential"), `{"secretId": "AKID`)
	cases := []struct {
		name string
		cs   credentialSettings
		want []string
	}{
		{"id without key", credentialSettings{secretID: "AKIDx"}, []string{"secret_key is not", EnvSecretKey}},
		{"key without id", credentialSettings{secretKey: "x"}, []string{"secret_id is not", EnvSecretID}},
		{"malformed profile", credentialSettings{sharedDir: dir, profile: "broken", profileExplicit: true}, []string{`profile "broken"`, "broken.credential", "not valid JSON"}},
		{"missing named profile", credentialSettings{sharedDir: dir, profile: "nope", profileExplicit: true}, []string{`profile "nope"`, "does not exist"}},
		{"nothing anywhere", credentialSettings{sharedDir: t.TempDir(), profile: DefaultProfile}, []string{
			EnvSecretID, "secret_id", "profile", EnvSharedCredentials, "cam_role_name", EnvCAMRoleName}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := baseCredential(tc.cs, nil)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
