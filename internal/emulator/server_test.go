package emulator_test

import (
	"strings"
	"testing"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
)

func TestNewValidatesConfig(t *testing.T) {
	for name, tc := range map[string]struct {
		cfg  emulator.Config
		want string
	}{
		"bad state":     {emulator.Config{Regions: map[string][]emulator.Instance{"ap-guangzhou": {{InstanceId: "ins-r8hr2upy", InstanceState: "ON"}}}}, `Regions["ap-guangzhou"][0].InstanceState: invalid state "ON"`},
		"bad id":        {emulator.Config{Regions: map[string][]emulator.Instance{"ap-guangzhou": {{InstanceId: "i-1", InstanceState: "RUNNING"}}}}, `Regions["ap-guangzhou"][0].InstanceId: malformed`},
		"duplicate":     {emulator.Config{Regions: map[string][]emulator.Instance{"ap-guangzhou": {{InstanceId: "ins-r8hr2upy", InstanceState: "RUNNING"}, {InstanceId: "ins-r8hr2upy", InstanceState: "STOPPED"}}}}, `duplicate instance ID`},
		"negative step": {emulator.Config{Regions: map[string][]emulator.Instance{"ap-guangzhou": {{InstanceId: "ins-r8hr2upy", InstanceState: "RUNNING", Transitions: []emulator.Transition{{After: -1, InstanceState: "STOPPED"}}}}}}, `Transitions[0].After`},
		"dup secret":    {emulator.Config{Credentials: []emulator.Credential{{"AKIDa", "k", ""}, {"AKIDa", "k2", ""}}}, "duplicate SecretId"},
		"empty key":     {emulator.Config{Credentials: []emulator.Credential{{"AKIDa", "", ""}}}, "SecretKey"},
		"rate":          {emulator.Config{RateLimit: -1}, "RateLimit"},
	} {
		_, err := emulator.New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", name, err, tc.want)
		}
	}
}
