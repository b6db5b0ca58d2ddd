package provider

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// described gives a validator the description the framework shows for it,
// the same in plain text and in Markdown.
type described string

func (d described) Description(context.Context) string { return string(d) }

func (d described) MarkdownDescription(context.Context) string { return string(d) }

// durationValidator accepts a Go duration such as "30s" or "15m" of at
// least min.
type durationValidator struct {
	described
	min time.Duration
}

func atLeastDuration(least time.Duration) durationValidator {
	return durationValidator{
		described: described(fmt.Sprintf(
			"must be a duration such as \"30s\" or \"15m\", of at least %s", least)),
		min: least,
	}
}

func (v durationValidator) ValidateString(
	_ context.Context, req validator.StringRequest, resp *validator.StringResponse,
) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}

	value := req.ConfigValue.ValueString()
	d, err := time.ParseDuration(value)
	switch {
	case err != nil:
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Duration",
			fmt.Sprintf("The value %q is not a duration. Use a number with a unit, such as \"30s\", "+
				"\"15m\" or \"1h30m\".", value))
	case d < v.min:
		resp.Diagnostics.AddAttributeError(req.Path, "Duration Too Short",
			fmt.Sprintf("The value %q is shorter than the least allowed, %s. Set it to %s or more.",
				value, v.min, v.min))
	}
}

// rfc3339Validator accepts an RFC 3339 time such as 2026-01-02T15:04:05Z.
type rfc3339Validator struct{ described }

var rfc3339Time = rfc3339Validator{"must be an RFC 3339 time such as 2026-01-02T15:04:05Z"}

func (rfc3339Validator) ValidateString(
	_ context.Context, req validator.StringRequest, resp *validator.StringResponse,
) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}

	value := req.ConfigValue.ValueString()
	if _, err := time.Parse(time.RFC3339, value); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Time",
			fmt.Sprintf("The value %q is not an RFC 3339 time. Write a date, time and offset, such as "+
				"\"2026-01-02T15:04:05Z\" or \"2026-01-02T16:04:05+01:00\", or use a function such as "+
				"timeadd(plantimestamp(), \"-24h\").", value))
	}
}

// mostRecentValidator accepts a most_recent of 1 or more.
type mostRecentValidator struct{ described }

func (mostRecentValidator) ValidateInt64(
	_ context.Context, req validator.Int64Request, resp *validator.Int64Response,
) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}

	if n := req.ConfigValue.ValueInt64(); n < 1 {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Number of Executions",
			fmt.Sprintf("most_recent is %d, but it must be at least 1. Set it to how many of the newest "+
				"executions to keep, or remove it to keep them all.", n))
	}
}

// exitStatusesValidator accepts a non-empty set of exit statuses written as
// the API writes them: upper case, without spaces.
type exitStatusesValidator struct{ described }

func (exitStatusesValidator) ValidateSet(
	_ context.Context, req validator.SetRequest, resp *validator.SetResponse,
) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}

	elements := req.ConfigValue.Elements()
	if len(elements) == 0 {
		resp.Diagnostics.AddAttributeError(req.Path, "No Exit Status",
			"exit_statuses is empty, so no execution could match. List the statuses to keep, such as "+
				"[\"SUCCESS\", \"FAILURE\"], or remove exit_statuses to keep every execution.")
		return
	}

	for _, element := range elements {
		s, ok := element.(types.String)
		if !ok || s.IsNull() || s.IsUnknown() {
			continue
		}
		value := s.ValueString()
		if value == "" || strings.ContainsFunc(value, unicode.IsSpace) ||
			strings.ToUpper(value) != value {
			resp.Diagnostics.AddAttributeError(req.Path, "Invalid Exit Status",
				fmt.Sprintf("The exit status %q cannot match any execution: statuses are matched "+
					"exactly, and the Runner API writes them in upper case without spaces. Use a status "+
					"such as %q.", value, exitStatusExample(value)))
		}
	}
}

// exitStatusExample suggests the status a user probably meant.
func exitStatusExample(value string) string {
	s := strings.ToUpper(strings.Join(strings.Fields(value), "_"))
	if s == "" {
		return "SUCCESS"
	}

	return s
}
