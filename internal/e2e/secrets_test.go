package e2e

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// secretSet collects every secret value a run used: the keys and tokens
// configured, and every Authorization header, signature and X-TC-Token the
// emulator received.
type secretSet struct {
	mu     sync.Mutex
	values map[string]string // value → what it is
	signed int               // signed requests captured
}

func newSecretSet() *secretSet { return &secretSet{values: map[string]string{}} }

func (s *secretSet) add(what, v string) {
	if len(v) < 8 {
		return
	}
	s.mu.Lock()
	s.values[v] = what
	s.mu.Unlock()
}

var signaturePart = regexp.MustCompile(`Signature=([0-9a-f]{64})`)

// capture records the secrets of one API request.
func (s *secretSet) capture(r *http.Request) {
	if a := r.Header.Get("Authorization"); a != "" {
		s.add("an Authorization header", a)
		if m := signaturePart.FindStringSubmatch(a); m != nil {
			s.add("a request signature", m[1])
			s.mu.Lock()
			s.signed++
			s.mu.Unlock()
		}
	}
	s.add("an X-TC-Token header", r.Header.Get("X-TC-Token"))
}

// find reports each secret found in artifact.
func (s *secretSet) find(t *testing.T, name string, artifact []byte) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for v, what := range s.values {
		if bytes.Contains(artifact, []byte(v)) {
			t.Errorf("%s contains %s", name, what)
		}
	}
}

// A whole plan, apply and failed plans with TF_LOG=TRACE and
// TF_LOG_PROVIDER=TRACE, with a static key and a security token over
// https: the key, the token, the signatures and Authorization headers
// appear in no output, no log line, no diagnostic, no plan file and no
// state file; the state holds only the data source's own attributes.
// (Assumed-role credentials cannot be pointed at a local STS from the built
// binary; internal/provider's TestAccSecretsWithAssumedRole covers them in
// process.)
func TestAccSecretsStayOutOfLogsPlansAndState(t *testing.T) {
	needTerraform(t)
	const (
		secretID  = "AKIDsecretsend2end00000000000000001"
		secretKey = "SECRETKEY-e2e-must-never-be-seen-0001"
		token     = "SECURITYTOKEN-e2e-must-never-be-seen-0002-abcdefghijklmnopqrstuvwxyz"
	)
	secrets := newSecretSet()
	secrets.add("the secret key", secretKey)
	secrets.add("the security token", token)
	e := emutest.Start(t, emulator.Config{
		Credentials: []emulator.Credential{{SecretID: secretID, SecretKey: secretKey, Token: token}},
		Regions: map[string][]emulator.Instance{e2eRegion: append(emulator.GenerateInstances(250, 12),
			emulator.Instance{InstanceId: "ins-aaaaaaaa", InstanceState: "RUNNING"})},
	}, emutest.Options{TLS: true, OnRequest: func(_ int64, r *http.Request) { secrets.capture(r) }})

	logFile := filepath.Join(t.TempDir(), "terraform.log")
	w := newWorkspace(t, e2eProviders+`
variable "region" {
  type    = string
  default = "ap-guangzhou"
}

provider "cvm" {}

data "cvm_instances_status" "all" {
  region = var.region
}

data "cvm_instances_status" "one" {
  region       = var.region
  instance_ids = ["ins-aaaaaaaa", "ins-zzzzzzzz"]
  include      = ["operation", "restriction", "maintenance", "agent"]
}

resource "terraform_data" "release" {
  input = "release-1"
  lifecycle {
    precondition {
      condition     = data.cvm_instances_status.one.states["ins-aaaaaaaa"] == "RUNNING"
      error_message = "ins-aaaaaaaa must be RUNNING."
    }
  }
}

output "running" {
  value = lookup(data.cvm_instances_status.all.state_counts, "RUNNING", 0)
}
`, map[string]string{
		"TENCENTCLOUD_CVM_ENDPOINT":   e.URL,
		"TENCENTCLOUD_SECRET_ID":      secretID,
		"TENCENTCLOUD_SECRET_KEY":     secretKey,
		"TENCENTCLOUD_SECURITY_TOKEN": token,
		"SSL_CERT_FILE":               e.CAFile,
		"TF_LOG":                      "TRACE",
		"TF_LOG_PROVIDER":             "TRACE",
		"TF_LOG_PATH":                 logFile,
	})

	var outputs []result
	run := func(args ...string) result {
		r := w.terraform(args...)
		outputs = append(outputs, r)
		return r
	}
	plan := run("plan", "-input=false", "-no-color", "-lock=false", "-out=tfplan")
	if plan.exit != 0 {
		t.Fatalf("plan over https with SSL_CERT_FILE naming the emulator's CA failed:\n%s", plan.output())
	}
	showPlan := run("show", "-json", "-no-color", "tfplan")
	apply := run("apply", "-input=false", "-no-color", "-lock=false", "tfplan")
	if apply.exit != 0 {
		t.Fatalf("apply failed:\n%s", apply.output())
	}
	showState := run("show", "-json", "-no-color")
	// Failed reads: their diagnostics carry the service's answer.
	unsupported := run("plan", "-input=false", "-no-color", "-lock=false", "-var", "region=xx-nowhere")
	e.SetClockOffset(10 * time.Minute)
	expired := run("plan", "-input=false", "-no-color", "-lock=false", "-refresh=true")
	e.SetClockOffset(0)
	for _, r := range []struct {
		name string
		res  result
		want string
	}{{"the plan in an unsupported region", unsupported, "UnsupportedRegion"}, {"the plan with a skewed clock", expired, "AuthFailure.SignatureExpire"}} {
		if r.res.exit == 0 || !strings.Contains(r.res.stderr, r.want) {
			t.Errorf("%s must fail with %s:\n%s", r.name, r.want, r.res.output())
		}
	}

	// Requests, not distinct signatures: the signature covers neither the
	// region nor more than the second, so two plans' first pages can share one.
	secrets.mu.Lock()
	signed := secrets.signed
	secrets.mu.Unlock()
	if signed < 6 {
		t.Fatalf("only %d signed requests were captured", signed)
	}
	for i, r := range outputs {
		secrets.find(t, "terraform output #"+string(rune('1'+i)), []byte(r.output()))
	}
	secrets.find(t, "terraform show -json of the plan", []byte(showPlan.stdout))
	secrets.find(t, "terraform show -json of the state", []byte(showState.stdout))

	logs, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	// Every check's action was signed and logged, TAT's included.
	for _, line := range []string{"CVM API request", "DescribeInstancesStatus", "DescribeTaskInfo", "TAT API request", "DescribeAutomationAgentStatus", "provider.terraform-provider-cvm"} {
		if !bytes.Contains(logs, []byte(line)) {
			t.Fatalf("the TRACE log (%d bytes) has no %q: the provider's logs were not captured", len(logs), line)
		}
	}
	secrets.find(t, "the TF_LOG_PATH log", logs)

	raw, err := os.ReadFile(filepath.Join(w.dir, "tfplan"))
	if err != nil {
		t.Fatal(err)
	}
	secrets.find(t, "the plan file", raw)
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		content, err := io.ReadAll(rc)
		_ = rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		secrets.find(t, "the plan file's "+f.Name, content)
	}

	stateRaw, err := os.ReadFile(filepath.Join(w.dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	secrets.find(t, "the state file", stateRaw)
	if bytes.Contains(stateRaw, []byte(secretID)) {
		t.Error("the state file names the secret ID")
	}
	checkStateAttributes(t, stateRaw)
}

// checkStateAttributes asserts that the data sources' state holds their own
// attributes and nothing else, and that nothing in it is sensitive.
func checkStateAttributes(t *testing.T, raw []byte) {
	t.Helper()
	var st struct {
		Resources []struct {
			Mode      string `json:"mode"`
			Type      string `json:"type"`
			Instances []struct {
				Attributes          map[string]any `json:"attributes"`
				SensitiveAttributes []any          `json:"sensitive_attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	want := []string{"id", "include", "instance_ids", "instances", "missing_instance_ids", "not_ready", "region", "state_counts", "states", "timeouts", "wait_for_ready", "wait_for_states", "wait_stable_for"}
	found := 0
	for _, r := range st.Resources {
		if r.Type != "cvm_instances_status" {
			continue
		}
		for _, in := range r.Instances {
			found++
			var keys []string
			for k := range in.Attributes {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if strings.Join(keys, ",") != strings.Join(want, ",") {
				t.Errorf("state attributes %v, want %v", keys, want)
			}
			if len(in.SensitiveAttributes) != 0 {
				t.Errorf("sensitive attributes in state: %v", in.SensitiveAttributes)
			}
		}
	}
	if found != 2 {
		t.Fatalf("%d data sources in the state, want 2", found)
	}
}
