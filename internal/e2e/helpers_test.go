package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

var (
	// providerBin is the provider built for this run; "" when the tests skip.
	providerBin string
	terraform   string
	skipReason  string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	switch tf, err := findTerraform(); {
	case os.Getenv("TF_ACC") == "":
		skipReason = "end-to-end tests run terraform: set TF_ACC=1 (make test does)"
	case err != nil:
		skipReason = err.Error()
	default:
		terraform = tf
		dir, err := os.MkdirTemp("", "cvm-e2e-provider")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer func() { _ = os.RemoveAll(dir) }()
		providerBin = filepath.Join(dir, "terraform-provider-cvm")
		build := exec.Command("go", "build", "-o", providerBin, ".")
		build.Dir = filepath.Join("..", "..")
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building the provider: %v\n%s", err, out)
			return 1
		}
	}
	return m.Run()
}

func findTerraform() (string, error) {
	if p := os.Getenv("TF_ACC_TERRAFORM_PATH"); p != "" {
		return p, nil
	}
	p, err := exec.LookPath("terraform")
	if err != nil {
		return "", errors.New("terraform is not on PATH (or TF_ACC_TERRAFORM_PATH)")
	}
	return p, nil
}

func needTerraform(t *testing.T) {
	t.Helper()
	if providerBin == "" {
		t.Skip(skipReason)
	}
}

// fullRun is true under `make faults`: many runs per row instead of a few.
func fullRun() bool { return os.Getenv("CVM_FAULTS") == "full" }

// workspace is a directory with a configuration, run by terraform with its
// own CLI configuration (dev_overrides to the provider built for this run)
// and an environment that holds nothing of the machine's but PATH and TMPDIR.
type workspace struct {
	t   *testing.T
	dir string
	env []string
}

func newWorkspace(t *testing.T, config string, env map[string]string) *workspace {
	t.Helper()
	needTerraform(t)
	dir := t.TempDir()
	cli := filepath.Join(t.TempDir(), "terraformrc")
	rc := fmt.Sprintf(`provider_installation {
  dev_overrides {
    "cvmkit/cvm" = %q
  }
  direct {}
}
`, filepath.Dir(providerBin))
	if err := os.WriteFile(cli, []byte(rc), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	w := &workspace{t: t, dir: dir, env: []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"TMPDIR=" + os.TempDir(),
		"TF_CLI_CONFIG_FILE=" + cli,
		"TF_IN_AUTOMATION=1",
		"TF_INPUT=0",
		"CHECKPOINT_DISABLE=1",
	}}
	for k, v := range env {
		w.env = append(w.env, k+"="+v)
	}
	return w
}

// result is one terraform run.
type result struct {
	stdout, stderr string
	exit           int
	took           time.Duration
}

func (r result) output() string { return r.stdout + r.stderr }

// terraform runs terraform in the workspace; a non-zero exit is not an error.
func (w *workspace) terraform(args ...string) result {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(w.t.Context(), 5*time.Minute)
	defer cancel()
	cmd := w.command(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.exit = exit.ExitCode()
	case err != nil:
		w.t.Fatalf("terraform %s: %v", strings.Join(args, " "), err)
	}
	return res
}

func (w *workspace) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, terraform, append([]string{"-chdir=" + w.dir}, args...)...)
	cmd.Env = w.env
	// Its own process group, as a shell gives a foreground job, so that a
	// terminal's Ctrl-C can be sent to the whole group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// startPlan starts `terraform plan` in the background, for tests that signal
// it while it reads. Its output collects in the returned buffer, which is
// safe to read while terraform still writes.
func (w *workspace) startPlan(ctx context.Context) (*exec.Cmd, *emutest.LockedBuffer) {
	w.t.Helper()
	return w.start(ctx, "plan", "-input=false", "-no-color", "-lock=false")
}

// start starts terraform with args in the background, as startPlan does.
func (w *workspace) start(ctx context.Context, args ...string) (*exec.Cmd, *emutest.LockedBuffer) {
	w.t.Helper()
	cmd := w.command(ctx, args...)
	out := &emutest.LockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	return cmd, out
}

// plannedData is what a saved plan says about its data sources.
type plannedData map[string]map[string]any // address → attribute values

// plan runs `terraform plan -out` and reads the plan back with
// `terraform show -json`. The data sources read during the plan are in its
// prior state.
func (w *workspace) plan(extra ...string) (plannedData, result) {
	w.t.Helper()
	res := w.terraform(append([]string{"plan", "-input=false", "-no-color", "-lock=false", "-out=tfplan"}, extra...)...)
	if res.exit != 0 {
		return nil, res
	}
	show := w.terraform("show", "-json", "-no-color", "tfplan")
	if show.exit != 0 {
		w.t.Fatalf("terraform show: %s", show.output())
	}
	var p struct {
		PriorState struct {
			Values struct {
				RootModule struct {
					Resources []struct {
						Address string         `json:"address"`
						Values  map[string]any `json:"values"`
					} `json:"resources"`
				} `json:"root_module"`
			} `json:"values"`
		} `json:"prior_state"`
	}
	if err := json.Unmarshal([]byte(show.stdout), &p); err != nil {
		w.t.Fatalf("terraform show -json: %v", err)
	}
	out := plannedData{}
	for _, r := range p.PriorState.Values.RootModule.Resources {
		out[r.Address] = r.Values
	}
	return out, res
}

// providerProcesses lists the running processes of the provider binary.
func providerProcesses() []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid := 0
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err == nil && strings.TrimSuffix(exe, " (deleted)") == providerBin {
			pids = append(pids, pid)
		}
	}
	return pids
}

// instancesOf reads a data source's instances and missing IDs from plan JSON.
func instancesOf(values map[string]any) (ids, states, missing []string) {
	list, _ := values["instances"].([]any)
	for _, e := range list {
		m, _ := e.(map[string]any)
		id, _ := m["instance_id"].(string)
		st, _ := m["state"].(string)
		ids = append(ids, id)
		states = append(states, st)
	}
	miss, _ := values["missing_instance_ids"].([]any)
	for _, e := range miss {
		s, _ := e.(string)
		missing = append(missing, s)
	}
	return ids, states, missing
}

// appendReport adds a table to the file CVM_FAULTS_REPORT names (make
// faults prints it) and to the test log.
func appendReport(t *testing.T, title, header string, rows []string) {
	t.Helper()
	emutest.Report(t, "### "+title+"\n\n"+header+strings.Join(rows, "\n")+"\n")
}

// The emulator every test starts (startE2E, or emutest.Start with these
// credentials for a configuration of its own) and the provider's settings
// that point at it.
const (
	e2eSecretID  = "AKIDendtoend0000000000000000000001"
	e2eSecretKey = "end-to-end-secret-key"
	e2eRegion    = "ap-guangzhou"
)

func e2eEnv(e *emutest.Emulator) map[string]string {
	return map[string]string{
		"TENCENTCLOUD_CVM_ENDPOINT": e.URL,
		"TENCENTCLOUD_SECRET_ID":    e2eSecretID,
		"TENCENTCLOUD_SECRET_KEY":   e2eSecretKey,
		"TENCENTCLOUD_REGION":       e2eRegion,
	}
}

const e2eProviders = `terraform {
  required_providers {
    cvm = {
      source = "cvmkit/cvm"
    }
  }
}
`

func startE2E(t *testing.T, instances ...emulator.Instance) *emutest.Emulator {
	t.Helper()
	return emutest.Start(t, emulator.Config{
		Credentials: []emulator.Credential{{SecretID: e2eSecretID, SecretKey: e2eSecretKey}},
		Regions:     map[string][]emulator.Instance{e2eRegion: instances},
	}, emutest.Options{})
}

func mustSucceed(t *testing.T, r result, what string) {
	t.Helper()
	if r.exit != 0 {
		t.Fatalf("%s exited %d:\n%s", what, r.exit, r.output())
	}
}
