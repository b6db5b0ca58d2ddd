package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/clc-tf/terraform-provider-clc/internal/runner"
)

// Defaults and bounds of wait_for_completion.
const (
	defaultWaitTimeout  = "15m"
	defaultPollInterval = "10s"
	minPollInterval     = 100 * time.Millisecond
)

// finished tells whether an execution has ended (see runner.Execution.Finished).
func finished(e *runner.Execution) bool {
	return e.Finished()
}

type waitForCompletionModel struct {
	Timeout      types.String `tfsdk:"timeout"`
	PollInterval types.String `tfsdk:"poll_interval"`
}

// waitForCompletionAttribute is the wait_for_completion schema; watched
// says which execution the read waits for.
func waitForCompletionAttribute(watched string) schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		Description: "When set, the read does not return while " + watched + " is still running " +
			"(it has no end time, and its status is `PENDING`, `INITIALIZING`, `RUNNING`, " +
			"`STOPPING`, `KILLING` or missing): it reads again every `poll_interval` until the " +
			"execution has finished, " +
			"then returns what it read last. When `timeout` has passed and the execution is still " +
			"running, the read fails with an error that names the execution and its status. " +
			"Interrupting Terraform ends the wait at once. `{}` waits with the defaults.",
		Optional: true,
		Attributes: map[string]schema.Attribute{
			"timeout": schema.StringAttribute{
				Description: "How long to wait at most, as a duration such as `30m` or `1h`. Default: `" +
					defaultWaitTimeout + "`. The last read starts at the latest when the timeout " +
					"ends, and may take up to the provider's `request_timeout`.",
				Optional:   true,
				Computed:   true,
				Validators: []validator.String{atLeastDuration(time.Millisecond)},
			},
			"poll_interval": schema.StringAttribute{
				Description: "How long to pause between two reads, as a duration such as `10s`; at " +
					"least `" + minPollInterval.String() + "` and at most `timeout`. Default: `" +
					defaultPollInterval + "`.",
				Optional:   true,
				Computed:   true,
				Validators: []validator.String{atLeastDuration(minPollInterval)},
			},
		},
	}
}

// waitSettings is a parsed wait_for_completion.
type waitSettings struct {
	timeout      time.Duration
	pollInterval time.Duration
}

// newWaitSettings parses wait_for_completion and fills in the defaults of
// the attributes left out, so that the state shows them. It returns nil when
// wait_for_completion is not set.
func newWaitSettings(w *waitForCompletionModel) (*waitSettings, diag.Diagnostics) {
	var diags diag.Diagnostics
	if w == nil {
		return nil, diags
	}

	if w.Timeout.IsNull() {
		w.Timeout = types.StringValue(defaultWaitTimeout)
	}
	if w.PollInterval.IsNull() {
		w.PollInterval = types.StringValue(defaultPollInterval)
	}

	timeout, errTimeout := time.ParseDuration(w.Timeout.ValueString())
	interval, errInterval := time.ParseDuration(w.PollInterval.ValueString())
	if err := errors.Join(errTimeout, errInterval); err != nil {
		diags.AddAttributeError(path.Root("wait_for_completion"), "Invalid Duration",
			fmt.Sprintf("wait_for_completion could not be read: %s. This should have been caught at "+
				"plan time and is a bug in the provider; please report it.", err))
		return nil, diags
	}

	return &waitSettings{timeout: timeout, pollInterval: interval}, diags
}

// waitError says why a wait for an execution ended before the execution
// finished.
type waitError struct {
	// execution is the one waited for, as last read.
	execution runner.Execution
	waited    time.Duration
	timeout   time.Duration
	// cancelled is true when Terraform cancelled the read, false when the
	// timeout passed.
	cancelled bool
}

func (e *waitError) Error() string {
	if e.cancelled {
		return fmt.Sprintf("the wait for execution %s was cancelled", e.execution.ID)
	}

	return fmt.Sprintf("execution %s is still running after %s", e.execution.ID, e.waited)
}

// pollUntilFinished calls read, which returns executions newest first, and,
// when w is not nil, calls it again every poll interval while the first
// execution it returns has not finished. It returns the last executions
// read, a *waitError when the timeout passes or ctx ends first, or the
// error of read.
func pollUntilFinished(
	ctx context.Context, w *waitSettings, read func(context.Context) ([]runner.Execution, error),
) ([]runner.Execution, error) {
	executions, err := read(ctx)
	if err != nil || w == nil {
		return executions, err
	}

	started := time.Now()
	deadline := started.Add(w.timeout)
	for len(executions) > 0 && !finished(&executions[0]) {
		watched := executions[0]
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return nil, &waitError{execution: watched, waited: time.Since(started), timeout: w.timeout}
		}
		tflog.Debug(ctx, "Waiting for an execution to finish", map[string]any{
			"execution_id": watched.ID, "exit_status": watched.ExitStatus,
			"waited_ms": time.Since(started).Milliseconds(),
		})

		timer := time.NewTimer(min(w.pollInterval, remaining))
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, &waitError{execution: watched, waited: time.Since(started), cancelled: true}
		case <-timer.C:
		}

		executions, err = read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil, &waitError{execution: watched, waited: time.Since(started), cancelled: true}
			}
			return nil, err
		}
	}

	return executions, nil
}

// addWaitError adds the diagnostic of a *waitError and tells whether err
// was one.
func addWaitError(diags *diag.Diagnostics, err error) bool {
	var waitErr *waitError
	if !errors.As(err, &waitErr) {
		return false
	}

	e := &waitErr.execution
	subject := fmt.Sprintf("execution %q of job %q in account %q", e.ID, e.JobID, e.AccountAlias)
	status := "without a status"
	if e.HasExitStatus {
		status = e.ExitStatus
	}
	waited := roundDuration(waitErr.waited)

	if waitErr.cancelled {
		diags.AddAttributeError(path.Root("wait_for_completion"), "Wait Cancelled",
			fmt.Sprintf("Waiting for %s to finish was cancelled after %s; it was last %s. Run "+
				"Terraform again to read it again.", subject, waited, status))
		return true
	}

	diags.AddAttributeError(path.Root("wait_for_completion").AtName("timeout"),
		"Execution Still Running",
		fmt.Sprintf("After waiting %s (the timeout is %s), %s is still %s. Raise "+
			"wait_for_completion.timeout if the run takes longer, or check in the Runner service "+
			"whether it is stuck.", waited, waitErr.timeout, subject, status))

	return true
}

// roundDuration rounds d for a message: to the second from one second up,
// to the millisecond below.
func roundDuration(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(time.Second)
	}

	return d.Round(time.Millisecond)
}

// waitConfigValidator checks that poll_interval is not longer than timeout.
type waitConfigValidator struct{ described }

var pollWithinTimeout = waitConfigValidator{
	"wait_for_completion.poll_interval must not be longer than wait_for_completion.timeout",
}

func (waitConfigValidator) ValidateDataSource(
	ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse,
) {
	var object types.Object
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("wait_for_completion"), &object)...)
	if object.IsNull() || object.IsUnknown() {
		return
	}
	var w waitForCompletionModel
	resp.Diagnostics.Append(object.As(ctx, &w, basetypes.ObjectAsOptions{})...)
	if resp.Diagnostics.HasError() || w.Timeout.IsUnknown() || w.PollInterval.IsUnknown() {
		return
	}

	settings, diags := newWaitSettings(&w)
	if diags.HasError() {
		return // The attribute validators report what does not parse.
	}
	// A timeout or interval out of range has its own error; comparing them
	// then would only add advice that contradicts it.
	inRange := settings.timeout > 0 && settings.pollInterval >= minPollInterval
	if inRange && settings.pollInterval > settings.timeout {
		resp.Diagnostics.AddAttributeError(path.Root("wait_for_completion").AtName("poll_interval"),
			"Poll Interval Longer Than Timeout",
			fmt.Sprintf("poll_interval is %s, longer than the timeout of %s, so the read could not "+
				"poll before it times out. Set poll_interval to %s or less, or raise timeout.",
				w.PollInterval.ValueString(), w.Timeout.ValueString(), w.Timeout.ValueString()))
	}
}
