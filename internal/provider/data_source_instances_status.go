package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
)

var (
	_ datasource.DataSource                   = (*instancesStatusDataSource)(nil)
	_ datasource.DataSourceWithConfigure      = (*instancesStatusDataSource)(nil)
	_ datasource.DataSourceWithValidateConfig = (*instancesStatusDataSource)(nil)
	_ dataSourceWithReadEncoded               = (*instancesStatusDataSource)(nil)
)

// newInstancesStatusDataSource returns the cvm_instances_status data source.
func newInstancesStatusDataSource() datasource.DataSource {
	return &instancesStatusDataSource{}
}

// instancesStatusDataSource reads instance states. Terraform reads it through
// the provider's protocol server, which calls ReadEncoded (server.go); Read,
// which the framework calls for the reads the server leaves to it, decodes
// ReadEncoded's state, so the two cannot differ.
// TestServerReadsAsTheFrameworkDoes holds the server's answers equal to a
// read done the framework's way throughout: the state built as tftypes
// values and encoded by the framework, not by encodeState.
type instancesStatusDataSource struct {
	data *providerData // nil until the provider is configured
}

type instancesStatusModel struct {
	ID                 types.String   `tfsdk:"id"`
	InstanceIDs        types.List     `tfsdk:"instance_ids"`
	Region             types.String   `tfsdk:"region"`
	WaitForStates      types.List     `tfsdk:"wait_for_states"`
	WaitStableFor      types.String   `tfsdk:"wait_stable_for"`
	Include            types.Set      `tfsdk:"include"`
	WaitForReady       types.Bool     `tfsdk:"wait_for_ready"`
	Timeouts           *timeoutsModel `tfsdk:"timeouts"`
	Instances          types.List     `tfsdk:"instances"`
	States             types.Map      `tfsdk:"states"`
	StateCounts        types.Map      `tfsdk:"state_counts"`
	MissingInstanceIDs types.List     `tfsdk:"missing_instance_ids"`
	NotReady           types.Map      `tfsdk:"not_ready"`
}

// timeoutsModel is the timeouts block, as most providers write it:
// timeouts { read = "10m" }.
type timeoutsModel struct {
	Read types.String `tfsdk:"read"`
}

func (d *instancesStatusDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_instances_status"
}

func (d *instancesStatusDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	stateList := "`" + strings.Join(cvm.States, "`, `") + "`"
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads the states of CVM instances with `DescribeInstancesStatus`: the instances named in " +
			"`instance_ids`, or every instance of the region when `instance_ids` is omitted. The result comes as a list " +
			"(`instances`), a lookup map (`states`), counts per state (`state_counts`) and the IDs that were not found " +
			"(`missing_instance_ids`), shaped for outputs, `lifecycle` preconditions and `check` blocks. " +
			"A read returns the complete answer or fails: it never returns a partial list. With `wait_for_states` it " +
			"waits until the instances are in one of those states. With `include` it also reads whether each instance is ready for a deploy " +
			"(its latest operation, restriction, maintenance tasks and TAT agent): `ready` and `reasons` on each instance, and `not_ready` " +
			"for a gate; `wait_for_ready` waits until every instance is ready.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Identifies this read: the region and a digest of the requested IDs (or `all`). Stable for the same region and request.",
				Computed:            true,
			},
			"instance_ids": schema.ListAttribute{
				MarkdownDescription: "IDs of the instances to read, each `ins-` followed by 8 lowercase letters or digits. " +
					"Omitted or `null`: every instance in the region. An empty list `[]` reads nothing and sends no request " +
					"(the API would treat an empty list as \"all\"; a precondition over an empty variable must not suddenly see the whole account). " +
					"Duplicates are read once, with a warning.",
				ElementType: types.StringType,
				Optional:    true,
				Validators:  []validator.List{instanceIDs},
			},
			"region": schema.StringAttribute{
				MarkdownDescription: "Region of the instances. Defaults to the provider's region; either way, the state holds the region read.",
				Optional:            true,
				Computed:            true,
				Validators:          []validator.String{regionRule},
			},
			"wait_for_states": schema.ListAttribute{
				MarkdownDescription: "Wait until every requested instance (or, without `instance_ids`, every listed instance) is in one of these states. " +
					"The read fails at once when an instance is in a state that cannot lead to any of them " +
					"(for example `LAUNCH_FAILED`, `TERMINATING` or `SHUTDOWN` when waiting for `RUNNING`) or was found and is gone; " +
					fmt.Sprintf("when an ID has not been found after two polls and %s (the service reports a new instance at once, so it is mistyped or in another region); ", cvm.DefaultMissingGrace) +
					"and when `timeouts.read` runs out, naming the instances that are not there yet and their states. States: " + stateList + ".",
				ElementType: types.StringType,
				Optional:    true,
				Validators:  []validator.List{listvalidator.SizeAtLeast(1), instanceStates},
			},
			"wait_stable_for": schema.StringAttribute{
				MarkdownDescription: "With `wait_for_states`: how long each instance must have been seen in the same wanted state, on consecutive polls, " +
					"before the wait ends; a change in between starts that instance's clock again. Default `\"0s\"`: the first poll that sees every instance there ends the wait. " +
					"Right after `StartInstances`, `StopInstances` or `RebootInstances` return, the service can still report the old state for a moment " +
					"(a `RUNNING` that is about to become `REBOOTING`): set a few seconds, such as `\"10s\"`, when the read follows such a call in the same run.",
				Optional:   true,
				Validators: []validator.String{stableForRange},
			},
			"include": schema.SetAttribute{
				MarkdownDescription: "Readiness checks to read beside the state, any of `\"operation\"`, `\"restriction\"`, `\"maintenance\"` and `\"agent\"`. " +
					"Each fills its attributes on every element of `instances` and adds its reasons to `reasons` and `not_ready`:\n" +
					"  - `\"operation\"`: the latest operation (such as `ResetInstance`) must not have failed or be still running (`DescribeInstances`; needs `cvm:DescribeInstances`);\n" +
					"  - `\"restriction\"`: the instance must not be isolated or restricted for arrears or expiry (`DescribeInstances`; needs `cvm:DescribeInstances`);\n" +
					"  - `\"maintenance\"`: no maintenance (repair) task may be pending authorization, processing or scheduled on it, however long ago it was created (`DescribeTaskInfo`; needs `cvm:DescribeTaskInfo`);\n" +
					"  - `\"agent\"`: its TAT agent must be online (TAT `DescribeAutomationAgentStatus`; needs `tat:DescribeAutomationAgentStatus`).\n\n" +
					"Default: none, and then no request is sent beyond `DescribeInstancesStatus` (which needs `cvm:DescribeInstancesStatus` alone). " +
					"The checks' requests run at the same time as `DescribeInstancesStatus`, each at its own rate limit, so a read takes about as long as the slowest of them. " +
					"A check that cannot be read fails the read: a gate never passes on half an answer.",
				ElementType: types.StringType,
				Optional:    true,
				Validators:  []validator.Set{includeChecks},
			},
			"wait_for_ready": schema.BoolAttribute{
				MarkdownDescription: "Wait until every instance is ready (see `ready`): `RUNNING`, and nothing the `include` checks read stands in the way. " +
					"Polls like `wait_for_states` and honours `wait_stable_for`, `timeouts.read` and the same rules for instances that cannot get there or are never found. " +
					"Cannot be combined with a `wait_for_states` other than `[\"RUNNING\"]`.",
				Optional: true,
			},
			"instances": schema.ListNestedAttribute{
				MarkdownDescription: "The instances found. With `instance_ids`: in the order given, duplicates removed, instances that were not found left out. " +
					"Without: every instance of the region, sorted by `instance_id`. The readiness attributes are null unless their check is in `include`.",
				Computed: true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: instanceAttributes(stateList),
				},
			},
			"not_ready": schema.MapAttribute{
				MarkdownDescription: "Every instance asked for that is not ready, mapped to its `reasons`, missing IDs included (`\"not found in <region>\"`): " +
					"`length(data.cvm_instances_status.web.not_ready) == 0` is a complete deploy gate, and `jsonencode(data.cvm_instances_status.web.not_ready)` a useful `error_message`.",
				ElementType: types.ListType{ElemType: types.StringType},
				Computed:    true,
			},
			"states": schema.MapAttribute{
				MarkdownDescription: "Instance ID to state, for lookups in conditions. Holds only instances that were found, so look up with a default: " +
					"`lookup(data.cvm_instances_status.web.states, \"ins-r8hr2upy\", \"MISSING\") == \"RUNNING\"` (indexing, `states[\"ins-…\"]`, is an error when the instance is missing).",
				ElementType: types.StringType,
				Computed:    true,
			},
			"state_counts": schema.MapAttribute{
				MarkdownDescription: "State to the number of instances in it, for the states present only: use `lookup(…state_counts, \"STOPPED\", 0)` for a state that may be absent.",
				ElementType:         types.Int64Type,
				Computed:            true,
			},
			"missing_instance_ids": schema.ListAttribute{
				MarkdownDescription: "IDs that were asked for and not found (the service does not report unknown IDs as errors), in the order given. Empty when listing a region.",
				ElementType:         types.StringType,
				Computed:            true,
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": schema.SingleNestedBlock{
				MarkdownDescription: "Time limits, written as a block like other providers' timeouts: `timeouts { read = \"10m\" }`.",
				Attributes: map[string]schema.Attribute{
					"read": schema.StringAttribute{
						MarkdownDescription: fmt.Sprintf("How long the whole read may take, waiting for `wait_for_states` and every retry included, as %s. Default `\"%s\"`.",
							readTimeoutRange, short(defaultReadTimeout)),
						Optional:   true,
						Validators: []validator.String{readTimeoutRange},
					},
				},
			},
		},
	}
}

func (d *instancesStatusDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

// configuredData is the provider's data as Configure hands it to a data
// source or an action: nil before the provider is configured.
func configuredData(given any, diags *diag.Diagnostics) *providerData {
	if given == nil {
		return nil
	}
	data, ok := given.(*providerData)
	if !ok {
		diags.AddError("Unexpected Provider Data",
			fmt.Sprintf("Expected *providerData, got %T. This is a bug in the provider; please report it.", given))
	}
	return data
}

// ValidateConfig checks what no single attribute's validator can: that
// wait_stable_for comes with wait_for_states, and fits in timeouts.read.
// Bad IDs and states are caught by the attributes' validators; duplicate IDs
// are reported by the read, so that the warning shows once per plan
// (Terraform validates twice).
func (d *instancesStatusDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	var stable, read types.String
	var wanted types.List
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("wait_stable_for"), &stable)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("wait_for_states"), &wanted)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("timeouts").AtName("read"), &read)...)
	var ready types.Bool
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("wait_for_ready"), &ready)...)
	checkReadyWithStates(&resp.Diagnostics, ready, wanted)
	if !stable.IsNull() && wanted.IsNull() && !ready.ValueBool() {
		resp.Diagnostics.AddAttributeError(path.Root("wait_stable_for"), "Wait Stable For Without Wait For States",
			fmt.Sprintf("wait_stable_for = %s applies to the wait of wait_for_states or wait_for_ready, neither of which is set: set wait_for_states or wait_for_ready, or remove wait_stable_for.", quote(stable.ValueString())))
	}
	checkStableFitsRead(&resp.Diagnostics, stable, read)
}

// timeLimit names the time limit a wait runs within, as the configuration
// calls it: the data source's timeouts.read, the action's timeout.
type timeLimit struct {
	name  string // "timeouts.read"
	title string // "Read Timeout", for a diagnostic's summary
}

var (
	readLimit   = timeLimit{name: "timeouts.read", title: "Read Timeout"}
	actionLimit = timeLimit{name: "timeout", title: "Timeout"}
)

// checkStableFitsRead refuses a wait_stable_for that the read's time limit
// cannot hold (checkStableFits).
func checkStableFitsRead(diags *diag.Diagnostics, stable, read types.String) {
	checkStableFits(diags, stable, read, readLimit)
}

// checkStableFits refuses a wait_stable_for that the wait's time limit
// cannot hold: the wait ends only after every instance has been seen in a
// wanted state for wait_stable_for, so one as long as the limit can only
// time out, after the whole of it. Unknown or invalid values are left to the
// read and to their own validators. limitValue is the limit as configured
// (null: the default, defaultReadTimeout for both).
func checkStableFits(diags *diag.Diagnostics, stable, limitValue types.String, limit timeLimit) {
	if stable.IsNull() || stable.IsUnknown() || limitValue.IsUnknown() {
		return
	}
	stableFor, msg := stableForRange.parse(stable.ValueString())
	if msg != "" {
		return
	}
	most, limitText := defaultReadTimeout, short(defaultReadTimeout)+" (the default of "+limit.name+")"
	if !limitValue.IsNull() {
		if most, msg = readTimeoutRange.parse(limitValue.ValueString()); msg != "" {
			return
		}
		limitText = quote(limitValue.ValueString())
	}
	if stableFor < most {
		return
	}
	diags.AddAttributeError(path.Root("wait_stable_for"), "Wait Stable For Longer Than The "+limit.title,
		fmt.Sprintf("wait_stable_for = %s cannot fit in %s = %s: the wait ends only once every instance has been seen in a wanted state "+
			"for %s, and the whole %s, that wait included, must end within %s, so it could only time out. "+
			"Lower wait_stable_for below %s, or raise %s well above %s.",
			quote(stable.ValueString()), limit.name, limitText, short(stableFor), limit.noun(), short(most), short(most), limit.name, short(stableFor)))
}

// noun is what the limit bounds: the whole read, or the whole wait.
func (l timeLimit) noun() string {
	if l == actionLimit {
		return "action"
	}
	return "read"
}

// Read is the framework's read: ReadEncoded's state, decoded for the
// framework, so that the two ways of reading build the state one way.
func (d *instancesStatusDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	state, diags := d.ReadEncoded(ctx, d.data, req.Config)
	resp.Diagnostics.Append(diags...)
	if diags.HasError() {
		return
	}
	raw, err := tfprotov6.DynamicValue{MsgPack: state}.Unmarshal(resp.State.Schema.Type().TerraformType(ctx))
	if err != nil {
		resp.Diagnostics.AddError("Cannot Build The State", "The encoded state does not decode: "+err.Error()+". This is a bug in the provider; please report it.")
		return
	}
	resp.State.Raw = raw
}

// ReadEncoded is the same read, its state encoded straight from the result
// (instances_status_state.go): a region can hold a hundred thousand
// instances, and the model and the framework's copies of it cost many times
// the read's own CPU and memory (BENCHMARKS.md).
func (d *instancesStatusDataSource) ReadEncoded(ctx context.Context, data *providerData, config tfsdk.Config) ([]byte, diag.Diagnostics) {
	var m instancesStatusModel
	diags := config.Get(ctx, &m)
	if diags.HasError() {
		return nil, diags
	}
	out, readDiags := readInstancesStatus(ctx, data, m)
	diags.Append(readDiags...)
	if diags.HasError() {
		return nil, diags
	}
	stateType, ok := config.Raw.Type().(tftypes.Object)
	if !ok {
		diags.AddError("Cannot Build The State", fmt.Sprintf("The configuration is a %s, not an object. This is a bug in the provider; please report it.", config.Raw.Type()))
		return nil, diags
	}
	state, err := encodeState(stateType, config.Raw, out)
	if err != nil {
		diags.AddError("Cannot Build The State", "The result could not be turned into Terraform state: "+err.Error()+". This is a bug in the provider; please report it.")
	}
	return state, diags
}

// instanceAttributes are the attributes of an element of instances.
func instanceAttributes(stateList string) map[string]schema.Attribute {
	computed := func(doc string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: doc, Computed: true}
	}
	return map[string]schema.Attribute{
		"instance_id": computed("The instance ID."),
		"state":       computed("The instance state, one of " + stateList + "."),
		"ready": schema.BoolAttribute{MarkdownDescription: "Whether the instance is ready: `RUNNING`, and nothing the `include` checks read stands in the way. " +
			"Without `include`, whether it is `RUNNING`.", Computed: true},
		"reasons": schema.ListAttribute{MarkdownDescription: "Why the instance is not ready, one line each, as a person would write them: " +
			"`state STOPPED`, `latest operation ResetInstance FAILED: <message>`, `restricted: EXPIRED (isolated: EXPIRE)`, " +
			"`maintenance task rep-12345678 (107 maintenance upgrade) SCHEDULED`, `TAT agent Offline since <time>`, `no TAT agent reported`, " +
			"`not reported by DescribeInstances` and `not found after its maintenance tasks were read` (the instance went away during the read). Empty when it is ready.",
			ElementType: types.StringType, Computed: true},
		"latest_operation":            computed("With `include = [\"operation\"]`: the latest operation on the instance, such as `ResetInstance`; null when the service reports none."),
		"latest_operation_state":      computed("With `include = [\"operation\"]`: `SUCCESS`, `OPERATING` or `FAILED`; null when the service reports none."),
		"latest_operation_error":      computed("With `include = [\"operation\"]`: the error message of a failed latest operation; null otherwise."),
		"latest_operation_request_id": computed("With `include = [\"operation\"]`: the RequestId of the latest operation, for Tencent Cloud support."),
		"restrict_state":              computed("With `include = [\"restriction\"]`: `NORMAL`, `EXPIRED` or `PROTECTIVELY_ISOLATED`."),
		"isolated_source":             computed("With `include = [\"restriction\"]`: why the instance is isolated, `ARREAR`, `EXPIRE` or `MANMADE`, or `NOTISOLATED`."),
		"expired_time":                computed("With `include = [\"restriction\"]`: when a prepaid instance expires (ISO 8601, UTC); null for pay-as-you-go."),
		"maintenance_tasks": schema.ListNestedAttribute{
			MarkdownDescription: "With `include = [\"maintenance\"]`: the instance's open maintenance (repair) tasks, those pending authorization, processing or scheduled, however old; empty when there are none.",
			Computed:            true,
			NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
				"task_id":      computed("The task ID, `rep-` and 8 characters."),
				"type_id":      schema.Int64Attribute{MarkdownDescription: "The task type: 101 run risk, 102 run error, 103 disk error, 104 network error, 105 run warning, 106 disk warning, 107 maintenance upgrade.", Computed: true},
				"type_name":    computed("The task type's name as the service gives it."),
				"status":       computed("`PENDING_AUTHORIZATION`, `PROCESSING` or `SCHEDULED`."),
				"created_time": computed("When the task was created, as the service writes it (`YYYY-MM-DD hh:mm:ss`, UTC+8)."),
				"auth_time":    computed("When the task was authorized; null until it is."),
			}},
		},
		"agent_status":         computed("With `include = [\"agent\"]`: `Online` or `Offline`; null when no TAT agent has reported."),
		"agent_version":        computed("With `include = [\"agent\"]`: the TAT agent's version; null when none has reported."),
		"agent_last_heartbeat": computed("With `include = [\"agent\"]`: the TAT agent's last heartbeat; null when none has reported."),
	}
}
