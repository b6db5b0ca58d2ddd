package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/clc-tf/terraform-provider-clc/internal/runner"
)

// Terraform types of the executions attribute, derived from the framework
// types of the schema so that the two cannot differ. They are held as
// tftypes.Type, so that passing one to tftypes.NewValue copies nothing.
var (
	hostResultTFType              = hostResultType.TerraformType(context.Background())
	executionTFType               = executionType.TerraformType(context.Background())
	executionsTFType tftypes.Type = tftypes.List{ElementType: executionTFType}
	resultTFType     tftypes.Type = tftypes.Map{ElementType: hostResultTFType}
	hostNamesTFType  tftypes.Type = tftypes.List{ElementType: tftypes.String}
	stringTFType     tftypes.Type = tftypes.String
	numberTFType     tftypes.Type = tftypes.Number
)

// Values made once and shared, since most executions have them.
var (
	nullString     = tftypes.NewValue(stringTFType, nil)
	nullNumber     = tftypes.NewValue(numberTFType, nil)
	nullResult     = tftypes.NewValue(resultTFType, nil)
	nullHostNames  = tftypes.NewValue(hostNamesTFType, nil)
	emptyHostNames = tftypes.NewValue(hostNamesTFType, []tftypes.Value{})

	// smallCounts are the numbers 0 to 1023: counts in a host recap are
	// nearly always below that.
	smallCounts = func() (values [1024]tftypes.Value) {
		for i := range values {
			values[i] = tftypes.NewValue(numberTFType, int64(i))
		}
		return values
	}()
)

// maxShared bounds how many recaps, and how many strings, one encoder keeps
// for sharing.
const maxShared = 4096

// valueEncoder builds the Terraform values of executions straight from the
// client's records. The framework's own way, attr values turned into
// Terraform values by State.Set, costs more than ten times as much for a
// large job (see the performance guide). Terraform values never change once
// made, so an encoder shares those that repeat within one read: small
// numbers, host recaps with the same counts, and job ids, account aliases
// and statuses.
type valueEncoder struct {
	recaps  map[runner.HostResult]tftypes.Value
	strings map[string]tftypes.Value
}

func newValueEncoder() *valueEncoder {
	return &valueEncoder{
		recaps:  make(map[runner.HostResult]tftypes.Value),
		strings: make(map[string]tftypes.Value),
	}
}

// executions returns the value of the executions attribute: a list, empty
// when there are no executions.
func (v *valueEncoder) executions(executions []runner.Execution) tftypes.Value {
	elements := make([]tftypes.Value, len(executions))
	for i := range executions {
		elements[i] = v.execution(&executions[i])
	}

	return tftypes.NewValue(executionsTFType, elements)
}

// execution returns the value of one execution, as executionAttributes
// describes it.
func (v *valueEncoder) execution(e *runner.Execution) tftypes.Value {
	duration := nullNumber
	if e.Start.Valid && e.End.Valid {
		duration = number(e.End.Millis - e.Start.Millis)
	}

	exitStatus := nullString
	if e.HasExitStatus {
		exitStatus = v.shared(e.ExitStatus)
	}

	return tftypes.NewValue(executionTFType, map[string]tftypes.Value{
		"id":            tftypes.NewValue(stringTFType, e.ID),
		"job_id":        v.shared(e.JobID),
		"account_alias": v.shared(e.AccountAlias),
		"exit_status":   exitStatus,
		"start":         epochNumber(e.Start),
		"end":           epochNumber(e.End),
		"start_time":    epochTime(e.Start),
		"end_time":      epochTime(e.End),
		"duration_ms":   duration,
		"result":        v.result(e.Result),
		"failed_hosts":  hostNames(e.FailedHosts),
	})
}

// result returns the per-host recaps, or null when the API sent none.
func (v *valueEncoder) result(hosts map[string]runner.HostResult) tftypes.Value {
	if hosts == nil {
		return nullResult
	}

	values := make(map[string]tftypes.Value, len(hosts))
	for host, r := range hosts {
		values[host] = v.recap(r)
	}

	return tftypes.NewValue(resultTFType, values)
}

func (v *valueEncoder) recap(r runner.HostResult) tftypes.Value {
	if value, ok := v.recaps[r]; ok {
		return value
	}

	value := tftypes.NewValue(hostResultTFType, map[string]tftypes.Value{
		"ok":          number(r.OK),
		"changed":     number(r.Changed),
		"unreachable": number(r.Unreachable),
		"skipped":     number(r.Skipped),
		"failures":    number(r.Failures),
	})
	if len(v.recaps) < maxShared {
		v.recaps[r] = value
	}

	return value
}

// shared returns the value of a string that repeats from one execution to
// the next.
func (v *valueEncoder) shared(s string) tftypes.Value {
	if value, ok := v.strings[s]; ok {
		return value
	}

	value := tftypes.NewValue(stringTFType, s)
	if len(v.strings) < maxShared {
		v.strings[s] = value
	}

	return value
}

func hostNames(names []string) tftypes.Value {
	switch {
	case names == nil:
		return nullHostNames
	case len(names) == 0:
		return emptyHostNames
	}

	values := make([]tftypes.Value, len(names))
	for i, name := range names {
		values[i] = tftypes.NewValue(stringTFType, name)
	}

	return tftypes.NewValue(hostNamesTFType, values)
}

func number(n int64) tftypes.Value {
	if n >= 0 && n < int64(len(smallCounts)) {
		return smallCounts[n]
	}

	return tftypes.NewValue(numberTFType, n)
}

func epochNumber(e runner.Epoch) tftypes.Value {
	if !e.Valid {
		return nullNumber
	}

	return tftypes.NewValue(numberTFType, e.Millis)
}

// timeLayout is RFC 3339 with exactly three fractional digits.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// epochTime writes an epoch as RFC 3339, which has four digits for the year:
// an instant outside the years 0000 to 9999 has no RFC 3339 form and is null
// (start and end still hold it).
func epochTime(e runner.Epoch) tftypes.Value {
	if !e.Valid {
		return nullString
	}

	t := time.UnixMilli(e.Millis).UTC()
	if t.Year() < 0 || t.Year() > 9999 {
		return nullString
	}

	return tftypes.NewValue(stringTFType, t.Format(timeLayout))
}
