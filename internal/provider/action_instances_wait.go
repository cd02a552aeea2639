package provider

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
)

var (
	_ action.Action                   = (*instancesWaitAction)(nil)
	_ action.ActionWithConfigure      = (*instancesWaitAction)(nil)
	_ action.ActionWithValidateConfig = (*instancesWaitAction)(nil)
)

// newInstancesWaitAction returns the cvm_instances_wait action.
func newInstancesWaitAction() action.Action {
	return &instancesWaitAction{}
}

// instancesWaitAction waits, once, for instances to reach states (or
// readiness), with progress messages: the data source's wait
// (cvm.Client.WaitForStates, the one implementation of it) run as a
// Terraform action, after a resource is created or updated, or by hand with
// `terraform apply -invoke`. Terraform before 1.14 and OpenTofu have no
// actions; there the provider works as ever and this action is unavailable.
type instancesWaitAction struct {
	data *providerData // nil until the provider is configured
}

type instancesWaitModel struct {
	InstanceIDs   types.List   `tfsdk:"instance_ids"`
	Region        types.String `tfsdk:"region"`
	WaitForStates types.List   `tfsdk:"wait_for_states"`
	WaitStableFor types.String `tfsdk:"wait_stable_for"`
	WaitForReady  types.Bool   `tfsdk:"wait_for_ready"`
	Include       types.Set    `tfsdk:"include"`
	Timeout       types.String `tfsdk:"timeout"`
}

func (a *instancesWaitAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_instances_wait"
}

func (a *instancesWaitAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	stateList := "`" + strings.Join(cvm.States, "`, `") + "`"
	checkList := "`" + strings.Join(includeWords, "`, `") + "`"
	resp.Schema = schema.Schema{
		MarkdownDescription: "Waits until CVM instances are in the wanted states (by default `RUNNING`), or ready, and shows how it goes: " +
			"counts per state, the instances still waited on, and the time left, at each poll where something changed and at least every 10 seconds " +
			"(never more than once a second). It is the `cvm_instances_status` data source's wait, run once, when a resource's " +
			"`action_trigger` fires (`after_create`, `after_update`) or by hand with `terraform apply -invoke=action.cvm_instances_wait.NAME`, " +
			"instead of on every plan. It succeeds silently after a final \"all N RUNNING\" message, or fails with the data source's wait error. " +
			"Actions need Terraform 1.14 or later; OpenTofu and older Terraform do not have them, and the provider works there without this action.",
		Attributes: map[string]schema.Attribute{
			"instance_ids": schema.ListAttribute{
				MarkdownDescription: "IDs of the instances to wait for, each `ins-` followed by 8 lowercase letters or digits; at least one. Duplicates are waited for once.",
				ElementType:         types.StringType,
				Required:            true,
				Validators:          []validator.List{listvalidator.SizeAtLeast(1), instanceIDs},
			},
			"region": schema.StringAttribute{
				MarkdownDescription: "Region of the instances. Defaults to the provider's region.",
				Optional:            true,
				Validators:          []validator.String{regionRule},
			},
			"wait_for_states": schema.ListAttribute{
				MarkdownDescription: "Wait until every instance is in one of these states. Default `[\"RUNNING\"]`. " +
					"The action fails at once when an instance is in a state that cannot lead to any of them " +
					"(for example `LAUNCH_FAILED`, `TERMINATING` or `SHUTDOWN` when waiting for `RUNNING`) or was found and is gone; " +
					fmt.Sprintf("when an ID has not been found after two polls and %s (mistyped, or in another region); ", cvm.DefaultMissingGrace) +
					"and when `timeout` runs out, naming the instances that are not there yet and their states. States: " + stateList + ".",
				ElementType: types.StringType,
				Optional:    true,
				Validators:  []validator.List{listvalidator.SizeAtLeast(1), instanceStates},
			},
			"wait_stable_for": schema.StringAttribute{
				MarkdownDescription: "How long each instance must have been seen in the same wanted state, on consecutive polls, before the wait ends; " +
					"a change in between starts that instance's clock again. Default `\"0s\"`. Right after `StartInstances`, `StopInstances` or `RebootInstances` " +
					"the service can still report the old state for a moment: a few seconds, such as `\"10s\"`, wait that out.",
				Optional:   true,
				Validators: []validator.String{stableForRange},
			},
			"wait_for_ready": schema.BoolAttribute{
				MarkdownDescription: "Wait until every instance is ready: `RUNNING`, and nothing the `include` checks read stands in the way. " +
					"`wait_for_states` must then be left out or `[\"RUNNING\"]`. Progress messages give the reasons an instance is not ready yet. Default `false`.",
				Optional: true,
			},
			"include": schema.SetAttribute{
				MarkdownDescription: "With `wait_for_ready`, and only with it: the readiness checks each poll reads beyond the state, " + checkList + ". " +
					"`operation` and `restriction` read `DescribeInstances` (`cvm:DescribeInstances`), `maintenance` reads `DescribeTaskInfo` (`cvm:DescribeTaskInfo`), " +
					"`agent` reads the TAT agent's status (`tat:DescribeAutomationAgentStatus`). Default: none.",
				ElementType: types.StringType,
				Optional:    true,
				Validators:  []validator.Set{includeChecks},
			},
			"timeout": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("How long the whole wait may take, every retry included, as %s. Default `\"%s\"`.",
					readTimeoutRange, short(defaultReadTimeout)),
				Optional:   true,
				Validators: []validator.String{readTimeoutRange},
			},
		},
	}
}

func (a *instancesWaitAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	a.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

// ValidateConfig checks what no single attribute's validator can, with the
// data source's rules and messages: wait_stable_for must fit in timeout,
// and wait_for_ready waits for RUNNING only.
func (a *instancesWaitAction) ValidateConfig(ctx context.Context, req action.ValidateConfigRequest, resp *action.ValidateConfigResponse) {
	var m instancesWaitModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	validateInstancesWait(&resp.Diagnostics, m)
}

// validateInstancesWait is ValidateConfig's rules, checked again at Invoke
// for the values that were unknown at validate.
func validateInstancesWait(diags *diag.Diagnostics, m instancesWaitModel) {
	checkStableFits(diags, m.WaitStableFor, m.Timeout, actionLimit)
	checkReadyWithStates(diags, m.WaitForReady, m.WaitForStates)
	checkIncludeNeedsReady(diags, m.WaitForReady, m.Include)
}

func (a *instancesWaitAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m instancesWaitModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	data := a.data
	if data == nil {
		resp.Diagnostics.AddError("Provider Not Configured", "The cvm provider was not configured before this action was invoked. This is a bug in the provider; please report it.")
		return
	}
	rc, ids, wait := a.settings(ctx, data, m, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := boundedContext(ctx, data, rc.timeout)
	defer cancel()
	tflog.Debug(ctx, "waiting for instances", map[string]any{"region": rc.region, "instances": len(ids), "wanted": wait.States, "ready": wait.Ready})

	// SendProgress blocks until Terraform takes the message, and the
	// framework stops taking them once the stream to Terraform has failed;
	// a wait must not hang on a message nobody reads, so a send gives up
	// when ctx ends (the stream's context ends with the stream).
	send := func(msg string) {
		sent := make(chan struct{})
		go func() {
			defer close(sent)
			resp.SendProgress(action.InvokeProgressEvent{Message: msg})
		}()
		select {
		case <-sent:
		case <-ctx.Done():
		}
	}
	progress := newProgressReporter(send, time.Now, rc.timeout, wait)
	wait.OnPoll = progress.poll

	// Between polls (up to 30 s apart), a ticker lets the reporter send
	// what a throttled poll could not and say the time left. It ends
	// before Invoke returns: the framework closes the progress stream then.
	ticking, stopTicking := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(progressMinGap)
		defer t.Stop()
		for {
			select {
			case <-ticking.Done():
				return
			case <-t.C:
				progress.tick()
			}
		}
	})
	_, err := data.client.WaitForStates(ctx, rc.region, ids, wait)
	stopTicking()
	wg.Wait()
	if err != nil {
		progress.stop()
		addReadError(&resp.Diagnostics, rc, err)
		return
	}
	msg, delay := progress.done()
	if delay > 0 {
		// At most one message a second, the last one included.
		select {
		case <-ctx.Done():
		case <-time.After(delay):
		}
	}
	send(msg)
}

// settings turns the configuration into the wait's settings, the action's
// defaults filled in. Validation has checked every value; an error here is a
// value that was unknown at validate.
func (a *instancesWaitAction) settings(ctx context.Context, data *providerData, m instancesWaitModel, diags *diag.Diagnostics) (readSettings, []string, cvm.Wait) {
	rc := readSettings{providerData: data, region: data.region, timeout: defaultReadTimeout, invoked: true}
	if !m.Region.IsNull() {
		rc.region = m.Region.ValueString()
	}
	var ids []string
	diags.Append(m.InstanceIDs.ElementsAs(ctx, &ids, false)...)
	warnDuplicates(diags, ids)
	wait := cvm.Wait{States: []string{"RUNNING"}, Ready: m.WaitForReady.ValueBool()}
	if !m.WaitForStates.IsNull() {
		diags.Append(m.WaitForStates.ElementsAs(ctx, &wait.States, false)...)
	}
	if !m.WaitStableFor.IsNull() {
		var msg string
		if wait.StableFor, msg = stableForRange.parse(m.WaitStableFor.ValueString()); msg != "" {
			addInvalid(diags, path.Root("wait_stable_for"), "wait_stable_for", msg)
		}
	}
	if !m.Timeout.IsNull() {
		var msg string
		if rc.timeout, msg = readTimeoutRange.parse(m.Timeout.ValueString()); msg != "" {
			addInvalid(diags, path.Root("timeout"), "timeout", msg)
		}
	}
	wait.Include = parseInclude(ctx, diags, m.Include)
	validateInstancesWait(diags, m)
	return rc, ids, wait
}
