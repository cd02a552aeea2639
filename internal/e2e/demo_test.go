package e2e

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// make demo ends by telling the user how to point their own configurations
// at an emulator of their own. Following those words, and nothing else,
// must be enough for terraform plan to read: the exports the text gives
// (the local endpoint rewritten to this test's emulator) are the
// provider's whole environment, against an emulator that accepts what
// cvm-emulator accepts by default.
func TestAccDemoNextStepsReadTheEmulator(t *testing.T) {
	t.Parallel()
	script, err := os.ReadFile(filepath.Join("..", "..", "scripts", "demo.sh"))
	if err != nil {
		t.Fatal(err)
	}
	_, next, found := strings.Cut(heredoc(string(script), "NEXT"), "Your own configurations")
	if !found {
		t.Fatal("scripts/demo.sh's NEXT text has no \"Your own configurations\" step")
	}
	e := emutest.Start(t, emulator.Config{
		Credentials: []emulator.Credential{{SecretID: emulator.DefaultSecretID, SecretKey: emulator.DefaultSecretKey}},
		Regions:     map[string][]emulator.Instance{"ap-guangzhou": {{InstanceId: "ins-web00001", InstanceState: "RUNNING"}}},
	}, emutest.Options{})
	env := map[string]string{}
	for _, line := range strings.Split(next, "\n") {
		words := strings.Fields(line)
		if len(words) < 2 || words[0] != "export" {
			continue
		}
		for _, kv := range words[1:] {
			k, v, _ := strings.Cut(kv, "=")
			if k == "TENCENTCLOUD_CVM_ENDPOINT" {
				v = e.URL
			}
			env[k] = v
		}
	}
	if _, ok := env["TENCENTCLOUD_CVM_ENDPOINT"]; !ok {
		t.Fatalf("the demo's next steps export no TENCENTCLOUD_CVM_ENDPOINT:\n%s", next)
	}
	w := newWorkspace(t, e2eProviders+`
data "cvm_instances_status" "own" {
  instance_ids = ["ins-web00001"]
}

output "state" {
  value = data.cvm_instances_status.own.states["ins-web00001"]
}
`, env)
	r := w.terraform("plan", "-no-color", "-lock=false")
	if r.exit != 0 {
		t.Fatalf("terraform plan with only the demo's exports (%s) exited %d:\n%s", strings.Join(slices.Sorted(maps.Keys(env)), ", "), r.exit, r.output())
	}
	if !strings.Contains(r.stdout, `state = "RUNNING"`) {
		t.Errorf("the plan does not show the emulator's state:\n%s", r.stdout)
	}
}

// heredoc is the text of the quoted here-document <<'END' in a script.
func heredoc(script, end string) string {
	_, rest, found := strings.Cut(script, "<<'"+end+"'\n")
	if !found {
		return ""
	}
	body, _, _ := strings.Cut(rest, "\n"+end+"\n")
	return body
}

// make demo's plan shows exactly one web instance that is RUNNING and not
// ready, with both of its reasons, beside the check block's warning; and
// the script's account of the plan explains it. The demo's configuration
// and data file are planned as they ship (without the generated fleet,
// which only the fleet outputs count).
func TestAccDemoShowsTheNotReadyInstance(t *testing.T) {
	t.Parallel()
	demo := filepath.Join("..", "..", "examples", "demo")
	cfg, err := emulator.LoadDataFile(filepath.Join(demo, "emulator-data.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Credentials = append(cfg.Credentials, emulator.Credential{SecretID: emulator.DefaultSecretID, SecretKey: emulator.DefaultSecretKey})
	e := emutest.Start(t, cfg, emutest.Options{})
	main, err := os.ReadFile(filepath.Join(demo, "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	w := newWorkspace(t, string(main), map[string]string{
		"TENCENTCLOUD_CVM_ENDPOINT": e.URL,
		"TENCENTCLOUD_SECRET_ID":    emulator.DefaultSecretID,
		"TENCENTCLOUD_SECRET_KEY":   emulator.DefaultSecretKey,
	})
	r := w.terraform("plan", "-no-color", "-lock=false")
	mustSucceed(t, r, "terraform plan of examples/demo")
	_, notReady, _ := strings.Cut(r.stdout, "+ web_not_ready")
	notReady, _, _ = strings.Cut(notReady, "+ web_tier")
	for _, want := range []string{
		"ins-web00002 = [",
		`"latest operation ResetInstance FAILED: The system disk could not be reinitialised."`,
		`"TAT agent Offline since 2026-12-04T03:12:45+08:00"`,
	} {
		if !strings.Contains(notReady, want) {
			t.Errorf("the plan's web_not_ready does not show %s:\n%s", want, r.stdout)
		}
	}
	for _, ready := range []string{"ins-web00001", "ins-web00003"} {
		if strings.Contains(notReady, ready) {
			t.Errorf("the plan's web_not_ready lists %s, which is ready:\n%s", ready, notReady)
		}
	}
	if !strings.Contains(r.output(), "Check block assertion failed") {
		t.Errorf("the plan shows no warning from the batch workers' check block:\n%s", r.output())
	}
	script, err := os.ReadFile(filepath.Join("..", "..", "scripts", "demo.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if shown := heredoc(string(script), "SHOWN"); !strings.Contains(shown, "ins-web00002") || !strings.Contains(shown, "not_ready") {
		t.Errorf("scripts/demo.sh's account of the plan does not explain the not-ready web instance:\n%s", shown)
	}
}
