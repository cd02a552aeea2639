package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
)

// defaultReadTimeout bounds a read, including any wait_for_states polling,
// when the configuration sets no timeouts.read.
const defaultReadTimeout = 20 * time.Minute

// readResult is one read's answer, and what identifies it.
type readResult struct {
	region string
	id     string
	res    *cvm.Result
}

// readInstancesStatus reads what the configuration m asks for with data's
// client: the instances named (nil: the whole region; empty: none, with no
// request), waiting for states when asked to, within timeouts.read.
func readInstancesStatus(ctx context.Context, data *providerData, m instancesStatusModel) (readResult, diag.Diagnostics) {
	var diags diag.Diagnostics
	if data == nil {
		diags.AddError("Provider Not Configured", "The cvm provider was not configured before this data source was read. This is a bug in the provider; please report it.")
		return readResult{}, diags
	}
	rc := readSettings{providerData: data, region: data.region, timeout: defaultReadTimeout}
	if !m.Region.IsNull() && !m.Region.IsUnknown() {
		rc.region = m.Region.ValueString()
	}
	var ids []string // nil: the whole region
	if !m.InstanceIDs.IsNull() {
		ids = make([]string, 0, len(m.InstanceIDs.Elements()))
		diags.Append(m.InstanceIDs.ElementsAs(ctx, &ids, false)...)
		warnDuplicates(&diags, ids)
	}
	var wait cvm.Wait
	if !m.WaitForStates.IsNull() {
		diags.Append(m.WaitForStates.ElementsAs(ctx, &wait.States, false)...)
	}
	wait.Include = parseInclude(ctx, &diags, m.Include)
	wait.Ready = m.WaitForReady.ValueBool()
	checkReadyWithStates(&diags, m.WaitForReady, m.WaitForStates)
	// Validation has checked both durations; a parse error here is a bug.
	if !m.WaitStableFor.IsNull() {
		var msg string
		if wait.StableFor, msg = stableForRange.parse(m.WaitStableFor.ValueString()); msg != "" {
			addInvalid(&diags, path.Root("wait_stable_for"), "wait_stable_for", msg)
		}
	}
	if m.Timeouts != nil && !m.Timeouts.Read.IsNull() {
		var msg string
		if rc.timeout, msg = readTimeoutRange.parse(m.Timeouts.Read.ValueString()); msg != "" {
			addInvalid(&diags, path.Root("timeouts").AtName("read"), "timeouts.read", msg)
		}
	}
	// Values unknown at validate are known now, before any request.
	read := types.StringNull()
	if m.Timeouts != nil {
		read = m.Timeouts.Read
	}
	checkStableFitsRead(&diags, m.WaitStableFor, read)
	if diags.HasError() {
		return readResult{}, diags
	}
	ctx, cancel := boundedContext(ctx, data, rc.timeout)
	defer cancel()

	out := readResult{region: rc.region, id: readID(rc.region, ids)}
	var err error
	switch {
	case ids != nil && len(ids) == 0:
		out.res = &cvm.Result{Checks: wait.Include}
	case len(wait.States) > 0 || wait.Ready:
		out.res, err = data.client.WaitForStates(ctx, rc.region, ids, wait)
	default:
		out.res, err = data.client.Read(ctx, rc.region, ids, wait.Include)
	}
	if err != nil {
		addReadError(&diags, rc, err)
	}
	return out, diags
}

// boundedContext is ctx ended after timeout, or as soon as the user
// interrupts the run (providerData.interrupted): every read and wait, the
// data source's and the action's, runs within one. Call cancel when done.
func boundedContext(ctx context.Context, data *providerData, timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	if data.interrupted == nil {
		return ctx, cancel
	}
	stop := context.AfterFunc(data.interrupted, cancel)
	return ctx, func() { stop(); cancel() }
}

// warnDuplicates warns, once per read, about IDs named more than once.
func warnDuplicates(diags *diag.Diagnostics, ids []string) {
	seen := make(map[string]int, len(ids))
	var dups []string
	for _, id := range ids {
		seen[id]++
		if seen[id] == 2 {
			dups = append(dups, id)
		}
	}
	if len(dups) == 0 {
		return
	}
	shown := dups[:min(len(dups), listShown)]
	list := strings.Join(quoteAll(shown), ", ")
	if rest := len(dups) - len(shown); rest > 0 {
		list += fmt.Sprintf(" and %d more", rest)
	}
	diags.AddAttributeWarning(path.Root("instance_ids"), "Duplicate Instance IDs",
		fmt.Sprintf("instance_ids names %s more than once. Each instance is read and reported once; remove the duplicates (distinct() does it) to silence this warning.", list))
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
