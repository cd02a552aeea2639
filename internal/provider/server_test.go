package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// The protocol server reads cvm_instances_status itself (server.go). Terraform
// must not be able to tell: for every kind of read, it answers with the same
// state and the same diagnostics, attribute paths included, as the plugin
// framework's server does with the data source's Read.
func TestServerReadsAsTheFrameworkDoes(t *testing.T) {
	isolateEnv(t)
	e := emutest.Start(t, emulator.Config{
		Credentials: []emulator.Credential{{SecretID: accSecretID, SecretKey: accSecretKey}},
		Regions: map[string][]emulator.Instance{
			DefaultRegion: {inst("ins-r8hr2upy", "RUNNING"), inst("ins-5d8a23rs", "STOPPED"), inst("ins-0000abcd", "LAUNCH_FAILED")},
			"ap-shanghai": {inst("ins-sh000001", "RUNNING")},
		},
	}, emutest.Options{})
	good := map[string]any{"endpoint": e.URL, "region": DefaultRegion, "secret_id": accSecretID, "secret_key": accSecretKey}
	wrongKey := map[string]any{"endpoint": e.URL, "region": DefaultRegion, "secret_id": accSecretID, "secret_key": "not-the-key"}

	cases := map[string]struct {
		provider, data map[string]any
		wantStage      string
	}{
		"the whole region":         {good, map[string]any{}, ""},
		"IDs, duplicates, missing": {good, map[string]any{"instance_ids": []string{"ins-5d8a23rs", "ins-r8hr2upy", "ins-5d8a23rs", "ins-gone0000"}}, ""},
		"empty list":               {good, map[string]any{"instance_ids": []string{}}, ""},
		"region override":          {good, map[string]any{"region": "ap-shanghai"}, ""},
		"timeouts and waiting":     {good, map[string]any{"instance_ids": []string{"ins-r8hr2upy"}, "wait_for_states": []string{"RUNNING"}, "timeouts": map[string]any{"read": "1m"}}, ""},
		"cannot reach the state":   {good, map[string]any{"instance_ids": []string{"ins-0000abcd"}, "wait_for_states": []string{"RUNNING"}}, "read"},
		"authentication failure":   {wrongKey, map[string]any{}, "read"},
	}
	// RequestIds differ between two reads; everything else must not.
	requestID := regexp.MustCompile(`RequestId: [0-9a-f-]+`)
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			framework := runProtocolOn(t, providerserver.NewProtocol6WithError(newProvider("test")), tc.provider, tc.data)
			ours := runProtocolOn(t, NewServer("test"), tc.provider, tc.data)
			if framework.stage != tc.wantStage || ours.stage != tc.wantStage {
				t.Fatalf("stopped at %q (framework) and %q (ours), want %q:%s%s", framework.stage, ours.stage, tc.wantStage, framework, ours)
			}
			if !ours.state.Equal(framework.state) {
				t.Errorf("states differ:\nframework %s\nours      %s", framework.state, ours.state)
			}
			if tc.wantStage == "" && ours.state.IsNull() {
				t.Errorf("no state")
			}
			if len(ours.diags) != len(framework.diags) {
				t.Fatalf("diagnostics differ:\nframework%s\nours%s", framework, ours)
			}
			for i, want := range framework.diags {
				got := ours.diags[i]
				if got.Severity != want.Severity || got.Summary != want.Summary ||
					requestID.ReplaceAllString(got.Detail, "") != requestID.ReplaceAllString(want.Detail, "") ||
					attrPath(got.Attribute) != attrPath(want.Attribute) {
					t.Errorf("diagnostic %d differs:\nframework%s\nours%s", i, framework, ours)
				}
			}
		})
	}
}

// Other data sources, were there any, and every other call go to the
// framework: an unknown type name gets the framework's own answer.
func TestServerPassesOtherTypesToTheFramework(t *testing.T) {
	srv, err := NewServer("test")()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.ReadDataSource(t.Context(), &tfprotov6.ReadDataSourceRequest{TypeName: "cvm_nothing"})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Summary != "Data Source Type Not Found" {
		t.Errorf("diagnostics %+v, want the framework's Data Source Type Not Found", resp.Diagnostics)
	}
}
