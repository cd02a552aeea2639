package e2e

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// Ctrl-C during `terraform plan` on a large, slow listing: terraform exits
// promptly, the provider stops sending requests within a second, and no
// provider process is left behind.
func TestAccCtrlCStopsThePlan(t *testing.T) {
	needTerraform(t)
	cases := []struct {
		name  string
		group bool
	}{
		// A terminal sends SIGINT to the whole foreground process group:
		// terraform and the provider it started.
		{"SIGINT to the process group, as a terminal's Ctrl-C", true},
		{"SIGINT to terraform alone", false},
	}
	if !fullRun() {
		cases = cases[:1]
	}
	var rows []string
	defer func() {
		appendReport(t, "Ctrl-C on `terraform plan` of a 20,000-instance listing (200 pages, 150 ms each)",
			"| signal | terraform exited after | requests at the signal | 1 s later | 3 s later | last request after the signal | provider processes left |\n|---|---:|---:|---:|---:|---:|---:|\n", rows)
	}()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// 20,000 instances, 200 pages at the provider's default 20
			// requests per second, each answered after 150 ms: a read of
			// more than ten seconds.
			e := emutest.Start(t, emulator.Config{
				Credentials: []emulator.Credential{{SecretID: e2eSecretID, SecretKey: e2eSecretKey}},
				Regions:     map[string][]emulator.Instance{e2eRegion: emulator.GenerateInstances(20000, 4)},
				Latency:     150 * time.Millisecond,
			}, emutest.Options{})
			w := newWorkspace(t, e2eProviders+`
provider "cvm" {}

data "cvm_instances_status" "all" {}

output "count" {
  value = length(data.cvm_instances_status.all.instances)
}
`, e2eEnv(e))
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			cmd, out := w.startPlan(ctx)
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()

			deadline := time.Now().Add(30 * time.Second)
			for e.Requests() < 10 {
				if time.Now().After(deadline) {
					t.Fatalf("the plan never started reading:\n%s", out.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			target := cmd.Process.Pid
			if tc.group {
				target = -cmd.Process.Pid
			}
			sentAt := time.Now()
			if err := syscall.Kill(target, syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			atSignal := e.Requests()

			var took time.Duration
			select {
			case waitErr := <-exited:
				took = time.Since(sentAt)
				t.Logf("terraform after SIGINT: %v", waitErr) // an interrupted plan exits non-zero
			case <-time.After(15 * time.Second):
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				t.Fatalf("terraform did not exit within 15 s of SIGINT:\n%s", out.String())
			}
			// The emulator must hear nothing more a second after the signal.
			time.Sleep(max(0, time.Second-time.Since(sentAt)))
			afterOne := e.Requests()
			time.Sleep(2 * time.Second)
			afterThree := e.Requests()
			last := e.LastRequest().Sub(sentAt)
			t.Logf("terraform exited %s after SIGINT; requests: %d at the signal, %d a second later, %d three seconds later; the last arrived %s after the signal",
				took.Round(time.Millisecond), atSignal, afterOne, afterThree, last.Round(time.Millisecond))
			if afterThree != afterOne || last > time.Second {
				t.Errorf("requests went on after SIGINT: the last one arrived %s after it", last)
			}
			if took > 10*time.Second {
				t.Errorf("terraform took %s to exit after SIGINT", took)
			}
			if cmd.ProcessState.ExitCode() == 0 {
				t.Errorf("an interrupted plan exited 0:\n%s", out.String())
			}
			// A terminal's Ctrl-C reaches terraform and the provider at once.
			// The provider ends its read on the signal, so terraform may finish
			// the plan with the provider's "Read Cancelled" before its own
			// handler prints "Interrupt received": either way the user must
			// be told that the run was interrupted, not that it failed.
			if !strings.Contains(out.String(), "Interrupt received") && !strings.Contains(out.String(), "(Terraform was interrupted)") {
				t.Errorf("neither terraform nor the provider reported the interrupt:\n%s", out.String())
			}
			if strings.Contains(out.String(), "panic:") || (strings.Contains(out.String(), "plugin exited") && !strings.Contains(out.String(), "Read Cancelled")) {
				t.Errorf("the provider did not stop cleanly:\n%s", out.String())
			}
			var left []int
			defer func() {
				lastAfter := "none after it"
				if last > 0 {
					lastAfter = last.Round(time.Millisecond).String()
				}
				rows = append(rows, fmt.Sprintf("| %s | %s | %d | %d | %d | %s | %d |", tc.name, took.Round(time.Millisecond), atSignal, afterOne, afterThree, lastAfter, len(left)))
			}()
			for range 50 {
				if left = providerProcesses(); len(left) == 0 {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if len(left) > 0 {
				t.Errorf("provider processes left behind: %v", left)
				for _, pid := range left {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
			t.Logf("terraform said:\n%s", out.String())
		})
	}
}
