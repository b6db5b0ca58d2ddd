package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/clc-tf/terraform-provider-clc/internal/emulator"
)

// The examples read the job of the 2015 API page; tests replace its
// executions to give the outcome they need.
const (
	exampleExecution = "ba7e6f6a-2673-4580-a297-8d7e44483bd7"
	// t0 is the start of every execution tests add: 2026-01-01T00:00:00Z.
	t0 = 1767225600000
)

// example returns the provider block for e followed by the example file at
// name, below examples/, with each pair of replacements applied. A
// replacement that does not occur fails the test, so that an edit of the
// example cannot silently make a test meaningless.
func example(t *testing.T, e *emulator.Server, name string, replacements ...string) string {
	t.Helper()

	data, err := os.ReadFile(filepath.Join("..", "..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for i := 0; i+1 < len(replacements); i += 2 {
		if !strings.Contains(text, replacements[i]) {
			t.Fatalf("The example %s no longer holds %q", name, replacements[i])
		}
		text = strings.ReplaceAll(text, replacements[i], replacements[i+1])
	}

	return providerConfig(e) + text
}

// apiPageJobWith is the job of the examples with one more execution, the
// newest, in the later shape.
func apiPageJobWith(t *testing.T, id, status string, finished bool) emulator.Job {
	t.Helper()

	timer := map[string]any{"start": t0, "end": nil}
	if finished {
		timer["end"] = t0 + 60_000
	}
	newest, err := json.Marshal(map[string]any{
		"execution_id": id, "job_id": apiPageJob, "account_alias": "WFAQ", "status": status,
		"timers": []any{timer}, "failed_hosts": []string{},
	})
	if err != nil {
		t.Fatal(err)
	}

	jobs, err := emulator.Fixtures()
	if err != nil {
		t.Fatal(err)
	}
	for _, job := range jobs {
		if job.ID == apiPageJob {
			job.Executions = append(job.Executions, newest)
			return job
		}
	}
	t.Fatal("The fixtures have no job " + apiPageJob)

	return emulator.Job{}
}

// putJob replaces a job of a running emulator, from a PreConfig.
func putJob(t *testing.T, e *emulator.Server, job emulator.Job) func() {
	return func() {
		if err := e.PutJob(job); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAccExample_dataSource(t *testing.T) {
	e := startEmulator(t)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: example(t, e, "data-sources/clc_job_executions/data-source.tf"),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownOutputValueAtPath("latest_execution",
					tfjsonpath.New("id"), knownvalue.StringExact(exampleExecution)),
				statecheck.ExpectKnownOutputValue("exit_status_by_execution",
					knownvalue.MapExact(map[string]knownvalue.Check{
						exampleExecution:                       knownvalue.StringExact("SUCCESS"),
						"29a3c264-b8f1-4608-ab7d-34a1aae6f6b1": knownvalue.StringExact("SUCCESS"),
					})),
				statecheck.ExpectKnownValue("data.clc_job_executions.recent_deploys",
					tfjsonpath.New("executions"), knownvalue.ListSizeExact(1)),
				statecheck.ExpectKnownOutputValue("recent_failures", knownvalue.Int64Exact(0)),
			},
		}},
	})
}

// TestAccExample_gating applies the gating example after a successful run,
// then plans it again after a failed one, which the precondition stops.
func TestAccExample_gating(t *testing.T) {
	testGateExample(t, "data-sources/clc_job_executions/gating.tf",
		statecheck.ExpectKnownValue("terraform_data.rollout",
			tfjsonpath.New("triggers_replace"), knownvalue.StringExact(exampleExecution)),
		"Resource precondition failed",
		"The newest execution of the configuration job ended with FAILURE, not SUCCESS.")
}

// TestAccExample_postcondition applies the postcondition example after a
// successful run, then plans it after a failed one, which stops the plan.
func TestAccExample_postcondition(t *testing.T) {
	testGateExample(t, "data-sources/clc_job_executions/postcondition.tf",
		expectAt("data.clc_job_executions.deploy", knownvalue.StringExact("SUCCESS"),
			"latest", "exit_status"),
		"Resource postcondition failed",
		"The newest run of the deploy playbook did not succeed: FAILURE.")
}

// testGateExample applies the example at name while the newest run of its
// job is a success, with check, then adds a newer, failed run and expects
// the plan to fail with an error that holds each of want.
func testGateExample(t *testing.T, name string, check statecheck.StateCheck, want ...string) {
	e := startEmulator(t)
	config := example(t, e, name)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:            config,
				ConfigStateChecks: []statecheck.StateCheck{check},
			},
			{
				PreConfig:   putJob(t, e, apiPageJobWith(t, "failed-run", "FAILURE", true)),
				Config:      config,
				ExpectError: errorLike(want...),
			},
		},
	})
}

// TestAccExample_check applies the check example after a failed run: the
// apply succeeds, and the check fails with its message, which Terraform
// shows as a warning.
func TestAccExample_check(t *testing.T) {
	e := startEmulator(t)
	config := example(t, e, "data-sources/clc_job_executions/check.tf")

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config,
				// A data source inside a check block is read again on every
				// plan, so a plan is never empty.
				ExpectNonEmptyPlan: true,
				ConfigStateChecks: []statecheck.StateCheck{
					expectCheck("deploy_playbook", tfjson.CheckStatusPass, ""),
				},
			},
			{
				PreConfig:          putJob(t, e, apiPageJobWith(t, "failed-run", "FAILURE", true)),
				Config:             config,
				ExpectNonEmptyPlan: true,
				ConfigStateChecks: []statecheck.StateCheck{
					expectCheck("deploy_playbook", tfjson.CheckStatusFail,
						"The newest run of the deploy playbook did not succeed: FAILURE."),
				},
			},
		},
	})
}

// checkResult is a state check of the outcome of a check block.
type checkResult struct {
	name    string
	status  tfjson.CheckStatus
	problem string
}

// expectCheck checks that the check block name ended with status and, when
// problem is not empty, that it reported problem.
func expectCheck(name string, status tfjson.CheckStatus, problem string) statecheck.StateCheck {
	return checkResult{name: name, status: status, problem: problem}
}

func (c checkResult) CheckState(
	_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse,
) {
	if req.State == nil {
		resp.Error = fmt.Errorf("no state to find check %q in", c.name)
		return
	}

	for _, result := range req.State.Checks {
		if result.Address.Kind != tfjson.CheckKindCheckBlock || result.Address.Name != c.name {
			continue
		}
		if result.Status != c.status {
			resp.Error = fmt.Errorf("check %q is %s, want %s", c.name, result.Status, c.status)
			return
		}
		var problems []string
		for _, instance := range result.Instances {
			for _, p := range instance.Problems {
				problems = append(problems, p.Message)
			}
		}
		if c.problem != "" && !strings.Contains(strings.Join(problems, "\n"), c.problem) {
			resp.Error = fmt.Errorf("check %q reported %q, want %q", c.name, problems, c.problem)
		}
		return
	}

	resp.Error = fmt.Errorf("the state has no result of check %q", c.name)
}

// startFinishing starts an emulator whose example job has a running
// execution, newest, that finishes with status a second after the first
// request to watchedPath. The first read always sees it running, so only a
// read that waits can see it finish.
func startFinishing(t *testing.T, executionID, status, watchedPath string) *emulator.Server {
	t.Helper()

	jobs, err := emulator.Fixtures()
	if err != nil {
		t.Fatal(err)
	}
	for i := range jobs {
		if jobs[i].ID == apiPageJob {
			jobs[i] = apiPageJobWith(t, executionID, "RUNNING", false)
		}
	}

	var server *emulator.Server
	var once sync.Once
	ready := make(chan struct{})
	e := emulator.StartForTest(t, emulator.Config{
		Jobs: jobs,
		OnRequest: func(r emulator.Request) {
			if r.Path != watchedPath {
				return
			}
			once.Do(func() {
				<-ready
				err := server.ScheduleTransition("WFAQ", apiPageJob, executionID, status, time.Second)
				if err != nil {
					t.Error(err)
				}
			})
		},
	})
	server = e
	close(ready)

	return e
}

// TestAccExample_waitForNewest plans the waiting example while the newest
// run is still running: the plan already shows its final outcome.
func TestAccExample_waitForNewest(t *testing.T) {
	e := startFinishing(t, "running-run", "SUCCESS", "/jobs/WFAQ/"+apiPageJob+"/executions")

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: example(t, e, "data-sources/clc_job_executions/wait.tf",
				`poll_interval = "30s"`, `poll_interval = "200ms"`),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownOutputValue("deploy_outcome", knownvalue.StringExact("SUCCESS")),
				},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("terraform_data.after_deploy",
					tfjsonpath.New("input"), knownvalue.StringExact("running-run")),
				expectAt("data.clc_job_executions.deploy", knownvalue.NotNull(), "latest", "end"),
			},
		}},
	})
}

// TestAccExample_waitForOne plans the example of clc_job_execution while the
// execution is still running, and it finishes with FAILURE.
func TestAccExample_waitForOne(t *testing.T) {
	e := startFinishing(t, exampleExecution+"-rerun", "FAILURE",
		"/jobs/WFAQ/"+apiPageJob+"/executions/"+exampleExecution+"-rerun")

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: example(t, e, "data-sources/clc_job_execution/data-source.tf",
				`poll_interval = "30s"`, `poll_interval = "200ms"`,
				exampleExecution, exampleExecution+"-rerun"),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownOutputValue("deploy_succeeded", knownvalue.Bool(false)),
				},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				expectAt("data.clc_job_execution.deploy", knownvalue.StringExact("FAILURE"), "exit_status"),
				expectAt("data.clc_job_execution.deploy", knownvalue.NotNull(), "end_time"),
			},
		}},
	})
}
