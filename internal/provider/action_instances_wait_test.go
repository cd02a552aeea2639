package provider

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
)

// The action through the provider's protocol 6 server, as Terraform drives
// it, in process: validation with its diagnostics and paths exactly, and
// invocations against the emulator with their progress events.

// actionRPC is a configured provider server and the action's schema type.
type actionRPC struct {
	srv        actionProviderServer
	actionType tftypes.Type
	dataType   tftypes.Type
}

// newActionRPC serves the provider and configures it against emu (nil: a
// provider that is validated only, never configured).
func newActionRPC(t *testing.T, emu *emulator.Server, opts ...Option) actionRPC {
	t.Helper()
	served, err := NewServer("test", append([]Option{testEnv(t, nil), fastClient}, opts...)...)()
	if err != nil {
		t.Fatal(err)
	}
	srv, ok := served.(actionProviderServer)
	if !ok {
		t.Fatalf("the provider's server (%T) serves no actions: Terraform 1.14 could not invoke them", served)
	}
	schemas, err := srv.GetProviderSchema(t.Context(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(schemas.Diagnostics) > 0 {
		t.Fatalf("GetProviderSchema: %v %v", err, schemas.Diagnostics)
	}
	a, ok := schemas.ActionSchemas["cvm_instances_wait"]
	if !ok {
		t.Fatal("the provider serves no cvm_instances_wait action")
	}
	r := actionRPC{srv: srv, actionType: a.Schema.ValueType(), dataType: schemas.DataSourceSchemas["cvm_instances_status"].ValueType()}
	if emu != nil {
		pv := dynamic(t, schemas.Provider.ValueType(), map[string]any{
			"endpoint": emu.URL(), "region": DefaultRegion, "secret_id": accSecretID, "secret_key": accSecretKey,
		})
		cp, err := srv.ConfigureProvider(t.Context(), &tfprotov6.ConfigureProviderRequest{Config: pv, TerraformVersion: "1.15.0"})
		if err != nil || len(cp.Diagnostics) > 0 {
			t.Fatalf("ConfigureProvider: %v %v", err, rpcOutcome{diags: cp.Diagnostics})
		}
	}
	return r
}

func (r actionRPC) validate(t *testing.T, cfg map[string]any) []*tfprotov6.Diagnostic {
	t.Helper()
	resp, err := r.srv.ValidateActionConfig(t.Context(), &tfprotov6.ValidateActionConfigRequest{ActionType: "cvm_instances_wait", Config: dynamic(t, r.actionType, cfg)})
	if err != nil {
		t.Fatal(err)
	}
	return resp.Diagnostics
}

// invoke runs the action with cfg and returns its progress messages and
// the diagnostics of its completion.
func (r actionRPC) invoke(ctx context.Context, t *testing.T, cfg map[string]any) ([]string, []*tfprotov6.Diagnostic) {
	t.Helper()
	stream, err := r.srv.InvokeAction(ctx, &tfprotov6.InvokeActionRequest{ActionType: "cvm_instances_wait", Config: dynamic(t, r.actionType, cfg)})
	if err != nil {
		t.Fatal(err)
	}
	var progress []string
	var diags []*tfprotov6.Diagnostic
	for ev := range stream.Events {
		switch e := ev.Type.(type) {
		case tfprotov6.ProgressInvokeActionEventType:
			progress = append(progress, e.Message)
		case tfprotov6.CompletedInvokeActionEventType:
			diags = e.Diagnostics
		}
	}
	return progress, diags
}

// The action refuses at validate what the data source refuses, with the
// same diagnostic: one rule, one message, wherever it is written.
func TestActionValidatesAsTheDataSource(t *testing.T) {
	t.Parallel()
	r := newActionRPC(t, nil)
	ids := []any{"ins-aaaaaaaa"}
	for _, c := range []struct {
		name string
		cfg  map[string]any // both the action's and the data source's
		// dataCfg overrides cfg for the data source, where it names
		// attributes differently (timeouts.read).
		dataCfg map[string]any
		attr    string
	}{
		{name: "malformed ID", cfg: map[string]any{"instance_ids": []any{"ins-aaaaaaaa", "ins-1122"}}, attr: "instance_ids[1]"},
		{name: "upper-case ID", cfg: map[string]any{"instance_ids": []any{"INS-R8HR2UPY"}}, attr: "instance_ids[0]"},
		{name: "misspelt state", cfg: map[string]any{"instance_ids": ids, "wait_for_states": []any{"RUNING"}}, attr: "wait_for_states[0]"},
		{name: "empty states", cfg: map[string]any{"instance_ids": ids, "wait_for_states": []any{}}, attr: "wait_for_states"},
		{name: "bad region", cfg: map[string]any{"instance_ids": ids, "region": "Guangzhou"}, attr: "region"},
		{name: "stable for without unit", cfg: map[string]any{"instance_ids": ids, "wait_for_states": []any{"RUNNING"}, "wait_stable_for": "10"}, attr: "wait_stable_for"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := r.validate(t, c.cfg)
			dataCfg := c.dataCfg
			if dataCfg == nil {
				dataCfg = c.cfg
			}
			dv, err := r.srv.ValidateDataResourceConfig(t.Context(), &tfprotov6.ValidateDataResourceConfigRequest{TypeName: "cvm_instances_status", Config: dynamic(t, r.dataType, dataCfg)})
			if err != nil {
				t.Fatal(err)
			}
			want := dv.Diagnostics
			if len(got) != 1 || len(want) != 1 {
				t.Fatalf("action: %v\ndata source: %v", rpcOutcome{diags: got}, rpcOutcome{diags: want})
			}
			if got[0].Summary != want[0].Summary || got[0].Detail != want[0].Detail || attrPath(got[0].Attribute) != c.attr {
				t.Errorf("action: %v\ndata source: %v\nwant at %s", rpcOutcome{diags: got}, rpcOutcome{diags: want}, c.attr)
			}
		})
	}
}

// The action's own rules: what it requires, include's words, readiness
// beside other states, and wait_stable_for against its timeout.
func TestActionValidation(t *testing.T) {
	t.Parallel()
	r := newActionRPC(t, nil)
	ids := []any{"ins-aaaaaaaa"}
	for _, c := range []struct {
		name string
		cfg  map[string]any
		attr string   // "" with want nil: accepted
		want []string // in the error's summary and detail
	}{
		{name: "minimal", cfg: map[string]any{"instance_ids": ids}},
		{name: "everything", cfg: map[string]any{"instance_ids": ids, "region": "ap-shanghai", "wait_stable_for": "10s", "wait_for_ready": true,
			"include": []any{"agent", "operation", "restriction", "maintenance"}, "timeout": "5m"}},
		{name: "ready with RUNNING", cfg: map[string]any{"instance_ids": ids, "wait_for_ready": true, "wait_for_states": []any{"RUNNING"}}},
		{name: "unknown IDs", cfg: map[string]any{"instance_ids": unknown, "timeout": unknown, "wait_stable_for": "1h"}},
		{name: "no IDs", cfg: map[string]any{"instance_ids": []any{}}, attr: "instance_ids", want: []string{"at least 1"}},
		{name: "misspelt check", cfg: map[string]any{"instance_ids": ids, "wait_for_ready": true, "include": []any{"agnet"}}, attr: "include",
			want: []string{"Invalid Readiness Check", `"agnet" (did you mean "agent"?) is not a readiness check`, `The checks are "operation" (`, `"agent" (the TAT agent is online; tat:DescribeAutomationAgentStatus)`}},
		{name: "upper-case check", cfg: map[string]any{"instance_ids": ids, "wait_for_ready": true, "include": []any{"Agent"}}, attr: "include",
			want: []string{`"Agent" (did you mean "agent"?) is not a readiness check`}},
		{name: "include without wait_for_ready", cfg: map[string]any{"instance_ids": ids, "include": []any{"agent"}}, attr: "include",
			want: []string{"Include Without Wait For Ready", "set wait_for_ready = true", "or remove include"}},
		{name: "ready with STOPPED", cfg: map[string]any{"instance_ids": ids, "wait_for_ready": true, "wait_for_states": []any{"RUNNING", "STOPPED"}}, attr: "wait_for_states",
			want: []string{"Wait For Ready With Other States", `wait_for_ready = true`, `wait_for_states = ["RUNNING", "STOPPED"]`, "Remove wait_for_states", "remove wait_for_ready"}},
		{name: "stable for longer than timeout", cfg: map[string]any{"instance_ids": ids, "wait_stable_for": "30s", "timeout": "10s"}, attr: "wait_stable_for",
			want: []string{"Wait Stable For Longer Than The Timeout", `wait_stable_for = "30s" cannot fit in timeout = "10s"`, "Lower wait_stable_for below 10s, or raise timeout well above 30s"}},
		{name: "stable for longer than the default timeout", cfg: map[string]any{"instance_ids": ids, "wait_stable_for": "30m"}, attr: "wait_stable_for",
			want: []string{`cannot fit in timeout = 20m (the default of timeout)`}},
		{name: "timeout without unit", cfg: map[string]any{"instance_ids": ids, "timeout": "20"}, attr: "timeout",
			want: []string{"Invalid Timeout", `"20" has no unit: write "20s" for 20 seconds or "20m" for 20 minutes`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			diags := r.validate(t, c.cfg)
			if c.want == nil {
				if len(diags) > 0 {
					t.Fatalf("refused:%v", rpcOutcome{diags: diags})
				}
				return
			}
			if len(diags) != 1 || diags[0].Severity != tfprotov6.DiagnosticSeverityError || attrPath(diags[0].Attribute) != c.attr {
				t.Fatalf("want one error at %s, got:%v", c.attr, rpcOutcome{diags: diags})
			}
			for _, w := range c.want {
				if !strings.Contains(diags[0].Summary+": "+diags[0].Detail, w) {
					t.Errorf("missing %q in:%v", w, rpcOutcome{diags: diags})
				}
			}
		})
	}
}

// An invocation waits through STARTING → RUNNING, says so along the way,
// and ends with the final message and no diagnostic; a wait that cannot
// finish fails with the data source's message, worded for the action.
func TestActionInvoke(t *testing.T) {
	t.Parallel()
	emu := emulatorWith(t, seeded(
		inst("ins-aaaaaaaa", "RUNNING"),
		inst("ins-bbbbbbbb", "STARTING", emulator.Transition{After: emulator.Duration(1500 * time.Millisecond), InstanceState: "RUNNING"}),
		inst("ins-cccccccc", "LAUNCH_FAILED"),
	))
	r := newActionRPC(t, emu)
	t.Run("through STARTING", func(t *testing.T) {
		progress, diags := r.invoke(t.Context(), t, map[string]any{"instance_ids": []any{"ins-aaaaaaaa", "ins-bbbbbbbb"}})
		if len(diags) > 0 {
			t.Fatalf("failed:%v", rpcOutcome{diags: diags})
		}
		if len(progress) < 2 || !strings.HasPrefix(progress[0], "1 of 2 RUNNING, 1 STARTING; waiting on ins-bbbbbbbb (STARTING); ") ||
			progress[len(progress)-1] != "all 2 RUNNING" {
			t.Errorf("progress: %q", progress)
		}
	})
	t.Run("cannot finish", func(t *testing.T) {
		_, diags := r.invoke(t.Context(), t, map[string]any{"instance_ids": []any{"ins-aaaaaaaa", "ins-cccccccc"}})
		if len(diags) != 1 || diags[0].Summary != "Instances Cannot Reach The Wanted State" ||
			!strings.Contains(diags[0].Detail, "Stopped waiting in ap-guangzhou: instances cannot reach RUNNING: ins-cccccccc (LAUNCH_FAILED).") ||
			strings.Contains(diags[0].Detail, "destroy") {
			t.Errorf("diagnostics:%v", rpcOutcome{diags: diags})
		}
	})
	t.Run("timeout", func(t *testing.T) {
		_, diags := r.invoke(t.Context(), t, map[string]any{"instance_ids": []any{"ins-bbbbbbbb"}, "wait_for_states": []any{"STOPPED"}, "timeout": "1s"})
		if len(diags) != 1 || diags[0].Summary != "Timed Out Waiting For Instance States" ||
			!strings.Contains(diags[0].Detail, "After 1s (timeout) in ap-guangzhou, timed out waiting for instances to reach STOPPED: ins-bbbbbbbb (RUNNING).") ||
			!strings.Contains(diags[0].Detail, "Raise timeout if") {
			t.Errorf("diagnostics:%v", rpcOutcome{diags: diags})
		}
	})
}

// Terraform's stop request, and the user's Ctrl-C that reaches the
// provider, end the wait as cancelled.
func TestActionInvokeInterrupted(t *testing.T) {
	t.Parallel()
	emu := emulatorWith(t, seeded(inst("ins-aaaaaaaa", "STOPPED")))
	interrupt, press := context.WithCancel(t.Context())
	r := newActionRPC(t, emu, WithInterrupt(interrupt))
	time.AfterFunc(500*time.Millisecond, press)
	_, diags := r.invoke(t.Context(), t, map[string]any{"instance_ids": []any{"ins-aaaaaaaa"}})
	if len(diags) != 1 || diags[0].Summary != "Wait Cancelled" ||
		!strings.Contains(diags[0].Detail, "Waiting for instance states in ap-guangzhou was cancelled before it finished (Terraform was interrupted).") ||
		!strings.Contains(diags[0].Detail, "not there yet: ins-aaaaaaaa (STOPPED)") {
		t.Errorf("diagnostics:%v", rpcOutcome{diags: diags})
	}
}
