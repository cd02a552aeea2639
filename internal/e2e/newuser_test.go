package e2e

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// What a new user meets through real terraform plan, apply and destroy.

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
//
// The signal is sent on an event, not after a delay: between polls, once
// the provider logs that it waits for the next poll (the first poll
// answered, the next due in 2 s); during a request, once the emulator has
// the first request, which it holds for a minute. The emulator's counts
// then say which case happened: one request, answered, for between polls;
// one request, never answered, for during a request.
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
			var requests, answers atomic.Int64
			firstRequest := make(chan struct{})
			var once sync.Once
			e := emutest.Start(t, emulator.Config{
				Credentials: []emulator.Credential{{SecretID: e2eSecretID, SecretKey: e2eSecretKey}},
				Regions:     map[string][]emulator.Instance{e2eRegion: {{InstanceId: "ins-web00001", InstanceState: "STOPPED"}}},
			}, emutest.Options{
				OnRequest: func(int64, *http.Request) {
					requests.Add(1)
					once.Do(func() { close(firstRequest) })
				},
				OnAnswer: func(*http.Request, []byte) { answers.Add(1) },
			})
			if during == "during a request" {
				if err := e.SetFaults(emulator.Faults{Latency: emulator.Duration(time.Minute)}); err != nil {
					t.Fatal(err)
				}
			}
			env := e2eEnv(e)
			env["TF_LOG_PROVIDER"] = "DEBUG" // for the line that says a poll is over
			w := newWorkspace(t, e2eProviders+`
provider "cvm" {}

data "cvm_instances_status" "web" {
  instance_ids    = ["ins-web00001"]
  wait_for_states = ["RUNNING"]
}
`, env)
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			args := []string{tc.command, "-input=false", "-no-color", "-lock=false"}
			if tc.command == "apply" {
				args = append(args, "-auto-approve")
			}
			const waiting = "waiting for instance states:"
			out := newWatchedBuffer(waiting)
			cmd := w.command(ctx, args...)
			cmd.Stdout, cmd.Stderr = out, out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan struct{})
			go func() {
				_ = cmd.Wait()
				close(exited)
			}()
			event := firstRequest
			if during == "between polls" {
				event = out.seen
			}
			select {
			case <-event:
			case <-exited:
				t.Fatalf("terraform %s ended before the wait was %s:\n%s", tc.command, during, out.String())
			}
			sentAt, answeredAt, pollOver := requests.Load(), answers.Load(), strings.Contains(out.String(), waiting)
			if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			<-exited
			text := out.String()
			sent, answered := requests.Load(), answers.Load()
			switch during {
			case "between polls":
				if !pollOver || sentAt != 1 || answeredAt != 1 || sent != 1 {
					t.Fatalf("the signal did not land between the first two polls: when it was sent, the provider had logged the first poll's end: %t, %d requests, %d answered; %d requests in all; want the end logged, 1 request, answered, and no second poll",
						pollOver, sentAt, answeredAt, sent)
				}
			case "during a request":
				if sentAt != 1 || answeredAt != 0 || sent != 1 || answered != 0 || strings.Contains(text, waiting) {
					t.Fatalf("the signal did not land during the first request: when it was sent, %d requests, %d answered; %d requests in all, %d answered; the provider logged a poll's end: %t; want 1 request, never answered",
						sentAt, answeredAt, sent, answered, strings.Contains(text, waiting))
				}
			}
			if !strings.Contains(text, "Error: Read Cancelled") || strings.Contains(text, "Timed Out") {
				t.Fatalf("Ctrl-C during terraform %s, %s: want \"Read Cancelled\" and no timeout:\n%s", tc.command, during, text)
			}
		})
	}
}

// watchedBuffer is an emutest.LockedBuffer that closes seen once what was written
// holds marker.
type watchedBuffer struct {
	emutest.LockedBuffer
	marker string
	seen   chan struct{}
	once   sync.Once
}

func newWatchedBuffer(marker string) *watchedBuffer {
	return &watchedBuffer{marker: marker, seen: make(chan struct{})}
}

func (b *watchedBuffer) Write(p []byte) (int, error) {
	n, err := b.LockedBuffer.Write(p)
	if strings.Contains(b.String(), b.marker) {
		b.once.Do(func() { close(b.seen) })
	}
	return n, err
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
