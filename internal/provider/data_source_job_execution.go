package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
	_ datasource.DataSource                     = (*jobExecutionDataSource)(nil)
	_ datasource.DataSourceWithConfigure        = (*jobExecutionDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*jobExecutionDataSource)(nil)
)

func newJobExecutionDataSource() datasource.DataSource {
	return &jobExecutionDataSource{}
}

// jobExecutionDataSource reads one execution by id. Its attributes are those
// of an element of clc_job_executions' executions, plus execution_id and
// wait_for_completion; job_id and account_alias are arguments.
type jobExecutionDataSource struct {
	data *providerData
}

func (d *jobExecutionDataSource) Metadata(
	_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse,
) {
	resp.TypeName = req.ProviderTypeName + "_job_execution"
}

func (d *jobExecutionDataSource) Schema(
	_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse,
) {
	attributes := executionAttributes()
	attributes["job_id"] = schema.StringAttribute{
		Description: "Id of the job the execution belongs to.",
		Required:    true,
		Validators:  []validator.String{pathSegmentValidator{}},
	}
	attributes["account_alias"] = schema.StringAttribute{
		Description: "Short code of the account that owns the job. Defaults to the provider's " +
			"`account_alias`, or the account of the logged-in user.",
		Optional:   true,
		Computed:   true,
		Validators: []validator.String{pathSegmentValidator{}},
	}
	attributes["execution_id"] = schema.StringAttribute{
		Description: "Id of the execution to read, such as an element's `id` in " +
			"`clc_job_executions`. `id` repeats it.",
		Required:   true,
		Validators: []validator.String{pathSegmentValidator{}},
	}
	attributes["wait_for_completion"] = waitForCompletionAttribute("the execution")

	resp.Schema = schema.Schema{
		Description: "Reads one execution of a Runner job by its id, with the per-host results " +
			"of the Ansible playbook run; optionally waiting until it has finished.",
		Attributes: attributes,
	}
}

// ConfigValidators rejects a wait_for_completion whose poll_interval is
// longer than its timeout.
func (d *jobExecutionDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{pollWithinTimeout}
}

func (d *jobExecutionDataSource) Configure(
	_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse,
) {
	if data := dataSourceData(req, resp); data != nil {
		d.data = data
	}
}

func (d *jobExecutionDataSource) Read(
	ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse,
) {
	var jobID, executionID, configuredAlias types.String
	var waitConfig *waitForCompletionModel
	for name, target := range map[string]any{
		"job_id": &jobID, "execution_id": &executionID, "account_alias": &configuredAlias,
		"wait_for_completion": &waitConfig,
	} {
		resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root(name), target)...)
	}
	wait, diags := newWaitSettings(waitConfig)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}

	ctx, alias, ok := d.data.startRead(ctx, &resp.Diagnostics, configuredAlias, jobID.ValueString())
	if !ok {
		return
	}
	ctx = tflog.SetField(ctx, "execution_id", executionID.ValueString())

	read := func(ctx context.Context) ([]runner.Execution, error) {
		tflog.Debug(ctx, "Reading a job execution")
		e, err := d.data.client.JobExecution(ctx, alias, jobID.ValueString(), executionID.ValueString())
		if err != nil {
			return nil, err
		}
		return []runner.Execution{e}, nil
	}
	executions, err := pollUntilFinished(ctx, wait, read)
	if err != nil {
		addExecutionError(&resp.Diagnostics, err, alias, jobID.ValueString(), executionID.ValueString())
		return
	}

	value, diags := executionObject(ctx, &executions[0])
	object, diags := objectOf(value, diags)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}

	for name, v := range object.Attributes() {
		if name != "job_id" && name != "account_alias" {
			resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(name), v)...)
		}
	}
	for name, v := range map[string]any{
		"job_id": jobID, "account_alias": types.StringValue(alias), "execution_id": executionID,
		"wait_for_completion": waitConfig,
	} {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(name), v)...)
	}
}

// addExecutionError adds the diagnostic of a failed read of one execution:
// a 404 means the execution (or its job) is not there; other errors are
// those of any read.
func addExecutionError(diags *diag.Diagnostics, err error, alias, jobID, executionID string) {
	if addWaitError(diags, err) {
		return
	}

	var apiErr *runner.Error
	if !errors.As(err, &apiErr) || apiErr.Kind != runner.KindNotFound {
		addAPIError(diags, err, alias, jobID)
		return
	}

	message := ""
	if apiErr.Message != "" {
		message = fmt.Sprintf(" The API said: %q.", strings.TrimRight(apiErr.Message, "."))
	}
	diags.AddAttributeError(path.Root("execution_id"), "Execution Not Found",
		fmt.Sprintf("The Runner API has no execution %q of job %q in account %q (%s %s answered "+
			"404).%s Check execution_id, job_id and account_alias, and runner_url (or "+
			"CLC_RUNNER_URL).", executionID, jobID, alias, apiErr.Method, apiErr.Path, message))
}
