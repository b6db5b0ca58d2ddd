package provider

import (
	"context"
	"fmt"
	"time"

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
		Description: "Reads every execution of one Runner job, newest first, with the per-host " +
			"results of each Ansible playbook run.",
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
				Description: "The job's executions, newest first by start time (executions without a " +
					"start time first; ties by id). Empty when the job has never run.",
				Computed:     true,
				NestedObject: schema.NestedAttributeObject{Attributes: executionAttributes()},
			},
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
				"`2015-08-19T15:33:53.881Z`.",
			Computed: true,
		},
		"end_time": schema.StringAttribute{
			Description: "`end` in RFC 3339 form, UTC, with milliseconds. Null while it runs.",
			Computed:    true,
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
	if req.ProviderData == nil {
		return
	}

	data, ok := req.ProviderData.(*providerData)
	if !ok {
		resp.Diagnostics.AddError("Unexpected Provider Data",
			fmt.Sprintf("The data source expected *providerData but got %T. This is a bug in the "+
				"provider; please report it.", req.ProviderData))
		return
	}
	d.data = data
}

func (d *jobExecutionsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var config jobExecutionsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if d.data == nil {
		resp.Diagnostics.AddError("Provider Not Configured",
			"The clc provider was not configured before the data source was read. This is a bug in "+
				"the provider; please report it.")
		return
	}
	ctx = maskSecrets(ctx, d.data.secrets)

	jobID := config.JobID.ValueString()
	alias := config.AccountAlias.ValueString()
	if alias == "" {
		var err error
		alias, err = d.data.client.AccountAlias(ctx)
		if err != nil {
			addAPIError(&resp.Diagnostics, err, "", jobID)
			return
		}
	}
	ctx = tflog.SetField(ctx, "account_alias", alias)
	ctx = tflog.SetField(ctx, "job_id", jobID)

	tflog.Debug(ctx, "Reading job executions")
	executions, err := d.data.client.JobExecutions(ctx, alias, jobID)
	if err != nil {
		addAPIError(&resp.Diagnostics, err, alias, jobID)
		return
	}
	tflog.Debug(ctx, "Read job executions", map[string]any{"count": len(executions)})

	list, diags := executionList(executions)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}

	state := jobExecutionsModel{
		ID:           types.StringValue(alias + "/" + jobID),
		JobID:        config.JobID,
		AccountAlias: types.StringValue(alias),
		Executions:   list,
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
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

// executionList builds the executions attribute directly from the client's
// records, never empty-handed: no executions give an empty list.
func executionList(executions []runner.Execution) (types.List, diag.Diagnostics) {
	var diags diag.Diagnostics

	elements := make([]attr.Value, 0, len(executions))
	for i := range executions {
		object, d := executionObject(&executions[i])
		diags.Append(d...)
		elements = append(elements, object)
	}
	if diags.HasError() {
		return types.ListNull(executionType), diags
	}

	list, d := types.ListValue(executionType, elements)
	diags.Append(d...)

	return list, diags
}

func executionObject(e *runner.Execution) (attr.Value, diag.Diagnostics) {
	var diags diag.Diagnostics

	duration := types.Int64Null()
	if e.Start.Valid && e.End.Valid {
		duration = types.Int64Value(e.End.Millis - e.Start.Millis)
	}

	result := types.MapNull(hostResultType)
	if e.Result != nil {
		hosts := make(map[string]attr.Value, len(e.Result))
		for host, r := range e.Result {
			object, d := types.ObjectValue(hostResultType.AttrTypes, map[string]attr.Value{
				"ok":          types.Int64Value(r.OK),
				"changed":     types.Int64Value(r.Changed),
				"unreachable": types.Int64Value(r.Unreachable),
				"skipped":     types.Int64Value(r.Skipped),
				"failures":    types.Int64Value(r.Failures),
			})
			diags.Append(d...)
			hosts[host] = object
		}
		var d diag.Diagnostics
		result, d = types.MapValue(hostResultType, hosts)
		diags.Append(d...)
	}

	failed := types.ListNull(types.StringType)
	if e.FailedHosts != nil {
		names := make([]attr.Value, len(e.FailedHosts))
		for i, name := range e.FailedHosts {
			names[i] = types.StringValue(name)
		}
		var d diag.Diagnostics
		failed, d = types.ListValue(types.StringType, names)
		diags.Append(d...)
	}

	exitStatus := types.StringNull()
	if e.HasExitStatus {
		exitStatus = types.StringValue(e.ExitStatus)
	}

	object, d := types.ObjectValue(executionType.AttrTypes, map[string]attr.Value{
		"id":            types.StringValue(e.ID),
		"job_id":        types.StringValue(e.JobID),
		"account_alias": types.StringValue(e.AccountAlias),
		"exit_status":   exitStatus,
		"start":         epochValue(e.Start),
		"end":           epochValue(e.End),
		"start_time":    timeValue(e.Start),
		"end_time":      timeValue(e.End),
		"duration_ms":   duration,
		"result":        result,
		"failed_hosts":  failed,
	})
	diags.Append(d...)

	return object, diags
}

func epochValue(e runner.Epoch) types.Int64 {
	if !e.Valid {
		return types.Int64Null()
	}

	return types.Int64Value(e.Millis)
}

// timeLayout is RFC 3339 with exactly three fractional digits.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

func timeValue(e runner.Epoch) types.String {
	if !e.Valid {
		return types.StringNull()
	}

	return types.StringValue(time.UnixMilli(e.Millis).UTC().Format(timeLayout))
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
		if req.Path.Equal(path.Root("account_alias")) {
			title, example = "Account Alias", "the account's short code, such as WFAQ"
		}
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+title,
			fmt.Sprintf("The value %q cannot be used: %s. Set it to %s.", value, err, example))
	}
}
