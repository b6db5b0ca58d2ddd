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
	message += attemptsNote(apiErr)

	switch apiErr.Kind {
	case runner.KindCredentialsRejected:
		diags.AddError("CLC Credentials Rejected",
			fmt.Sprintf("The CLC login (%s) rejected the username and password while reading %s.%s "+
				"Check username and password (or CLC_USERNAME and CLC_PASSWORD) against the Control "+
				"Portal, and api_url (or CLC_API_URL).", call, subject, message))
	case runner.KindLoginFailed:
		diags.AddError("CLC Login Failed",
			fmt.Sprintf("The CLC login (%s) answered HTTP %d while reading %s.%s Check api_url (or "+
				"CLC_API_URL): it must be the base URL of the CLC v2 API, where POST "+
				"/v2/authentication/login answers. A 5xx status is a fault of the service; try again "+
				"later.", call, apiErr.StatusCode, subject, message))
	case runner.KindTokenRejected:
		diags.AddError("Bearer Token Rejected",
			fmt.Sprintf("The Runner API answered 401 Unauthorized to %s while reading %s.%s The "+
				"configured bearer_token is expired, revoked or for another service. Get a new one "+
				"from the CLC login (POST /v2/authentication/login on api_url) and set bearer_token "+
				"(or CLC_BEARER_TOKEN) to it, or remove bearer_token and set username and password so "+
				"the provider logs in, and logs in again, itself.", call, subject, message))
	case runner.KindTokenRejectedAfterLogin:
		diags.AddError("Bearer Token Rejected After Login",
			fmt.Sprintf("The Runner API answered 401 Unauthorized to %s while reading %s, twice: the "+
				"provider logged in again after the first refusal, and the fresh token was refused "+
				"too.%s The user can log in but may not use the Runner API: check that api_url and "+
				"runner_url belong to the same CLC environment, and that the user has access to "+
				"Runner in the Control Portal.", call, subject, message))
	case runner.KindRateLimited:
		diags.AddError("Runner API Rate Limit",
			fmt.Sprintf("The Runner API answered 429 Too Many Requests to %s while reading %s.%s%s "+
				"Try again later, read fewer jobs at once, or raise max_retries (or CLC_MAX_RETRIES).",
				call, subject, message, retryAfterNote(apiErr)))
	case runner.KindTooLarge:
		diags.AddError("Runner API Answer Too Large",
			fmt.Sprintf("The answer to %s for %s was refused: %s. Raise max_response_bytes (or "+
				"CLC_MAX_RESPONSE_BYTES) if the job really has that many executions, or check that "+
				"runner_url points at the Runner API.", call, subject, apiErr.Err))
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
			fmt.Sprintf("The Runner API failed with HTTP %d on %s while reading %s.%s%s This is a fault "+
				"of the service; try again later.", apiErr.StatusCode, call, subject, message,
				retryAfterNote(apiErr)))
	case runner.KindMalformed:
		diags.AddError("Malformed Runner API Answer",
			fmt.Sprintf("The answer to %s (HTTP %d) for %s could not be read: %s. Check that runner_url "+
				"and api_url point at the Runner and CLC APIs.", call, apiErr.StatusCode, subject, apiErr.Err))
	case runner.KindTransport:
		diags.AddError("Runner API Unreachable",
			fmt.Sprintf("No complete answer came to %s while reading %s: %s.%s Check runner_url and "+
				"api_url, the network and any proxy (HTTPS_PROXY, NO_PROXY), the TLS settings "+
				"ca_cert_pem and insecure_skip_verify, or raise request_timeout.",
				call, subject, apiErr.Err, attemptsNote(apiErr)))
	case runner.KindMissingAccountAlias:
		diags.AddError("Missing Account Alias",
			fmt.Sprintf("No account alias is known for %s: %s. Set account_alias on the data source, "+
				"or on the provider (or CLC_ACCOUNT_ALIAS).", subject, apiErr.Message))
	default:
		diags.AddError("Unexpected Runner API Answer",
			fmt.Sprintf("%s answered HTTP %d while reading %s.%s", call, apiErr.StatusCode, subject, message))
	}
}

// retryAfterNote says why the provider stopped retrying when the API asked
// for a longer wait than it allows.
func retryAfterNote(apiErr *runner.Error) string {
	if apiErr.RetryAfter <= runner.MaxRetryAfter {
		return ""
	}

	return fmt.Sprintf(" The API asked to wait %s before trying again (Retry-After), longer than "+
		"the %s the provider waits, so it did not retry.", apiErr.RetryAfter, runner.MaxRetryAfter)
}

func attemptsNote(apiErr *runner.Error) string {
	if apiErr.Attempts <= 1 {
		return ""
	}

	return fmt.Sprintf(" The provider tried %d times.", apiErr.Attempts)
}
