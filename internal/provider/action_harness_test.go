package provider

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
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// The action's acceptance tests need Terraform 1.14 or later, and
// terraform-plugin-testing (v1.16) cannot run an action: it has no step for
// `terraform apply -invoke`, and no check sees an action_trigger's run or
// its progress messages. So these tests run the terraform binary
// CVM_ACC_TERRAFORM_ACTIONS names (the Terraform 1.15.0 that .ci/run builds
// with scripts/build-terraform.sh, and that `make test` finds in that
// cache) themselves, as a user would, against the provider served from this
// process through TF_REATTACH_PROVIDERS, as terraform-plugin-testing serves
// it, and the package's emulator.
const envActionsTerraform = "CVM_ACC_TERRAFORM_ACTIONS"

// actionsTerraform is the Terraform that can run actions; the test skips,
// saying how to get one, when there is none.
func actionsTerraform(t *testing.T) string {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 (make test does)")
	}
	needsEmulator(t)
	tf := os.Getenv(envActionsTerraform)
	if tf == "" {
		t.Skip(envActionsTerraform + " is not set: the action's acceptance tests need Terraform 1.14 or later, which the machine's terraform is not. " +
			"`make terraform-actions` builds Terraform 1.15.0 into the CI cache, where `make test` finds it; .ci/run builds it and sets " + envActionsTerraform)
	}
	if _, err := os.Stat(tf); err != nil {
		t.Fatalf("%s=%s: %v", envActionsTerraform, tf, err)
	}
	return tf
}

// actionWorkspace is a directory with a configuration that terraform runs
// with the in-process provider and an environment of its own.
type actionWorkspace struct {
	t         *testing.T
	terraform string
	dir       string
	env       []string
	// invocations records how each invocation of an action ended, as the
	// provider answered: what Terraform shows of it may differ.
	invocations *invocations
}

// newActionWorkspace serves the provider (fast polls, against emu) for
// the test's terraform runs and writes config, after the provider block,
// into a new directory.
func newActionWorkspace(t *testing.T, emu *emulator.Server, config string) *actionWorkspace {
	t.Helper()
	tf := actionsTerraform(t)
	rec := &invocations{}
	reattach := serveForTerraform(t, rec)
	w := &actionWorkspace{t: t, terraform: tf, dir: t.TempDir(), invocations: rec}
	cli := filepath.Join(t.TempDir(), "terraformrc")
	writeFile(t, cli, "")
	w.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"TMPDIR=" + os.TempDir(),
		"TF_CLI_CONFIG_FILE=" + cli,
		"TF_IN_AUTOMATION=1",
		"TF_INPUT=0",
		"CHECKPOINT_DISABLE=1",
		"TF_REATTACH_PROVIDERS=" + reattach,
	}
	w.write(emu, config)
	if r := w.run("init", "-input=false", "-no-color"); r.exit != 0 {
		t.Fatalf("terraform init exited %d:\n%s", r.exit, r.out)
	}
	return w
}

// write replaces the configuration.
func (w *actionWorkspace) write(emu *emulator.Server, config string) {
	w.t.Helper()
	writeFile(w.t, filepath.Join(w.dir, "main.tf"), requiredProviders+`provider "cvm" {
  endpoint   = "`+emu.URL()+`"
  region     = "`+DefaultRegion+`"
  secret_id  = "`+accSecretID+`"
  secret_key = "`+accSecretKey+`"
}

`+config)
}

// tfRun is one terraform run: its exit code and its output, both streams.
type tfRun struct {
	exit int
	out  string
}

func (w *actionWorkspace) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, w.terraform, append([]string{"-chdir=" + w.dir}, args...)...)
	cmd.Env = w.env
	// Its own process group, as a shell gives a foreground job, so that a
	// Ctrl-C can be sent to terraform alone: the provider is this process.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// run runs terraform to the end; a non-zero exit is not an error.
func (w *actionWorkspace) run(args ...string) tfRun {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(w.t.Context(), 3*time.Minute)
	defer cancel()
	cmd := w.command(ctx, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return tfRun{exit: exit.ExitCode(), out: out.String()}
	case err != nil:
		w.t.Fatalf("terraform %s: %v", strings.Join(args, " "), err)
	}
	return tfRun{out: out.String()}
}

// start starts terraform in the background; its output collects in the
// buffer, which may be read while terraform writes.
func (w *actionWorkspace) start(args ...string) (*exec.Cmd, *emutest.LockedBuffer) {
	w.t.Helper()
	cmd := w.command(w.t.Context(), args...)
	out := &emutest.LockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	return cmd, out
}

// serveForTerraform serves the provider from this process, with the
// package's fast client, until the test ends, and returns the
// TF_REATTACH_PROVIDERS value that points terraform at it.
func serveForTerraform(t *testing.T, rec *invocations, opts ...Option) string {
	t.Helper()
	newServer := NewServer("test", append([]Option{testEnv(t, nil), fastClient}, opts...)...)
	ctx, cancel := context.WithCancel(context.Background())
	configs := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	go func() {
		_ = tf6server.Serve("registry.terraform.io/cvmkit/cvm", func() tfprotov6.ProviderServer {
			s, err := newServer()
			if err != nil {
				panic(err) // NewServer fails only on a schema bug, which every test would show
			}
			withActions, ok := s.(actionProviderServer)
			if !ok {
				panic(fmt.Sprintf("the provider's server (%T) serves no actions", s))
			}
			return recordingServer{actionProviderServer: withActions, rec: rec}
		}, tf6server.WithDebug(ctx, configs, closed), tf6server.WithGoPluginLogger(hclog.NewNullLogger()), tf6server.WithLoggingSink(t))
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
			t.Error("the provider server did not stop")
		}
	})
	var rc *plugin.ReattachConfig
	select {
	case rc = <-configs:
	case <-time.After(10 * time.Second):
		t.Fatal("the provider server did not start")
	}
	type addr struct{ Network, String string }
	b, err := json.Marshal(map[string]any{"registry.terraform.io/cvmkit/cvm": map[string]any{
		"Protocol": string(rc.Protocol), "ProtocolVersion": rc.ProtocolVersion, "Pid": rc.Pid, "Test": true,
		"Addr": addr{Network: rc.Addr.Network(), String: rc.Addr.String()},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// invocations are the diagnostics each InvokeAction completed with.
type invocations struct {
	mu    sync.Mutex
	ended [][]*tfprotov6.Diagnostic
}

func (r *invocations) add(diags []*tfprotov6.Diagnostic) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ended = append(r.ended, diags)
}

// last is how the latest invocation ended; ok is false when none has.
func (r *invocations) last() (diags []*tfprotov6.Diagnostic, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ended) == 0 {
		return nil, false
	}
	return r.ended[len(r.ended)-1], true
}

// recordingServer is the provider's server, recording how invocations end.
type recordingServer struct {
	actionProviderServer
	rec *invocations
}

func (s recordingServer) InvokeAction(ctx context.Context, req *tfprotov6.InvokeActionRequest) (*tfprotov6.InvokeActionServerStream, error) {
	stream, err := s.actionProviderServer.InvokeAction(ctx, req)
	if err != nil || stream == nil {
		return stream, err
	}
	events := stream.Events
	stream.Events = func(yield func(tfprotov6.InvokeActionEvent) bool) {
		for ev := range events {
			if done, ok := ev.Type.(tfprotov6.CompletedInvokeActionEventType); ok {
				s.rec.add(done.Diagnostics)
			}
			if !yield(ev) {
				return
			}
		}
	}
	return stream, nil
}
