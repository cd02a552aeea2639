package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
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
)

// defaultReadTimeout bounds a read, including any wait_for_states polling,
// when the configuration sets no timeouts.read.
const defaultReadTimeout = 20 * time.Minute

// NewInstancesStatusDataSource returns the cvm_instances_status data source.
func NewInstancesStatusDataSource() datasource.DataSource {
	return &instancesStatusDataSource{}
}

type instancesStatusDataSource struct {
	data *providerData
}

type instancesStatusModel struct {
	ID                 types.String   `tfsdk:"id"`
	InstanceIDs        types.List     `tfsdk:"instance_ids"`
	Region             types.String   `tfsdk:"region"`
	WaitForStates      types.List     `tfsdk:"wait_for_states"`
	Timeouts           timeouts.Value `tfsdk:"timeouts"`
	Instances          types.List     `tfsdk:"instances"`
	States             types.Map      `tfsdk:"states"`
	StateCounts        types.Map      `tfsdk:"state_counts"`
	MissingInstanceIDs types.List     `tfsdk:"missing_instance_ids"`
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
			"waits until the instances are in one of those states.",
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
				Validators: []validator.List{listvalidator.ValueStringsAre(
					notNullValidator{what: "instance ID", rule: instanceIDRule}, instanceIDValidator{})},
			},
			"region": schema.StringAttribute{
				MarkdownDescription: "Region of the instances. Defaults to the provider's region.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.RegexMatches(regionPattern, "must be "+regionRule)},
			},
			"wait_for_states": schema.ListAttribute{
				MarkdownDescription: "Wait until every requested instance (or, without `instance_ids`, every listed instance) is in one of these states. " +
					"IDs not found yet are waited for too. The read fails at once when an instance is in a state that cannot lead to any of them " +
					"(for example `LAUNCH_FAILED`, `TERMINATING` or `SHUTDOWN` when waiting for `RUNNING`), and when `timeouts.read` runs out, " +
					"naming each instance that is not there yet and its state. States: " + stateList + ".",
				ElementType: types.StringType,
				Optional:    true,
				Validators: []validator.List{
					listvalidator.SizeAtLeast(1),
					listvalidator.ValueStringsAre(notNullValidator{what: "state", rule: "use one of " + strings.Join(cvm.States, ", ")}, stringvalidator.OneOf(cvm.States...)),
				},
			},
			"timeouts": timeouts.AttributesWithOpts(ctx, timeouts.Opts{
				ReadDescription: fmt.Sprintf("How long the read may take, including waiting for `wait_for_states`, as a duration such as `\"10m\"`. Default `%s`.", "20m"),
			}),
			"instances": schema.ListNestedAttribute{
				MarkdownDescription: "The instances found. With `instance_ids`: in the order given, duplicates removed, instances that were not found left out. " +
					"Without: every instance of the region, sorted by `instance_id`.",
				Computed: true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"instance_id": schema.StringAttribute{MarkdownDescription: "The instance ID.", Computed: true},
						"state":       schema.StringAttribute{MarkdownDescription: "The instance state, one of " + stateList + ".", Computed: true},
					},
				},
			},
			"states": schema.MapAttribute{
				MarkdownDescription: "Instance ID to state, for lookups in conditions: `data.cvm_instances_status.web.states[\"ins-r8hr2upy\"] == \"RUNNING\"`. Holds only instances that were found.",
				ElementType:         types.StringType,
				Computed:            true,
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
	}
}

func (d *instancesStatusDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	if req.ProviderData == nil {
		return
	}
	data, ok := req.ProviderData.(*providerData)
	if !ok {
		resp.Diagnostics.AddError("Unexpected Provider Data",
			fmt.Sprintf("Expected *providerData, got %T. This is a bug in the provider; please report it.", req.ProviderData))
		return
	}
	d.data = data
}

// ValidateConfig warns about duplicate IDs and refuses a read timeout that
// is not positive (the timeouts validator only checks that it parses).
// Malformed IDs are caught by the attribute's validator, at their index.
func (d *instancesStatusDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	var readTimeout types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("timeouts").AtName("read"), &readTimeout)...)
	if !readTimeout.IsNull() && !readTimeout.IsUnknown() {
		if d, err := time.ParseDuration(readTimeout.ValueString()); err == nil && d <= 0 {
			resp.Diagnostics.AddAttributeError(path.Root("timeouts").AtName("read"), "Invalid Read Timeout",
				fmt.Sprintf("timeouts.read is %q: it must be a positive duration, such as \"10m\", or left out for the default of 20m.", readTimeout.ValueString()))
		}
	}

	var ids types.List
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("instance_ids"), &ids)...)
	if ids.IsNull() || ids.IsUnknown() {
		return
	}
	seen := make(map[string]int, len(ids.Elements()))
	var dups []string
	for _, e := range ids.Elements() {
		s, ok := e.(types.String)
		if !ok || s.IsNull() || s.IsUnknown() {
			continue
		}
		seen[s.ValueString()]++
		if seen[s.ValueString()] == 2 {
			dups = append(dups, s.ValueString())
		}
	}
	if len(dups) > 0 {
		resp.Diagnostics.AddAttributeWarning(path.Root("instance_ids"), "Duplicate Instance IDs",
			fmt.Sprintf("instance_ids names %s more than once. Each instance is read and reported once; remove the duplicates to silence this warning.",
				strings.Join(dups, ", ")))
	}
}

func (d *instancesStatusDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	state, diags := readInstancesStatus(ctx, d.data, req.Config)
	resp.Diagnostics.Append(diags...)
	if diags.HasError() {
		return
	}
	raw, err := (&tfprotov6.DynamicValue{MsgPack: state}).Unmarshal(req.Config.Raw.Type())
	if err != nil {
		resp.Diagnostics.AddError("Cannot Decode The State", "The state could not be decoded: "+err.Error()+". This is a bug in the provider; please report it.")
		return
	}
	resp.State.Raw = raw
}

// readInstancesStatus is the whole read: the configuration in, the state out,
// encoded as Terraform receives it. The provider's protocol server
// (server.go) sends those bytes as they are; Read above decodes them for the
// framework. A region can hold a hundred thousand instances, and either
// alternative, a model struct or a tree of tftypes values, costs many times
// the read's own CPU and memory (BENCHMARKS.md).
func readInstancesStatus(ctx context.Context, data *providerData, config tfsdk.Config) ([]byte, diag.Diagnostics) {
	var diags diag.Diagnostics
	if data == nil {
		diags.AddError("Provider Not Configured", "The cvm provider was not configured before this data source was read. This is a bug in the provider; please report it.")
		return nil, diags
	}
	var m instancesStatusModel
	diags.Append(config.Get(ctx, &m)...)
	if diags.HasError() {
		return nil, diags
	}

	region := data.region
	if !m.Region.IsNull() {
		region = m.Region.ValueString()
	}
	var ids []string // nil: the whole region
	if !m.InstanceIDs.IsNull() {
		ids = make([]string, 0, len(m.InstanceIDs.Elements()))
		diags.Append(m.InstanceIDs.ElementsAs(ctx, &ids, false)...)
	}
	var wanted []string
	if !m.WaitForStates.IsNull() {
		diags.Append(m.WaitForStates.ElementsAs(ctx, &wanted, false)...)
	}
	timeout, d := m.Timeouts.Read(ctx, defaultReadTimeout)
	diags.Append(d...)
	if diags.HasError() {
		return nil, diags
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var (
		res *cvm.Result
		err error
	)
	switch {
	case ids != nil && len(ids) == 0:
		res = &cvm.Result{}
	case len(wanted) > 0:
		res, err = data.client.WaitForStates(ctx, region, ids, wanted)
	default:
		res, err = data.client.DescribeInstancesStatus(ctx, region, ids)
	}
	if err != nil {
		addReadError(&diags, region, timeout, err)
		return nil, diags
	}

	stateType, ok := config.Raw.Type().(tftypes.Object)
	if !ok {
		diags.AddError("Cannot Build The State", fmt.Sprintf("The configuration is a %s, not an object. This is a bug in the provider; please report it.", config.Raw.Type()))
		return nil, diags
	}
	state, err := encodeState(stateType, config.Raw, region, readID(region, ids), res)
	if err != nil {
		diags.AddError("Cannot Build The State", "The result could not be turned into Terraform state: "+err.Error()+". This is a bug in the provider; please report it.")
	}
	return state, diags
}

// readID is stable for the same region and the same requested IDs.
func readID(region string, ids []string) string {
	if ids == nil {
		return region + "/all"
	}
	h := sha256.New()
	for _, id := range ids {
		h.Write([]byte(id))
		h.Write([]byte{0})
	}
	return region + "/" + hex.EncodeToString(h.Sum(nil)[:8])
}

// addReadError turns a client error into a diagnostic a user can act on.
func addReadError(diags *diag.Diagnostics, region string, timeout time.Duration, err error) {
	var (
		apiErr  *cvm.APIError
		waitErr *cvm.WaitError
		credErr *cvm.CredentialError
	)
	switch {
	case errors.As(err, &waitErr) && waitErr.Stuck:
		diags.AddError("Instances Cannot Reach The Wanted State",
			fmt.Sprintf("Stopped waiting in %s: %s.\n\nThese instances are in states from which %s cannot be reached, so waiting longer would not help.",
				region, waitErr, strings.Join(waitErr.Wanted, " or ")))
	case errors.As(err, &waitErr):
		diags.AddError("Timed Out Waiting For Instance States",
			fmt.Sprintf("After %s in %s, %s.\n\nRaise timeouts.read if the instances need longer, or check why they do not get there.",
				timeout, region, waitErr))
	case errors.As(err, &credErr):
		diags.AddError("Cannot Obtain Credentials", fmt.Sprintf("Credentials from %s: %s", credErr.Source, credErr.Err))
	case errors.As(err, &apiErr):
		detail := fmt.Sprintf("%s in %s failed", apiErr.Action, apiErr.Region)
		if apiErr.Attempts > 1 {
			detail += fmt.Sprintf(" after %d attempts", apiErr.Attempts)
		}
		detail += fmt.Sprintf(".\n\nCode: %s\nMessage: %s", apiErr.Code, apiErr.Message)
		if apiErr.RequestID != "" {
			detail += "\nRequestId: " + apiErr.RequestID
		}
		if hint := apiErr.Hint(); hint != "" {
			detail += "\n\n" + hint
		}
		diags.AddError("Cannot Read Instance States", detail)
	case errors.Is(err, cvm.ErrListingUnstable):
		diags.AddError("Instance List Kept Changing", err.Error()+"\n\nNo partial result was returned.")
	case errors.Is(err, context.DeadlineExceeded):
		diags.AddError("Read Timed Out",
			fmt.Sprintf("Reading instance states in %s did not finish within %s. Raise timeouts.read, or lower the number of instances read at once.", region, timeout))
	case errors.Is(err, context.Canceled):
		diags.AddError("Read Cancelled", "Reading instance states was cancelled before it finished.")
	default:
		diags.AddError("Cannot Read Instance States", err.Error())
	}
}
