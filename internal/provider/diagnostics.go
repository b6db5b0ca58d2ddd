package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/clc-tf/terraform-provider-clc/internal/runner"
)

// addAPIError turns an error of the Runner client into a diagnostic that
// names the job, the account and the call, and says what to do. It never
// repeats a secret: the client's errors hold none.
func addAPIError(diags *diag.Diagnostics, err error, alias, jobID string) {
	subject := fmt.Sprintf("job %q in account %q", jobID, alias)
	if alias == "" {
		subject = fmt.Sprintf("job %q", jobID)
	}

	var apiErr *runner.Error
	if !errors.As(err, &apiErr) {
		switch {
		case errors.Is(err, context.Canceled):
			diags.AddError("Read Cancelled",
				fmt.Sprintf("Reading the executions of %s was cancelled before it finished.", subject))
		case errors.Is(err, context.DeadlineExceeded):
			diags.AddError("Read Timed Out",
				fmt.Sprintf("Reading the executions of %s ran out of time: %s.", subject, err))
		default:
			diags.AddError("Cannot Read Job Executions",
				fmt.Sprintf("Reading the executions of %s failed: %s.", subject, err))
		}
		return
	}

	call := apiErr.Method + " " + apiErr.Path
	message := ""
	if apiErr.Message != "" {
		message = fmt.Sprintf(" The API said: %q.", strings.TrimRight(apiErr.Message, "."))
	}

	switch apiErr.Kind {
	case runner.KindCredentialsRejected:
		diags.AddError("CLC Credentials Rejected",
			fmt.Sprintf("The CLC login (%s) rejected the username and password while reading %s.%s "+
				"Check username and password (or CLC_USERNAME and CLC_PASSWORD) against the Control "+
				"Portal, and api_url (or CLC_API_URL).", call, subject, message))
	case runner.KindTokenRejected:
		diags.AddError("Bearer Token Rejected",
			fmt.Sprintf("The Runner API answered 401 Unauthorized to %s while reading %s.%s The token "+
				"is expired, revoked or for another service. Log in again for a new token, or remove "+
				"bearer_token (CLC_BEARER_TOKEN) and set username and password so the provider logs in "+
				"itself.", call, subject, message))
	case runner.KindForbidden:
		diags.AddError("Access to Job Denied",
			fmt.Sprintf("The Runner API answered 403 Forbidden to %s: the user may not read %s.%s "+
				"Check account_alias, and ask an account administrator for access.", call, subject, message))
	case runner.KindNotFound:
		diags.AddError("Job Not Found",
			fmt.Sprintf("The Runner API has no %s (%s answered 404).%s Check job_id and account_alias, "+
				"and runner_url (or CLC_RUNNER_URL).", subject, call, message))
	case runner.KindBadRequest:
		diags.AddError("Request Rejected by the Runner API",
			fmt.Sprintf("The Runner API answered 400 Bad Request to %s while reading %s.%s Check "+
				"job_id and account_alias.", call, subject, message))
	case runner.KindServer:
		diags.AddError("Runner API Server Error",
			fmt.Sprintf("The Runner API failed with HTTP %d on %s while reading %s.%s This is a fault "+
				"of the service; try again later.", apiErr.StatusCode, call, subject, message))
	case runner.KindMalformed:
		diags.AddError("Malformed Runner API Answer",
			fmt.Sprintf("The answer to %s (HTTP %d) for %s could not be read: %s. Check that runner_url "+
				"and api_url point at the Runner and CLC APIs.", call, apiErr.StatusCode, subject, apiErr.Err))
	case runner.KindTransport:
		diags.AddError("Runner API Unreachable",
			fmt.Sprintf("No answer came to %s while reading %s: %s. Check runner_url and api_url, the "+
				"network and any proxy, or raise request_timeout.", call, subject, apiErr.Err))
	case runner.KindMissingAccountAlias:
		diags.AddError("Missing Account Alias",
			fmt.Sprintf("No account alias is known for %s: a bearer token does not tell the account. "+
				"Set account_alias on the data source, or on the provider (or CLC_ACCOUNT_ALIAS).", subject))
	default:
		diags.AddError("Unexpected Runner API Answer",
			fmt.Sprintf("%s answered HTTP %d while reading %s.%s", call, apiErr.StatusCode, subject, message))
	}
}
