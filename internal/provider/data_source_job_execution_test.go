package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/clc-tf/terraform-provider-clc/internal/emulator"
)

// expectOne checks one attribute path of data.clc_job_execution.test.
func expectOne(check knownvalue.Check, attribute string, steps ...any) statecheck.StateCheck {
	return expectAt("data.clc_job_execution.test", check, attribute, steps...)
}

func oneExecutionConfig(e *emulator.Server, jobID, executionID, more string) string {
	return providerConfig(e) + fmt.Sprintf(`
data "clc_job_execution" "test" {
  job_id       = %q
  execution_id = %q
  %s
}
`, jobID, executionID, more)
}

func TestAccJobExecution_apiPage(t *testing.T) {
	e := startEmulator(t)
	const executionID = "29a3c264-b8f1-4608-ab7d-34a1aae6f6b1"

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: oneExecutionConfig(e, apiPageJob, executionID, ""),
			ConfigStateChecks: []statecheck.StateCheck{
				expectOne(knownvalue.StringExact(executionID), "id"),
				expectOne(knownvalue.StringExact(executionID), "execution_id"),
				expectOne(knownvalue.StringExact(apiPageJob), "job_id"),
				expectOne(knownvalue.StringExact("WFAQ"), "account_alias"),
				expectOne(knownvalue.StringExact("SUCCESS"), "exit_status"),
				expectOne(knownvalue.Int64Exact(1439998433881), "start"),
				expectOne(knownvalue.Int64Exact(1439998433889), "end"),
				expectOne(knownvalue.StringExact("2015-08-19T15:33:53.881Z"), "start_time"),
				expectOne(knownvalue.StringExact("2015-08-19T15:33:53.889Z"), "end_time"),
				expectOne(knownvalue.Int64Exact(8), "duration_ms"),
				expectOne(knownvalue.MapSizeExact(1), "result"),
				expectOne(hostCounts(3, 1, 0, 0, 0), "result", "localhost"),
				expectOne(hostList(), "failed_hosts"),
				expectOne(knownvalue.Null(), "wait_for_completion"),
			},
		}},
	})
}

func TestAccJobExecution_laterShape(t *testing.T) {
	e := startEmulator(t)
	const executionID = "c1c0e002-0000-4000-a000-000000000002"

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: oneExecutionConfig(e, laterShapeJob, executionID, `account_alias = "WFAQ"`),
			ConfigStateChecks: []statecheck.StateCheck{
				expectOne(knownvalue.StringExact(executionID), "id"),
				expectOne(knownvalue.StringExact("FAILURE"), "exit_status"),
				expectOne(hostList("web-2"), "failed_hosts"),
				expectOne(knownvalue.Null(), "result"),
				expectOne(knownvalue.Int64Exact(93512), "duration_ms"),
			},
		}},
	})
}

// TestAccJobExecution_finishedNeedsNoWait reads a finished execution with
// wait_for_completion: one read, and the defaults appear in the state.
func TestAccJobExecution_finishedNeedsNoWait(t *testing.T) {
	e := startEmulator(t)
	const executionID = "c1c0e003-0000-4000-a000-000000000001"

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: oneExecutionConfig(e, runningJob, executionID, `wait_for_completion = {}`),
			ConfigStateChecks: []statecheck.StateCheck{
				expectOne(knownvalue.StringExact("SUCCESS"), "exit_status"),
				expectOne(knownvalue.ObjectExact(map[string]knownvalue.Check{
					"timeout":       knownvalue.StringExact("15m"),
					"poll_interval": knownvalue.StringExact("10s"),
				}), "wait_for_completion"),
			},
		}},
	})
}

func TestAccJobExecution_errors(t *testing.T) {
	e := startEmulator(t)
	const running = "c1c0e003-0000-4000-a000-000000000003"

	testErrors(t, []errorCase{
		{
			name:   "unknown execution",
			config: oneExecutionConfig(e, apiPageJob, "no-such-execution", ""),
			want: []string{"Execution Not Found",
				`no execution "no-such-execution" of job "` + apiPageJob + `" in account "WFAQ"`,
				"GET /jobs/WFAQ/" + apiPageJob + "/executions/no-such-execution answered 404",
				`The API said: "Execution no-such-execution not found`, "Check execution_id"},
		},
		{
			name:   "unknown job",
			config: oneExecutionConfig(e, "no-such-job", "e", ""),
			want: []string{"Execution Not Found", `of job "no-such-job" in account "WFAQ"`,
				`The API said: "Job no-such-job not found in account WFAQ"`},
		},
		{
			name: "poll interval longer than timeout",
			config: oneExecutionConfig(e, apiPageJob, "e", `wait_for_completion = {
    timeout       = "1s"
    poll_interval = "2s"
  }`),
			want: []string{"Poll Interval Longer Than Timeout", "poll_interval is 2s"},
		},
		{
			name:   "relative execution id",
			config: oneExecutionConfig(e, apiPageJob, "..", ""),
			want:   []string{"Invalid Execution ID", `".." is a relative path segment`},
		},
		{
			name: "still running after the timeout",
			config: oneExecutionConfig(e, runningJob, running, `wait_for_completion = {
    timeout       = "500ms"
    poll_interval = "100ms"
  }`),
			want: []string{"Execution Still Running", "(the timeout is 500ms)",
				`execution "` + running + `" of job "` + runningJob + `" in account "WFAQ" is still RUNNING`},
		},
	})
}

// errorCase is a configuration whose plan must fail with an error that
// holds each of want, in order.
type errorCase struct {
	name   string
	config string
	want   []string
}

// testErrors runs each case as a parallel subtest.
func testErrors(t *testing.T, cases []errorCase) {
	t.Helper()

	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      tt.config,
					ExpectError: errorLike(tt.want...),
				}},
			})
		})
	}
}
