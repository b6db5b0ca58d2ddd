package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/clc-tf/terraform-provider-clc/internal/runner"
)

var (
	_ datasource.DataSource              = (*jobExecutionsDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*jobExecutionsDataSource)(nil)
)

// largeReadThreshold is the number of executions above which a read warns;
// the data source's description documents it.
const largeReadThreshold = 10000

func newJobExecutionsDataSource() datasource.DataSource {
	return &jobExecutionsDataSource{}
}

type jobExecutionsDataSource struct {
	data *providerData
}

type jobExecutionsModel struct {
	ID           types.String `tfsdk:"id"`
	JobID        types.String `tfsdk:"job_id"`
	AccountAlias types.String `tfsdk:"account_alias"`
	Executions   types.List   `tfsdk:"executions"`

	ExitStatuses      types.Set               `tfsdk:"exit_statuses"`
	StartedAfter      types.String            `tfsdk:"started_after"`
	StartedBefore     types.String            `tfsdk:"started_before"`
	MostRecent        types.Int64             `tfsdk:"most_recent"`
	Latest            types.Object            `tfsdk:"latest"`
	StatusCounts      types.Map               `tfsdk:"status_counts"`
	WaitForCompletion *waitForCompletionModel `tfsdk:"wait_for_completion"`
}

func (d *jobExecutionsDataSource) Metadata(
	_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse,
) {
	resp.TypeName = req.ProviderTypeName + "_job_executions"
}

func (d *jobExecutionsDataSource) Schema(
	_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse,
) {
	resp.Schema = schema.Schema{
		Description: fmt.Sprintf("Reads the executions of one Runner job, newest first, with the "+
			"per-host results of each Ansible playbook run; optionally only those that match "+
			"filters, and optionally waiting until the newest has finished. A read that keeps more "+
			"than %d executions succeeds with a warning.", largeReadThreshold),
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Description: "`<account_alias>/<job_id>`.",
				Computed:    true,
			},
			"job_id": schema.StringAttribute{
				Description: "Id of the job whose executions are read.",
				Required:    true,
				Validators:  []validator.String{pathSegmentValidator{}},
			},
			"account_alias": schema.StringAttribute{
				Description: "Short code of the account that owns the job. Defaults to the provider's " +
					"`account_alias`, or the account of the logged-in user.",
				Optional:   true,
				Computed:   true,
				Validators: []validator.String{pathSegmentValidator{}},
			},
			"executions": schema.ListNestedAttribute{
				Description: "The job's executions that pass the filters, newest first by start time, " +
					"ties by id. One without a start time is placed by its end time; with neither, it " +
					"comes first while it has not finished (it is about to start) and last once it has " +
					"(it ended without starting, as an `INIT_FAILURE` can). Empty when the job has " +
					"never run or no execution passes.",
				Computed:     true,
				NestedObject: schema.NestedAttributeObject{Attributes: executionAttributes()},
			},
			"exit_statuses": schema.SetAttribute{
				Description: "Keep only the executions whose `exit_status` is one of these, matched " +
					"exactly, such as `[\"SUCCESS\", \"FAILURE\"]`. Executions without an exit " +
					"status never match.",
				Optional:    true,
				ElementType: types.StringType,
				Validators: []validator.Set{exitStatusesValidator{
					"must hold at least one exit status, each in upper case, such as SUCCESS",
				}},
			},
			"started_after": schema.StringAttribute{
				Description: "Keep only the executions that started at or after this RFC 3339 time, " +
					"such as `2026-01-02T15:04:05Z`. Executions that have not started yet are kept: " +
					"they will start later than any time that has passed.",
				Optional:   true,
				Validators: []validator.String{rfc3339Time},
			},
			"started_before": schema.StringAttribute{
				Description: "Keep only the executions that started before this RFC 3339 time. " +
					"Executions that have not started yet are left out. Must be later than " +
					"`started_after`.",
				Optional:   true,
				Validators: []validator.String{rfc3339Time},
			},
			"most_recent": schema.Int64Attribute{
				Description: "Keep at most this many executions (1 or more): the newest of those " +
					"that pass the other filters.",
				Optional:   true,
				Validators: []validator.Int64{mostRecentValidator{"must be at least 1"}},
			},
			"latest": schema.SingleNestedAttribute{
				Description: "The newest execution that passes the filters, the same as " +
					"`executions[0]`; null when there is none.",
				Computed:   true,
				Attributes: executionAttributes(),
			},
			"status_counts": schema.MapAttribute{
				Description: "How many of `executions` (after the filters) have each `exit_status`, " +
					"keyed by status; only statuses that occur are present, so read one with " +
					"`lookup(status_counts, \"FAILURE\", 0)`. Executions without an exit status are " +
					"not counted.",
				Computed:    true,
				ElementType: types.Int64Type,
			},
			"wait_for_completion": waitForCompletionAttribute("the newest execution that passes " +
				"the filters"),
		},
	}
}

// executionAttributes is the schema of one execution, shared by every data
// source that returns executions.
func executionAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"id": schema.StringAttribute{
			Description: "Execution id (`id`, or `execution_id` in the later API shape).",
			Computed:    true,
		},
		"job_id": schema.StringAttribute{
			Description: "Id of the job the execution belongs to.",
			Computed:    true,
		},
		"account_alias": schema.StringAttribute{
			Description: "Short code of the account that owns the job.",
			Computed:    true,
		},
		"exit_status": schema.StringAttribute{
			Description: "Outcome as the API reports it (`exit_status`, or `status` in the later API " +
				"shape): `SUCCESS` or `FAILURE` once finished, and values such as `PENDING`, " +
				"`RUNNING`, `STOPPED` or `KILLED` otherwise. Unknown values are passed through. Null " +
				"when the API sent none.",
			Computed: true,
		},
		"start": schema.Int64Attribute{
			Description: "Start of the execution in epoch milliseconds, UTC. Null when not started.",
			Computed:    true,
		},
		"end": schema.Int64Attribute{
			Description: "End of the execution in epoch milliseconds, UTC. Null while it runs.",
			Computed:    true,
		},
		"start_time": schema.StringAttribute{
			Description: "`start` in RFC 3339 form, UTC, with milliseconds, such as " +
				"`2015-08-19T15:33:53.881Z`. Null when not started, or outside the years 0000 to " +
				"9999 that RFC 3339 can write.",
			Computed: true,
		},
		"end_time": schema.StringAttribute{
			Description: "`end` in RFC 3339 form, UTC, with milliseconds. Null while it runs, or " +
				"outside the years 0000 to 9999.",
			Computed: true,
		},
		"duration_ms": schema.Int64Attribute{
			Description: "`end` minus `start`, in milliseconds. Null while it runs.",
			Computed:    true,
		},
		"result": schema.MapNestedAttribute{
			Description: "Ansible's recap per host, keyed by host name. Null when the API sent no " +
				"result (the later API shape never does).",
			Computed: true,
			NestedObject: schema.NestedAttributeObject{
				Attributes: map[string]schema.Attribute{
					"ok":          countAttribute("Tasks that ran without change."),
					"changed":     countAttribute("Tasks that changed the host."),
					"unreachable": countAttribute("Times the host could not be reached."),
					"skipped":     countAttribute("Tasks skipped on the host."),
					"failures":    countAttribute("Tasks that failed on the host."),
				},
			},
		},
		"failed_hosts": schema.ListAttribute{
			Description: "Hosts the run failed on: `failed_hosts` as the API sent it or, where it " +
				"sent none, the hosts in `result` with `failures` or `unreachable` above zero, " +
				"sorted. Null when neither is known.",
			Computed:    true,
			ElementType: types.StringType,
		},
	}
}

func countAttribute(description string) schema.Int64Attribute {
	return schema.Int64Attribute{Description: description, Computed: true}
}

func (d *jobExecutionsDataSource) Configure(
	_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse,
) {
	if data := dataSourceData(req, resp); data != nil {
		d.data = data
	}
}

func (d *jobExecutionsDataSource) Read(
	ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse,
) {
	var config jobExecutionsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}

	filter, diags := newExecutionFilter(ctx, &config)
	resp.Diagnostics.Append(diags...)
	wait, diags := newWaitSettings(config.WaitForCompletion)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}

	jobID := config.JobID.ValueString()
	ctx, alias, ok := d.data.startRead(ctx, &resp.Diagnostics, config.AccountAlias, jobID)
	if !ok {
		return
	}

	read := func(ctx context.Context) ([]runner.Execution, error) {
		tflog.Debug(ctx, "Reading job executions")
		all, err := d.data.client.JobExecutions(ctx, alias, jobID)
		if err != nil {
			return nil, err
		}
		kept := filter.apply(all)
		tflog.Debug(ctx, "Read job executions", map[string]any{"count": len(all), "kept": len(kept)})
		return kept, nil
	}
	executions, err := pollUntilFinished(ctx, wait, read)
	if err != nil {
		if !addWaitError(&resp.Diagnostics, err) {
			addAPIError(&resp.Diagnostics, err, alias, jobID)
		}
		return
	}
	if len(executions) > largeReadThreshold {
		resp.Diagnostics.AddWarning("Large Number of Job Executions",
			fmt.Sprintf("The job %q in account %q has %d executions that match, more than %d. Every "+
				"plan reads them all and keeps them in the state, which slows plans down and "+
				"enlarges the state. If only recent runs matter, narrow the read with the data "+
				"source's filters, or shorten the job's execution TTL in the Runner service so that "+
				"old executions expire.", jobID, alias, len(executions), largeReadThreshold))
	}

	latest, diags := latestObject(ctx, executions)
	resp.Diagnostics.Append(diags...)
	counts, diags := statusCounts(executions)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}

	state := config
	state.ID = types.StringValue(alias + "/" + jobID)
	state.AccountAlias = types.StringValue(alias)
	state.Executions = types.ListNull(executionType)
	state.Latest = latest
	state.StatusCounts = counts
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}

	// The executions go in as one Terraform value: see valueEncoder.
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("executions"),
		newValueEncoder().executions(executions))...)
}

var (
	hostResultType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"ok":          types.Int64Type,
		"changed":     types.Int64Type,
		"unreachable": types.Int64Type,
		"skipped":     types.Int64Type,
		"failures":    types.Int64Type,
	}}
	executionType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"id":            types.StringType,
		"job_id":        types.StringType,
		"account_alias": types.StringType,
		"exit_status":   types.StringType,
		"start":         types.Int64Type,
		"end":           types.Int64Type,
		"start_time":    types.StringType,
		"end_time":      types.StringType,
		"duration_ms":   types.Int64Type,
		"result":        types.MapType{ElemType: hostResultType},
		"failed_hosts":  types.ListType{ElemType: types.StringType},
	}}
)

// executionObject returns one execution as a framework value of
// executionType, for data sources that return a single execution.
func executionObject(ctx context.Context, e *runner.Execution) (attr.Value, diag.Diagnostics) {
	var diags diag.Diagnostics

	value := newValueEncoder().execution(e)
	object, err := executionType.ValueFromTerraform(ctx, value)
	if err != nil {
		diags.AddError("Cannot Map Execution",
			fmt.Sprintf("The execution %q of job %q could not be turned into a Terraform value: %s. "+
				"This is a bug in the provider; please report it.", e.ID, e.JobID, err))
		return types.ObjectNull(executionType.AttrTypes), diags
	}

	return object, diags
}

// pathSegmentValidator rejects account aliases and job ids that cannot be
// one URL path segment.
type pathSegmentValidator struct{}

func (pathSegmentValidator) Description(context.Context) string {
	return "must be a non-empty id without surrounding spaces or control characters, and not . or .."
}

func (v pathSegmentValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (pathSegmentValidator) ValidateString(
	_ context.Context, req validator.StringRequest, resp *validator.StringResponse,
) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}

	value := req.ConfigValue.ValueString()
	if err := runner.CheckPathSegment(value); err != nil {
		title, example := "Job ID", "the job's id, such as d2b66469-5767-4426-9da0-efcebf82c7aa"
		switch {
		case req.Path.Equal(path.Root("account_alias")):
			title, example = "Account Alias", "the account's short code, such as WFAQ"
		case req.Path.Equal(path.Root("execution_id")):
			title, example = "Execution ID",
				"the execution's id, such as ba7e6f6a-2673-4580-a297-8d7e44483bd7"
		}
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+title,
			fmt.Sprintf("The value %q cannot be used: %s. Set it to %s.", value, err, example))
	}
}
