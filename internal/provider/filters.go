package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/clc-tf/terraform-provider-clc/internal/runner"
)

// executionFilter selects executions from a newest-first list. Its zero
// value keeps every execution.
type executionFilter struct {
	// exitStatuses, when not nil, keeps the executions whose exit status is
	// one of its keys, matched exactly.
	exitStatuses map[string]bool
	// startedAfter and startedBefore, when not nil, keep the executions
	// that started at or after, and before, the time. An execution that has
	// not started yet counts as starting after every time.
	startedAfter  *time.Time
	startedBefore *time.Time
	// mostRecent, when above zero, keeps at most that many of the newest
	// executions left by the other filters.
	mostRecent int64
}

// newExecutionFilter reads the filter attributes of the configuration. The
// values were validated at plan time; a value that still does not parse is
// reported against its attribute.
func newExecutionFilter(
	ctx context.Context, config *jobExecutionsModel,
) (executionFilter, diag.Diagnostics) {
	var f executionFilter
	var diags diag.Diagnostics

	if !config.ExitStatuses.IsNull() {
		var statuses []string
		diags.Append(config.ExitStatuses.ElementsAs(ctx, &statuses, false)...)
		f.exitStatuses = make(map[string]bool, len(statuses))
		for _, s := range statuses {
			f.exitStatuses[s] = true
		}
	}

	f.startedAfter = parseTimeAttribute(config.StartedAfter, "started_after", &diags)
	f.startedBefore = parseTimeAttribute(config.StartedBefore, "started_before", &diags)
	f.mostRecent = config.MostRecent.ValueInt64()

	return f, diags
}

func parseTimeAttribute(value types.String, attribute string, diags *diag.Diagnostics) *time.Time {
	if value.IsNull() {
		return nil
	}

	t, err := time.Parse(time.RFC3339, value.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root(attribute), "Invalid Time",
			fmt.Sprintf("The value %q is not an RFC 3339 time: %s. This should have been caught "+
				"at plan time and is a bug in the provider; please report it.", value.ValueString(), err))
		return nil
	}

	return &t
}

// apply returns the executions that pass the filter, in the order given.
func (f executionFilter) apply(executions []runner.Execution) []runner.Execution {
	kept := make([]runner.Execution, 0, len(executions))
	for i := range executions {
		if f.mostRecent > 0 && int64(len(kept)) == f.mostRecent {
			break
		}
		if f.keeps(&executions[i]) {
			kept = append(kept, executions[i])
		}
	}

	return kept
}

func (f executionFilter) keeps(e *runner.Execution) bool {
	if f.exitStatuses != nil && (!e.HasExitStatus || !f.exitStatuses[e.ExitStatus]) {
		return false
	}
	if !e.Start.Valid {
		return f.startedBefore == nil
	}

	start := time.UnixMilli(e.Start.Millis)
	if f.startedAfter != nil && start.Before(*f.startedAfter) {
		return false
	}

	return f.startedBefore == nil || start.Before(*f.startedBefore)
}

// latestObject is the latest attribute: the first of the newest-first
// executions, or null when there is none.
func latestObject(ctx context.Context, executions []runner.Execution) (types.Object, diag.Diagnostics) {
	if len(executions) == 0 {
		return types.ObjectNull(executionType.AttrTypes), nil
	}

	value, diags := executionObject(ctx, &executions[0])
	if diags.HasError() {
		return types.ObjectNull(executionType.AttrTypes), diags
	}

	return objectOf(value, diags)
}

// objectOf returns value, which executionObject built, as a types.Object.
func objectOf(value attr.Value, diags diag.Diagnostics) (types.Object, diag.Diagnostics) {
	object, ok := value.(types.Object)
	if !ok {
		diags.AddError("Unexpected Execution Value",
			fmt.Sprintf("An execution was mapped to %T instead of an object. This is a bug in the "+
				"provider; please report it.", value))
		return types.ObjectNull(executionType.AttrTypes), diags
	}

	return object, diags
}

// statusCounts is the status_counts attribute: how many of the executions
// have each exit status. Executions without an exit status are not counted.
func statusCounts(executions []runner.Execution) (types.Map, diag.Diagnostics) {
	counts := map[string]int64{}
	for i := range executions {
		if executions[i].HasExitStatus {
			counts[executions[i].ExitStatus]++
		}
	}

	elements := make(map[string]attr.Value, len(counts))
	for status, n := range counts {
		elements[status] = types.Int64Value(n)
	}

	return types.MapValue(types.Int64Type, elements)
}

// ConfigValidators rejects a started_after that is not before started_before,
// which no execution could satisfy, and a wait_for_completion whose
// poll_interval is longer than its timeout.
func (d *jobExecutionsDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		startedWindowValidator{"started_after must be before started_before"},
		pollWithinTimeout,
	}
}

// startedWindowValidator checks that started_after is before started_before.
type startedWindowValidator struct{ described }

func (startedWindowValidator) ValidateDataSource(
	ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse,
) {
	var after, before types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("started_after"), &after)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("started_before"), &before)...)
	if !knownString(after) || !knownString(before) {
		return
	}

	from, errAfter := time.Parse(time.RFC3339, after.ValueString())
	to, errBefore := time.Parse(time.RFC3339, before.ValueString())
	if errAfter != nil || errBefore != nil || from.Before(to) {
		return
	}
	resp.Diagnostics.AddAttributeError(path.Root("started_before"), "Empty Time Window",
		fmt.Sprintf("started_before (%s) is not later than started_after (%s), so no execution "+
			"could match. Swap the two values, or remove one of them.",
			before.ValueString(), after.ValueString()))
}

// knownString tells whether v holds a value known at plan time.
func knownString(v types.String) bool {
	return !v.IsNull() && !v.IsUnknown()
}
