package emulator_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "data.json")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadDataFile(t *testing.T) {
	p := writeFile(t, `{"credentials": [{"secret_id": "AKIDone", "secret_key": "k1", "token": "t1"}, {"secret_id": "AKIDtwo", "secret_key": "k2"}],
 "regions": {"ap-guangzhou": [
   {"InstanceId": "ins-r8hr2upy", "InstanceState": "RUNNING"},
   {"InstanceId": "ins-5d8a23rs", "InstanceState": "STARTING",
    "Transitions": [{"After": "3s", "InstanceState": "RUNNING"}]}],
   "ap-tokyo": null}}`)
	cfg, err := emulator.LoadDataFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Credentials) != 2 || cfg.Credentials[0] != (emulator.Credential{"AKIDone", "k1", "t1"}) {
		t.Fatalf("credentials %+v", cfg.Credentials)
	}
	gz := cfg.Regions["ap-guangzhou"]
	if len(gz) != 2 || gz[1].Transitions[0].After != emulator.Duration(3*time.Second) || gz[1].Transitions[0].InstanceState != "RUNNING" {
		t.Fatalf("regions %+v", cfg.Regions)
	}
	if _, ok := cfg.Regions["ap-tokyo"]; !ok {
		t.Fatal("a null region is still a region")
	}
	if _, err := emulator.New(cfg); err != nil {
		t.Fatalf("New with the loaded config: %v", err)
	}
}

// TestDataFileKeysReadOnce: LoadDataFile reads the OIDC key files; New
// and Reload use the keys it read instead of reading the files again.
func TestDataFileKeysReadOnce(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, `{"identity": {"oidc_providers": [{"ProviderId": "ci", "Issuer": "https://ci.example", "Audiences": ["sts.tencentcloudapi.com"], "PublicKeyFile": "ci.pem"}]}}`)
	pemFile := filepath.Join(filepath.Dir(p), "ci.pem")
	if err := os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := emulator.LoadDataFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(pemFile); err != nil {
		t.Fatal(err)
	}
	s, err := emulator.New(cfg)
	if err != nil {
		t.Fatalf("New read the key file again: %v", err)
	}
	if got := s.AuthStateForTest().OIDCKey("ci"); !got.Equal(&key.PublicKey) {
		t.Errorf("the provider's key is not the file's")
	}
	if err := s.Reload(cfg); err != nil {
		t.Fatalf("Reload read the key file again: %v", err)
	}
	// A Config built by hand still names its files, and a missing one is
	// reported as before.
	cfg.Identity.OIDCProviders[0].PublicKeyFile = pemFile + ".other"
	if _, err := emulator.New(cfg); err == nil || !strings.Contains(err.Error(), "Identity.oidc_providers[0].PublicKeyFile") {
		t.Errorf("a key file LoadDataFile did not read: %v", err)
	}
}

func TestLoadDataFileErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		content string
		want    []string
	}{
		"syntax": {"{\"regions\": {\n  \"ap-guangzhou\": [\n    {\"InstanceId\": \"ins-r8hr2upy\",, }\n]}}",
			[]string{":3:35: syntax error", "invalid character ','"}},
		"truncated": {`{"regions": {"ap-guangzhou": [`, []string{":1:31: syntax error"}},
		"bad state": {"{\"regions\": {\"ap-guangzhou\": [\n {\"InstanceId\": \"ins-r8hr2upy\", \"InstanceState\": \"RUNNING\"},\n {\"InstanceId\": \"ins-5d8a23rs\", \"InstanceState\": \"RUNING\"}]}}",
			[]string{`regions["ap-guangzhou"][1].InstanceState`, `line 3, column 50`, `invalid state "RUNING"`, "valid states are PENDING, LAUNCH_FAILED, RUNNING"}},
		"duplicate ID": {`{"regions": {"ap-guangzhou": [{"InstanceId": "ins-r8hr2upy", "InstanceState": "RUNNING"}], "ap-tokyo": [{"InstanceId": "ins-r8hr2upy", "InstanceState": "RUNNING"}]}}`,
			[]string{`regions["ap-tokyo"][0].InstanceId`, `duplicate instance ID "ins-r8hr2upy"`, `first at regions["ap-guangzhou"][0]`}},
		"malformed ID": {`{"regions": {"ap-guangzhou": [{"InstanceId": "ins-1122", "InstanceState": "RUNNING"}]}}`,
			[]string{`regions["ap-guangzhou"][0].InstanceId`, `malformed instance ID "ins-1122"`}},
		"unknown field": {`{"regions": {"ap-guangzhou": [{"InstanceId": "ins-r8hr2upy", "InstanceState": "RUNNING", "Zone": "x"}]}}`,
			[]string{`regions["ap-guangzhou"][0].Zone`, `unknown field "Zone"`}},
		"unknown top field": {`{"instances": {}}`, []string{`instances`, `unknown field "instances"`}},
		"unknown transition field": {`{"regions": {"ap-guangzhou": [{"InstanceId": "ins-r8hr2upy", "InstanceState": "RUNNING", "Transitions": [{"After": "1s", "InstanceState": "STOPPED", "Delay": "2s"}]}]}}`,
			[]string{`regions["ap-guangzhou"][0].Transitions[0].Delay (line 1, column 150)`, `unknown field "Delay"; the fields here are "After", "InstanceState", "LatestOperation"`, `"Agent" and "MaintenanceTasks"`}},
		"bad restrict state": {"{\"regions\": {\"ap-guangzhou\": [\n {\"InstanceId\": \"ins-r8hr2upy\", \"InstanceState\": \"RUNNING\", \"RestrictState\": \"LOCKED\"}]}}",
			[]string{`regions["ap-guangzhou"][0].RestrictState (line 2, column 78)`, `invalid RestrictState "LOCKED"; valid values are NORMAL, EXPIRED, PROTECTIVELY_ISOLATED`}},
		"bad task status": {`{"regions": {"ap-guangzhou": [{"InstanceId": "ins-r8hr2upy", "InstanceState": "RUNNING", "MaintenanceTasks": [{"TaskId": "rep-xr36mn2a", "TaskTypeId": 101, "TaskStatus": 7, "CreateTime": "2026-12-04 10:00:00"}]}]}}`,
			[]string{`regions["ap-guangzhou"][0].MaintenanceTasks[0].TaskStatus`, "invalid TaskStatus 7; valid values are 1 to 6"}},
		"bad task time": {`{"regions": {"ap-guangzhou": [{"InstanceId": "ins-r8hr2upy", "InstanceState": "RUNNING", "MaintenanceTasks": [{"TaskId": "rep-xr36mn2a", "TaskTypeId": 101, "TaskStatus": 1, "CreateTime": "2026-12-04T10:00:00Z"}]}]}}`,
			[]string{`regions["ap-guangzhou"][0].MaintenanceTasks[0].CreateTime`, `invalid time "2026-12-04T10:00:00Z"`, "YYYY-MM-DD hh:mm:ss"}},
		"bad expired time": {`{"regions": {"ap-guangzhou": [{"InstanceId": "ins-r8hr2upy", "InstanceState": "RUNNING", "ExpiredTime": "tomorrow"}]}}`,
			[]string{`regions["ap-guangzhou"][0].ExpiredTime`, `invalid time "tomorrow"`}},
		"agent without status": {`{"regions": {"ap-guangzhou": [{"InstanceId": "ins-r8hr2upy", "InstanceState": "RUNNING", "Agent": {"Version": "1.0.0"}}]}}`,
			[]string{`regions["ap-guangzhou"][0].Agent.AgentStatus`, `invalid AgentStatus ""; valid values are Online, Offline`}},
		"bad transition agent": {`{"regions": {"ap-guangzhou": [{"InstanceId": "ins-r8hr2upy", "InstanceState": "RUNNING", "Transitions": [{"After": "3s", "Agent": {"AgentStatus": "Up"}}]}]}}`,
			[]string{`regions["ap-guangzhou"][0].Transitions[0].Agent.AgentStatus`, `invalid AgentStatus "Up"`}},
		"first agent without status": {`{"regions": {"ap-guangzhou": [{"InstanceId": "ins-r8hr2upy", "InstanceState": "RUNNING", "Transitions": [{"After": "5s", "Agent": {"AgentStatus": "Online"}}, {"After": "3s", "Agent": {"Version": "1.1.4"}}]}]}}`,
			[]string{`regions["ap-guangzhou"][0].Transitions[1].Agent.AgentStatus`, "installs the instance's first agent"}},
		"empty transition": {`{"regions": {"ap-guangzhou": [{"InstanceId": "ins-r8hr2upy", "InstanceState": "RUNNING", "Transitions": [{"After": "3s"}]}]}}`,
			[]string{`regions["ap-guangzhou"][0].Transitions[0]`, "the transition changes nothing"}},
		"task field type": {`{"regions": {"ap-guangzhou": [{"InstanceId": "ins-r8hr2upy", "InstanceState": "RUNNING", "MaintenanceTasks": [{"TaskId": "rep-xr36mn2a", "TaskTypeId": "101"}]}]}}`,
			[]string{`regions["ap-guangzhou"][0].MaintenanceTasks[0].TaskTypeId`, "expected an integer, found a string"}},
		"regions not an object": {"{\n \"regions\": [\"ap-guangzhou\"]}", []string{`regions (line 2, column 13)`, "expected an object, found an array"}},
		"wrong type": {`{"regions": {"ap-guangzhou": [{"InstanceId": 7, "InstanceState": "RUNNING"}]}}`,
			[]string{`regions["ap-guangzhou"][0].InstanceId`, "expected a string, found a number"}},
		"bad duration": {`{"regions": {"ap-guangzhou": [{"InstanceId": "ins-r8hr2upy", "InstanceState": "RUNNING", "Transitions": [{"After": "3 seconds", "InstanceState": "STOPPED"}]}]}}`,
			[]string{`regions["ap-guangzhou"][0].Transitions[0].After`, `invalid duration "3 seconds"`}},
		"bad transition state": {`{"regions": {"ap-guangzhou": [{"InstanceId": "ins-r8hr2upy", "InstanceState": "RUNNING", "Transitions": [{"After": "3s", "InstanceState": "GONE"}]}]}}`,
			[]string{`regions["ap-guangzhou"][0].Transitions[0].InstanceState`, `invalid state "GONE"`}},
		"missing state": {`{"regions": {"ap-guangzhou": [{"InstanceId": "ins-r8hr2upy"}]}}`,
			[]string{`regions["ap-guangzhou"][0]`, "InstanceState is missing"}},
		"bad region":             {`{"regions": {"AP Guangzhou": []}}`, []string{`regions["AP Guangzhou"]`, "invalid region name"}},
		"credential without key": {`{"credentials": [{"secret_id": "AKIDx"}]}`, []string{"credentials[0]", "secret_key is missing"}},
		"trailing data":          {`{} {}`, []string{"syntax error", "after the top-level value"}},
	} {
		p := writeFile(t, tc.content)
		_, err := emulator.LoadDataFile(p)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, p) {
			t.Errorf("%s: %q does not name the file", name, msg)
		}
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: %q lacks %q", name, msg, w)
			}
		}
		if strings.Count(msg, "\n") > 0 {
			t.Errorf("%s: message spans lines: %q", name, msg)
		}
	}
	if _, err := emulator.LoadDataFile(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
}
