package e2e

import (
	"context"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// What a new user meets through real terraform plan, apply and destroy.

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

// A read deferred to apply (its IDs come from a resource) fills region, and
// a resource that uses region applies: region is computed as well as
// optional, so its planned unknown may become the provider's region.
func TestAccDeferredReadFillsRegion(t *testing.T) {
	t.Parallel()
	e := startE2E(t, emulator.Instance{InstanceId: "ins-web00001", InstanceState: "RUNNING"})
	w := newWorkspace(t, e2eProviders+`
provider "cvm" {}

resource "terraform_data" "ids" {
  input = ["ins-web00001"]
}

data "cvm_instances_status" "u" {
  instance_ids = terraform_data.ids.output
}

resource "terraform_data" "uses_region" {
  input = data.cvm_instances_status.u.region
}

output "region" {
  value = terraform_data.uses_region.output
}
`, e2eEnv(e))
	mustSucceed(t, w.terraform("apply", "-auto-approve", "-no-color", "-lock=false"), "terraform apply")
	out := w.terraform("output", "-raw", "region")
	if strings.TrimSpace(out.stdout) != e2eRegion {
		t.Fatalf("region output %q, want %s", out.stdout, e2eRegion)
	}
	mustSucceed(t, w.terraform("plan", "-detailed-exitcode", "-no-color", "-lock=false"), "a second plan (no changes)")
}

// `terraform destroy` refreshes data sources: a wait on instances that are
// terminating fails fast and says how to destroy without the read, and
// -refresh=false destroys without a request.
func TestAccDestroyWithAWaitOnTerminatingInstances(t *testing.T) {
	t.Parallel()
	e := startE2E(t, emulator.Instance{InstanceId: "ins-web00001", InstanceState: "RUNNING"})
	w := newWorkspace(t, e2eProviders+`
provider "cvm" {}

data "cvm_instances_status" "web" {
  instance_ids    = ["ins-web00001"]
  wait_for_states = ["RUNNING"]
}

resource "terraform_data" "release" {
  input = data.cvm_instances_status.web.states
}
`, e2eEnv(e))
	mustSucceed(t, w.terraform("apply", "-auto-approve", "-no-color", "-lock=false"), "terraform apply")
	if err := e.SetInstances(map[string][]emulator.Instance{e2eRegion: {{InstanceId: "ins-web00001", InstanceState: "TERMINATING"}}}); err != nil {
		t.Fatal(err)
	}
	destroy := w.terraform("destroy", "-auto-approve", "-no-color", "-lock=false")
	if destroy.exit == 0 {
		t.Fatalf("destroy succeeded while the wait cannot:\n%s", destroy.output())
	}
	for _, want := range []string{"Instances Cannot Reach The Wanted State", "ins-web00001", "(TERMINATING)", "terraform destroy -refresh=false"} {
		if !strings.Contains(destroy.output(), want) {
			t.Errorf("destroy's error does not say %q:\n%s", want, destroy.output())
		}
	}
	before := e.Requests()
	mustSucceed(t, w.terraform("destroy", "-refresh=false", "-auto-approve", "-no-color", "-lock=false"), "terraform destroy -refresh=false")
	if got := e.Requests() - before; got != 0 {
		t.Errorf("destroy -refresh=false sent %d requests, want none", got)
	}
}

// Ctrl-C while a plan waits for instance states says the read was
// cancelled, whether the signal lands between polls or during a request,
// never that it timed out. In `terraform apply`, Terraform does not tell
// providers to stop while it plans; the terminal's SIGINT, which reaches
// the provider too, must stop the wait all the same.
func TestAccCtrlCDuringAWaitSaysCancelled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ during, command string }{
		{"between polls", "plan"},
		{"during a request", "plan"},
		{"between polls", "apply"},
	} {
		during := tc.during
		t.Run(tc.command+" "+during, func(t *testing.T) {
			t.Parallel()
			e := startE2E(t, emulator.Instance{InstanceId: "ins-web00001", InstanceState: "STOPPED"})
			if during == "during a request" {
				if err := e.SetFaults(emulator.Faults{Latency: emulator.Duration(time.Minute)}); err != nil {
					t.Fatal(err)
				}
			}
			w := newWorkspace(t, e2eProviders+`
provider "cvm" {}

data "cvm_instances_status" "web" {
  instance_ids    = ["ins-web00001"]
  wait_for_states = ["RUNNING"]
}
`, e2eEnv(e))
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			args := []string{tc.command, "-input=false", "-no-color", "-lock=false"}
			if tc.command == "apply" {
				args = append(args, "-auto-approve")
			}
			cmd, out := w.start(ctx, args...)
			for e.Requests() < 1 {
				if ctx.Err() != nil {
					t.Fatalf("terraform %s never read:\n%s", tc.command, out.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(200 * time.Millisecond) // in the sleep after the first poll, or in the slow request
			if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			text := out.String()
			if !strings.Contains(text, "Read Cancelled") || strings.Contains(text, "Timed Out") {
				t.Fatalf("Ctrl-C during terraform %s, %s: want \"Read Cancelled\" and no timeout:\n%s", tc.command, during, text)
			}
		})
	}
}

// Terraform validates a configuration twice per plan; the duplicate-ID
// warning is given once.
func TestAccDuplicateIDWarningOncePerPlan(t *testing.T) {
	t.Parallel()
	e := startE2E(t, emulator.Instance{InstanceId: "ins-web00001", InstanceState: "RUNNING"})
	w := newWorkspace(t, e2eProviders+`
provider "cvm" {}

data "cvm_instances_status" "web" {
  instance_ids = ["ins-web00001", "ins-web00001"]
}
`, e2eEnv(e))
	plan := w.terraform("plan", "-no-color", "-lock=false")
	mustSucceed(t, plan, "terraform plan")
	if n := strings.Count(plan.output(), "Duplicate Instance IDs"); n != 1 {
		t.Fatalf("the warning appears %d times, want once:\n%s", n, plan.output())
	}
}

// TF_LOG_PROVIDER=DEBUG shows each request and each poll of a wait on one
// line whose fields are always in the same order, and the poll names the
// instances it waits for.
func TestAccDebugLogLinesReadInOrder(t *testing.T) {
	t.Parallel()
	// The instance stays STOPPED: the plan polls until timeouts.read ends it,
	// whatever the machine's load.
	e := startE2E(t, emulator.Instance{InstanceId: "ins-web00001", InstanceState: "STOPPED"})
	env := e2eEnv(e)
	env["TF_LOG_PROVIDER"] = "DEBUG"
	w := newWorkspace(t, e2eProviders+`
provider "cvm" {}

data "cvm_instances_status" "web" {
  instance_ids    = ["ins-web00001"]
  wait_for_states = ["RUNNING"]
  timeouts {
    read = "3s"
  }
}
`, env)
	plan := w.terraform("plan", "-no-color", "-lock=false")
	if !strings.Contains(plan.output(), "Timed Out Waiting For Instance States") {
		t.Fatalf("the plan did not wait until timeouts.read:\n%s", plan.output())
	}
	for _, re := range []string{
		`CVM API request: action=DescribeInstancesStatus region=ap-guangzhou offset=0 limit=1 instance_id_count=1 attempt=1 latency_ms=\d+ code=Success request_id=[0-9a-f-]{36}`,
		`waiting for instance states: region=ap-guangzhou wanted=\[RUNNING\] not_ready=1 instances=ins-web00001 \(STOPPED\) next_poll_ms=\d+`,
	} {
		if !regexp.MustCompile(re).MatchString(plan.output()) {
			t.Errorf("no log line matches %s:\n%s", re, plan.output())
		}
	}
}
