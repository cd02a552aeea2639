package provider

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
)

// The configuration beats the environment, the environment beats the
// default, and "~" is the HOME the environment gives.
func TestSettingsPrecedence(t *testing.T) {
	t.Parallel()
	env := mapEnv(map[string]string{
		"HOME": "/home/ci", EnvRegion: "ap-beijing", EnvRateLimit: "7.5", EnvMaxRetries: "0",
		EnvRequestTimeout: "90s", EnvSecretID: "AKIDenv", EnvSecretKey: "env-key",
	})
	cfg := providerModel{} // every attribute null
	cfg.Region = types.StringValue("ap-shanghai")
	var diags diag.Diagnostics
	s := settingsFrom(cfg, env, &diags)
	if diags.HasError() {
		t.Fatal(diags)
	}
	if s.region != "ap-shanghai" || s.rateLimit != 7.5 || s.maxRetries != 0 || s.requestTimeout != 90*time.Second {
		t.Errorf("region %q, rate %v, retries %d, timeout %s", s.region, s.rateLimit, s.maxRetries, s.requestTimeout)
	}
	if s.creds.secretID != "AKIDenv" || s.creds.sharedDir != filepath.Join("/home/ci", ".tccli") || s.creds.profileExplicit {
		t.Errorf("credentials %+v", s.creds)
	}

	s = settingsFrom(providerModel{}, mapEnv(map[string]string{"HOME": "/h"}), &diags)
	if s.region != "" || s.rateLimit != cvm.DefaultRateLimit || s.maxRetries != cvm.DefaultMaxRetries || s.requestTimeout != cvm.DefaultRequestTimeout ||
		s.endpoint != cvm.DefaultEndpoint || s.creds.profile != DefaultProfile || s.identity.assumeRole != nil || s.identity.webIdentity != nil {
		t.Errorf("defaults: %+v", s)
	}
}

// A bad value from the environment is reported at the attribute it stands
// for, naming the variable.
func TestSettingsFromABadEnvironment(t *testing.T) {
	t.Parallel()
	var diags diag.Diagnostics
	settingsFrom(providerModel{}, mapEnv(map[string]string{EnvRateLimit: "fast", EnvRequestTimeout: "30"}), &diags)
	if diags.ErrorsCount() != 2 {
		t.Fatalf("%d errors, want 2: %v", diags.ErrorsCount(), diags)
	}
	text := diags[0].Detail() + diags[1].Detail()
	for _, want := range []string{EnvRateLimit + `: "fast" is not a number`, EnvRequestTimeout + `: "30" has no unit`} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in %s", want, text)
		}
	}
}
