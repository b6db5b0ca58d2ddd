package provider

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/clc-tf/terraform-provider-clc/internal/runner"
)

func TestExecutionFilter(t *testing.T) {
	at := func(s string) *time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return &v
	}
	execution := func(id, status string, start int64) runner.Execution {
		e := runner.Execution{ID: id, ExitStatus: status, HasExitStatus: status != ""}
		if start != 0 {
			e.Start = runner.Epoch{Millis: start, Valid: true}
		}
		return e
	}
	// Newest first, as the client returns them. t0 is 2026-01-01T00:00:00Z.
	const t0 = 1767225600000
	executions := []runner.Execution{
		execution("pending", "PENDING", 0),
		execution("no-status", "", t0+3000),
		execution("failure", "FAILURE", t0+2000),
		execution("success-2", "SUCCESS", t0+1000),
		execution("success-1", "SUCCESS", t0),
	}

	all := []string{"pending", "no-status", "failure", "success-2", "success-1"}

	tests := []struct {
		name   string
		filter executionFilter
		want   []string
	}{
		{"no filter", executionFilter{}, all},
		{
			"exit statuses, never one without a status",
			executionFilter{exitStatuses: map[string]bool{"SUCCESS": true, "FAILURE": true}},
			[]string{"failure", "success-2", "success-1"},
		},
		{
			"started after, inclusive, keeps the pending execution",
			executionFilter{startedAfter: at("2026-01-01T00:00:02Z")},
			[]string{"pending", "no-status", "failure"},
		},
		{
			"started before, exclusive, leaves out the pending execution",
			executionFilter{startedBefore: at("2026-01-01T00:00:02Z")},
			[]string{"success-2", "success-1"},
		},
		{
			"a window with millisecond precision",
			executionFilter{
				startedAfter:  at("2026-01-01T00:00:00.001Z"),
				startedBefore: at("2026-01-01T01:00:00+01:00"),
			},
			[]string{},
		},
		{"most recent", executionFilter{mostRecent: 2}, []string{"pending", "no-status"}},
		{
			"most recent after the other filters",
			executionFilter{exitStatuses: map[string]bool{"SUCCESS": true}, mostRecent: 1},
			[]string{"success-2"},
		},
		{"more than there are", executionFilter{mostRecent: 10}, all},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.filter.apply(executions)
			ids := make([]string, len(got))
			for i, e := range got {
				ids[i] = e.ID
			}
			if fmt.Sprint(ids) != fmt.Sprint(tt.want) {
				t.Errorf("kept %v, want %v", ids, tt.want)
			}
		})
	}
}

func TestStatusCounts(t *testing.T) {
	counts, diags := statusCounts([]runner.Execution{
		{ID: "a", ExitStatus: "SUCCESS", HasExitStatus: true},
		{ID: "b", ExitStatus: "FAILURE", HasExitStatus: true},
		{ID: "c", ExitStatus: "SUCCESS", HasExitStatus: true},
		{ID: "d"},
	})
	if diags.HasError() {
		t.Fatal(diags)
	}
	if got, want := counts.String(), `{"FAILURE":1,"SUCCESS":2}`; got != want {
		t.Errorf("status_counts = %s, want %s", got, want)
	}

	empty, _ := statusCounts(nil)
	if empty.IsNull() || len(empty.Elements()) != 0 {
		t.Errorf("status_counts of no executions = %s, want an empty map", empty)
	}
}

func TestAccJobExecutions_filters(t *testing.T) {
	e := startEmulator(t)
	id := func(n int) string { return fmt.Sprintf("c1c0e002-0000-4000-a000-%012d", n) }
	config := func(filters string) string {
		return providerConfig(e) + fmt.Sprintf(`
data "clc_job_executions" "test" {
  job_id = %q
  %s
}
`, laterShapeJob, filters)
	}
	ids := func(n ...int) knownvalue.Check {
		checks := make([]knownvalue.Check, len(n))
		for i, k := range n {
			checks[i] = knownvalue.ObjectPartial(map[string]knownvalue.Check{
				"id": knownvalue.StringExact(id(k)),
			})
		}
		return knownvalue.ListExact(checks)
	}
	counts := func(m map[string]int64) knownvalue.Check {
		checks := map[string]knownvalue.Check{}
		for k, v := range m {
			checks[k] = knownvalue.Int64Exact(v)
		}
		return knownvalue.MapExact(checks)
	}

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// No filter: every execution, and the counts of all of them.
				Config: config(""),
				ConfigStateChecks: []statecheck.StateCheck{
					expect(ids(5, 4, 3, 2, 1), "executions"),
					expect(knownvalue.StringExact(id(5)), "latest", "id"),
					expect(knownvalue.Int64Exact(1456880447000), "latest", "end"),
					expect(counts(map[string]int64{"SUCCESS": 2, "FAILURE": 1, "STOPPED": 1, "KILLED": 1}),
						"status_counts"),
					expect(knownvalue.Null(), "wait_for_completion"),
				},
			},
			{
				Config: config(`exit_statuses = ["SUCCESS", "FAILURE"]
  most_recent   = 2`),
				ConfigStateChecks: []statecheck.StateCheck{
					expect(ids(5, 2), "executions"),
					expect(knownvalue.StringExact("SUCCESS"), "latest", "exit_status"),
					expect(counts(map[string]int64{"SUCCESS": 1, "FAILURE": 1}), "status_counts"),
				},
			},
			{
				// From the start of id 2, inclusive, to the start of id 4, exclusive.
				Config: config(`started_after  = "2016-03-01T01:00:00Z"
  started_before = "2016-03-02T00:00:00.123Z"`),
				ConfigStateChecks: []statecheck.StateCheck{
					expect(ids(3, 2), "executions"),
					expect(knownvalue.StringExact(id(3)), "latest", "id"),
				},
			},
			{
				Config: config(`exit_statuses = ["INIT_FAILURE"]`),
				ConfigStateChecks: []statecheck.StateCheck{
					expect(knownvalue.ListExact([]knownvalue.Check{}), "executions"),
					expect(knownvalue.Null(), "latest"),
					expect(knownvalue.MapExact(map[string]knownvalue.Check{}), "status_counts"),
				},
			},
		},
	})
}

// TestAccJobExecutions_invalidFilters has no provider block: validation
// fails before the provider is configured or any request is made.
func TestAccJobExecutions_invalidFilters(t *testing.T) {
	config := func(filters string) string {
		return fmt.Sprintf(`
data "clc_job_executions" "test" {
  job_id = "job"
  %s
}
`, filters)
	}

	testErrors(t, []errorCase{
		{
			"most_recent zero", config(`most_recent = 0`),
			[]string{"Invalid Number of Executions", "most_recent is 0"},
		},
		{
			"started_after not RFC 3339", config(`started_after = "2026-01-02"`),
			[]string{"Invalid Time", "with data.clc_job_executions.test", `started_after = "2026-01-02"`},
		},
		{
			"started_before not RFC 3339", config(`started_before = "yesterday"`),
			[]string{"Invalid Time", `The value "yesterday" is not an RFC 3339 time`},
		},
		{
			"empty window",
			config(`started_after  = "2026-01-02T00:00:00Z"
  started_before = "2026-01-01T00:00:00Z"`),
			[]string{"Empty Time Window", "Swap the two values"},
		},
		{
			"no exit status", config(`exit_statuses = []`),
			[]string{"No Exit Status", "remove exit_statuses"},
		},
		{
			"exit status in lower case", config(`exit_statuses = ["success"]`),
			[]string{"Invalid Exit Status", `"success" cannot match`, `such as "SUCCESS"`},
		},
		{
			"timeout not a duration", config(`wait_for_completion = { timeout = "soon" }`),
			[]string{"Invalid Duration", `"soon" is not a duration`},
		},
		{
			"poll interval too short", config(`wait_for_completion = { poll_interval = "1ms" }`),
			[]string{"Duration Too Short", `"1ms" is shorter than the least allowed, 100ms`},
		},
		{
			"poll interval longer than timeout",
			config(`wait_for_completion = {
    timeout       = "1m"
    poll_interval = "2m"
  }`),
			[]string{
				"Poll Interval Longer Than Timeout", "poll_interval is 2m, longer than the timeout of 1m",
			},
		},
		{
			"default poll interval longer than timeout",
			config(`wait_for_completion = { timeout = "5s" }`),
			[]string{"Poll Interval Longer Than Timeout", "poll_interval is 10s"},
		},
	})
}
