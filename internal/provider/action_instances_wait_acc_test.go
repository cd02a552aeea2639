package provider

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
)

// The action through Terraform 1.15 (CVM_ACC_TERRAFORM_ACTIONS): each
// terraform run costs seconds, so each test combines the cases of one
// configuration. Transitions are loaded (SetInstances) just before the run
// they are for, so that they count from its start, not from init's.

// progressLine matches one progress message of the action NAME, as the
// CLI prints it.
func progressLine(name, trigger, message string) string {
	return fmt.Sprintf("Action action.cvm_instances_wait.%s (triggered by %s): %s", name, trigger, message)
}

func setInstances(t *testing.T, emu *emulator.Server, instances ...emulator.Instance) {
	t.Helper()
	if err := emu.SetInstances(seeded(instances...)); err != nil {
		t.Fatal(err)
	}
}

// `terraform apply -invoke`, as a CI gate runs it: it waits through a
// STARTING → RUNNING transition, shows the wait's progress and ends with
// the final message; a Ctrl-C while it waits ends it as cancelled.
func TestAccActionInvoke(t *testing.T) {
	t.Parallel()
	emu := emulatorWith(t, nil)
	w := newActionWorkspace(t, emu, `
action "cvm_instances_wait" "web" {
  config {
    instance_ids = ["ins-aaaaaaaa", "ins-bbbbbbbb"]
  }
}

action "cvm_instances_wait" "stopped" {
  config {
    instance_ids = ["ins-cccccccc"]
    timeout      = "5m"
  }
}
`)
	setInstances(t, emu,
		inst("ins-aaaaaaaa", "RUNNING"),
		inst("ins-bbbbbbbb", "STARTING", emulator.Transition{After: emulator.Duration(2500 * time.Millisecond), InstanceState: "RUNNING"}),
		inst("ins-cccccccc", "STOPPED"),
	)
	r := w.run("apply", "-auto-approve", "-input=false", "-no-color", "-invoke=action.cvm_instances_wait.web")
	if r.exit != 0 {
		t.Fatalf("terraform apply -invoke exited %d:\n%s", r.exit, r.out)
	}
	first := strings.Index(r.out, progressLine("web", "CLI", "1 of 2 RUNNING, 1 STARTING; waiting on ins-bbbbbbbb (STARTING); 20m left"))
	final := strings.Index(r.out, progressLine("web", "CLI", "all 2 RUNNING\n"))
	if first < 0 || final < first || !strings.Contains(r.out, "Actions: 1 invoked.") {
		t.Errorf("want a progress line, then the final one, then success:\n%s", r.out)
	}

	// Ctrl-C while it waits: terraform asks the provider to stop, and the
	// wait ends at once, as cancelled. What Terraform 1.15.0 shows then is
	// a race of its own: either the action's "Wait Cancelled" error and
	// exit status 1, or "Apply complete!" and exit status 0, the action's
	// answer dropped. So what the provider answered is checked where it
	// answers, and Terraform's rendering of it when it shows one.
	cmd, out := w.start("apply", "-auto-approve", "-input=false", "-no-color", "-invoke=action.cvm_instances_wait.stopped")
	waitFor(t, out.String, progressLine("stopped", "CLI", "0 of 1 RUNNING, 1 STOPPED"))
	interrupted := time.Now()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	exit := cmd.Wait()
	if took := time.Since(interrupted); took > 30*time.Second || !strings.Contains(out.String(), "Interrupt received.") {
		t.Errorf("Ctrl-C: terraform took %s to end:\n%s", took, out.String())
	}
	if exit != nil && !strings.Contains(out.String(), "Action failed: action.cvm_instances_wait.stopped (triggered by CLI) - Wait Cancelled: Waiting for instance states in ap-guangzhou was cancelled") {
		t.Errorf("Ctrl-C: terraform failed (%v) without the action's error:\n%s", exit, out.String())
	}
	diags, ended := w.invocations.last()
	if !ended || len(diags) != 1 || diags[0].Summary != "Wait Cancelled" ||
		!strings.Contains(diags[0].Detail, "Waiting for instance states in ap-guangzhou was cancelled before it finished (Terraform was interrupted).") ||
		!strings.Contains(diags[0].Detail, "not there yet: ins-cccccccc (STOPPED)") {
		t.Errorf("Ctrl-C: the invocation ended (%v) with:%v", ended, rpcOutcome{diags: diags})
	}
}

// waitFor waits, up to a minute, until text() contains want.
func waitFor(t *testing.T, text func() string, want string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(text(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q within a minute:\n%s", want, text())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// An action_trigger after_create runs the action once, when the resource is
// created; a plan with no change runs nothing; after_update on a change
// runs it again, and a wait that cannot finish fails the apply with the
// wait's message. The configuration is examples/actions'.
func TestAccActionTrigger(t *testing.T) {
	t.Parallel()
	emu := emulatorWith(t, nil)
	// The example, unchanged, so that it cannot rot.
	example, err := os.ReadFile("../../examples/actions/cvm_instances_wait/action.tf")
	if err != nil {
		t.Fatal(err)
	}
	w := newActionWorkspace(t, emu, string(example))
	requests := func() int64 { return emu.Stats().ByAction["DescribeInstancesStatus"] }
	vars := func(release string, ids ...string) []string {
		return []string{"-var=release=" + release, "-var=instance_ids=" + hclList(ids)}
	}
	setInstances(t, emu,
		inst("ins-aaaaaaaa", "RUNNING"),
		inst("ins-bbbbbbbb", "STARTING", emulator.Transition{After: emulator.Duration(1500 * time.Millisecond), InstanceState: "RUNNING"}),
		inst("ins-cccccccc", "LAUNCH_FAILED"),
	)
	r := w.run(append([]string{"apply", "-auto-approve", "-input=false", "-no-color"}, vars("r1", "ins-aaaaaaaa", "ins-bbbbbbbb")...)...)
	if r.exit != 0 {
		t.Fatalf("create: terraform apply exited %d:\n%s", r.exit, r.out)
	}
	if n := strings.Count(r.out, "Action started: action.cvm_instances_wait.web (triggered by terraform_data.web)"); n != 1 ||
		!strings.Contains(r.out, progressLine("web", "terraform_data.web", "all 2 RUNNING")) {
		t.Errorf("create: want the action run once, to the end:\n%s", r.out)
	}

	before := requests()
	r = w.run(append([]string{"plan", "-detailed-exitcode", "-input=false", "-no-color"}, vars("r1", "ins-aaaaaaaa", "ins-bbbbbbbb")...)...)
	if r.exit != 0 || strings.Contains(r.out, "Action") || requests() != before {
		t.Errorf("no change: plan exited %d (want 0, no change) with %d requests (want none):\n%s", r.exit, requests()-before, r.out)
	}

	r = w.run(append([]string{"apply", "-auto-approve", "-input=false", "-no-color"}, vars("r2", "ins-aaaaaaaa", "ins-cccccccc")...)...)
	if r.exit == 0 || !regexp.MustCompile(`(?s)Instances Cannot Reach The Wanted State.*Stopped waiting in ap-guangzhou: instances cannot reach\s+RUNNING: ins-cccccccc\s+\(LAUNCH_FAILED\)`).MatchString(r.out) {
		t.Errorf("update: want the apply failed with the wait's message:\n%s", r.out)
	}
}

// wait_for_ready with include = ["agent"] waits until the instance's TAT
// agent comes online, giving the reason while it waits.
func TestAccActionWaitForReady(t *testing.T) {
	t.Parallel()
	emu := emulatorWith(t, nil)
	w := newActionWorkspace(t, emu, `
action "cvm_instances_wait" "agent" {
  config {
    instance_ids   = ["ins-aaaaaaaa"]
    wait_for_ready = true
    include        = ["agent"]
  }
}
`)
	offline := inst("ins-aaaaaaaa", "RUNNING", emulator.Transition{After: emulator.Duration(3 * time.Second), Readiness: emulator.Readiness{Agent: &emulator.Agent{AgentStatus: "Online"}}})
	offline.Agent = &emulator.Agent{AgentStatus: "Offline"}
	setInstances(t, emu, offline)
	r := w.run("apply", "-auto-approve", "-input=false", "-no-color", "-invoke=action.cvm_instances_wait.agent")
	if r.exit != 0 {
		t.Fatalf("terraform apply -invoke exited %d:\n%s", r.exit, r.out)
	}
	if polls := emu.Stats().ByAction["DescribeAutomationAgentStatus"]; polls < 2 {
		t.Errorf("TAT was asked %d times: want a poll that saw the agent offline and one that saw it online", polls)
	}
	waiting := strings.Index(r.out, progressLine("agent", "CLI", "0 of 1 ready, 1 RUNNING; waiting on ins-aaaaaaaa (RUNNING: TAT agent Offline)"))
	final := strings.Index(r.out, progressLine("agent", "CLI", "all 1 ready\n"))
	if waiting < 0 || final < waiting {
		t.Errorf("want the agent waited for, with its reason, then the final message:\n%s", r.out)
	}
}
