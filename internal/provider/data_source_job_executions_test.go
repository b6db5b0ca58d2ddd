package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/clc-tf/terraform-provider-clc/internal/emulator"
)

// Job ids of the emulator's fixtures (internal/emulator/fixtures).
const (
	apiPageJob    = "d2b66469-5767-4426-9da0-efcebf82c7aa"
	laterShapeJob = "c1c0e000-0000-4000-8000-000000000002"
	runningJob    = "c1c0e000-0000-4000-8000-000000000003"
	failureJob    = "c1c0e000-0000-4000-8000-000000000004"
	manyHostsJob  = "c1c0e000-0000-4000-8000-000000000005"
	emptyJob      = "c1c0e000-0000-4000-8000-000000000006"
	emptyPagedJob = "c1c0e000-0000-4000-8000-000000000007"
)

func dataSourceConfig(e *emulator.Server, jobID string) string {
	return providerConfig(e) + fmt.Sprintf(`
data "clc_job_executions" "test" {
  job_id = %q
}
`, jobID)
}

// expect checks one attribute path of data.clc_job_executions.test.
func expect(check knownvalue.Check, attribute string, steps ...any) statecheck.StateCheck {
	return expectAt("data.clc_job_executions.test", check, attribute, steps...)
}

// expectAt checks one attribute path of the resource or data source at
// address: attribute, then a map key for each string step and a list index
// for each int step.
func expectAt(
	address string, check knownvalue.Check, attribute string, steps ...any,
) statecheck.StateCheck {
	p := tfjsonpath.New(attribute)
	for _, s := range steps {
		switch s := s.(type) {
		case string:
			p = p.AtMapKey(s)
		case int:
			p = p.AtSliceIndex(s)
		}
	}

	return statecheck.ExpectKnownValue(address, p, check)
}

// hostCounts is the knownvalue check of one host's recap.
func hostCounts(ok, changed, unreachable, skipped, failures int64) knownvalue.Check {
	return knownvalue.ObjectExact(map[string]knownvalue.Check{
		"ok":          knownvalue.Int64Exact(ok),
		"changed":     knownvalue.Int64Exact(changed),
		"unreachable": knownvalue.Int64Exact(unreachable),
		"skipped":     knownvalue.Int64Exact(skipped),
		"failures":    knownvalue.Int64Exact(failures),
	})
}

func hostList(values ...string) knownvalue.Check {
	checks := make([]knownvalue.Check, len(values))
	for i, v := range values {
		checks[i] = knownvalue.StringExact(v)
	}

	return knownvalue.ListExact(checks)
}

func TestAccJobExecutions_apiPage(t *testing.T) {
	e := startEmulator(t)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: dataSourceConfig(e, apiPageJob),
			ConfigStateChecks: []statecheck.StateCheck{
				expect(knownvalue.StringExact("WFAQ/"+apiPageJob), "id"),
				expect(knownvalue.StringExact(apiPageJob), "job_id"),
				expect(knownvalue.StringExact("WFAQ"), "account_alias"),
				// Newest first: the second record of the page started later.
				expect(knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectExact(map[string]knownvalue.Check{
						"id":            knownvalue.StringExact("ba7e6f6a-2673-4580-a297-8d7e44483bd7"),
						"job_id":        knownvalue.StringExact(apiPageJob),
						"account_alias": knownvalue.StringExact("WFAQ"),
						"exit_status":   knownvalue.StringExact("SUCCESS"),
						"start":         knownvalue.Int64Exact(1439999024933),
						"end":           knownvalue.Int64Exact(1439999024941),
						"start_time":    knownvalue.StringExact("2015-08-19T15:43:44.933Z"),
						"end_time":      knownvalue.StringExact("2015-08-19T15:43:44.941Z"),
						"duration_ms":   knownvalue.Int64Exact(8),
						"result": knownvalue.MapExact(map[string]knownvalue.Check{
							"localhost": hostCounts(3, 0, 0, 0, 0),
						}),
						"failed_hosts": knownvalue.ListExact([]knownvalue.Check{}),
					}),
					knownvalue.ObjectExact(map[string]knownvalue.Check{
						"id":            knownvalue.StringExact("29a3c264-b8f1-4608-ab7d-34a1aae6f6b1"),
						"job_id":        knownvalue.StringExact(apiPageJob),
						"account_alias": knownvalue.StringExact("WFAQ"),
						"exit_status":   knownvalue.StringExact("SUCCESS"),
						"start":         knownvalue.Int64Exact(1439998433881),
						"end":           knownvalue.Int64Exact(1439998433889),
						"start_time":    knownvalue.StringExact("2015-08-19T15:33:53.881Z"),
						"end_time":      knownvalue.StringExact("2015-08-19T15:33:53.889Z"),
						"duration_ms":   knownvalue.Int64Exact(8),
						"result": knownvalue.MapExact(map[string]knownvalue.Check{
							"localhost": hostCounts(3, 1, 0, 0, 0),
						}),
						"failed_hosts": knownvalue.ListExact([]knownvalue.Check{}),
					}),
				}), "executions"),
			},
		}},
	})
}

func TestAccJobExecutions_laterShape(t *testing.T) {
	e := startEmulator(t)
	id := func(n int) string { return fmt.Sprintf("c1c0e002-0000-4000-a000-%012d", n) }

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: dataSourceConfig(e, laterShapeJob),
			ConfigStateChecks: []statecheck.StateCheck{
				expect(knownvalue.ListSizeExact(5), "executions"),
				// Ordered by start time, newest first.
				expect(knownvalue.StringExact(id(5)), "executions", 0, "id"),
				expect(knownvalue.StringExact(id(4)), "executions", 1, "id"),
				expect(knownvalue.StringExact(id(3)), "executions", 2, "id"),
				expect(knownvalue.StringExact(id(2)), "executions", 3, "id"),
				expect(knownvalue.StringExact(id(1)), "executions", 4, "id"),
				// status becomes exit_status; the later shape has no result.
				expect(knownvalue.StringExact("KILLED"), "executions", 1, "exit_status"),
				expect(knownvalue.Null(), "executions", 1, "result"),
				// An epoch written as 1.456876800123e12 stays exact.
				expect(knownvalue.Int64Exact(1456876800123), "executions", 1, "start"),
				expect(knownvalue.StringExact("2016-03-02T00:02:03.000Z"), "executions", 1, "end_time"),
				// failed_hosts [0] names no host.
				expect(hostList(), "executions", 1, "failed_hosts"),
				// A restarted execution: first timer's start, last timer's end.
				expect(knownvalue.Int64Exact(1456797600000), "executions", 2, "start"),
				expect(knownvalue.Int64Exact(1456797912345), "executions", 2, "end"),
				expect(knownvalue.Int64Exact(312345), "executions", 2, "duration_ms"),
				expect(knownvalue.StringExact("FAILURE"), "executions", 3, "exit_status"),
				expect(hostList("web-2"), "executions", 3, "failed_hosts"),
				expect(knownvalue.StringExact(laterShapeJob), "executions", 3, "job_id"),
				expect(knownvalue.StringExact("WFAQ"), "executions", 3, "account_alias"),
			},
		}},
	})
}

func TestAccJobExecutions_running(t *testing.T) {
	e := startEmulator(t)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: dataSourceConfig(e, runningJob),
			ConfigStateChecks: []statecheck.StateCheck{
				// Not started yet: first, with every time attribute null.
				expect(knownvalue.StringExact("PENDING"), "executions", 0, "exit_status"),
				expect(knownvalue.Null(), "executions", 0, "start"),
				expect(knownvalue.Null(), "executions", 0, "start_time"),
				expect(knownvalue.Null(), "executions", 0, "end"),
				expect(knownvalue.Null(), "executions", 0, "duration_ms"),
				// Running after a restart: started, not ended.
				expect(knownvalue.StringExact("RUNNING"), "executions", 1, "exit_status"),
				expect(knownvalue.Int64Exact(1456966800000), "executions", 1, "start"),
				expect(knownvalue.StringExact("2016-03-03T01:00:00.000Z"), "executions", 1, "start_time"),
				expect(knownvalue.Null(), "executions", 1, "end"),
				expect(knownvalue.Null(), "executions", 1, "end_time"),
				expect(knownvalue.Null(), "executions", 1, "duration_ms"),
				expect(knownvalue.StringExact("SUCCESS"), "executions", 2, "exit_status"),
				expect(knownvalue.Int64Exact(55000), "executions", 2, "duration_ms"),
			},
		}},
	})
}

func TestAccJobExecutions_failure(t *testing.T) {
	e := startEmulator(t)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: dataSourceConfig(e, failureJob),
			ConfigStateChecks: []statecheck.StateCheck{
				expect(knownvalue.ListSizeExact(4), "executions"),
				// No end key: null end, end_time and duration.
				expect(knownvalue.StringExact("FAILURE"), "executions", 0, "exit_status"),
				expect(knownvalue.Null(), "executions", 0, "end"),
				expect(knownvalue.Null(), "executions", 0, "duration_ms"),
				expect(hostList("localhost"), "executions", 0, "failed_hosts"),
				// "result": {} is an empty map, and no host failed.
				expect(knownvalue.MapExact(map[string]knownvalue.Check{}), "executions", 1, "result"),
				expect(hostList(), "executions", 1, "failed_hosts"),
				// "result": null gives null result and failed_hosts.
				expect(knownvalue.Null(), "executions", 2, "result"),
				expect(knownvalue.Null(), "executions", 2, "failed_hosts"),
				// Failed hosts derived from failures and unreachable, sorted.
				expect(hostList("db-1", "db-2", "web-2"), "executions", 3, "failed_hosts"),
				expect(hostCounts(1, 0, 1, 0, 2), "executions", 3, "result", "db-2"),
				expect(hostCounts(4, 1, 0, 1, 0), "executions", 3, "result", "web-1"),
			},
		}},
	})
}

func TestAccJobExecutions_manyHosts(t *testing.T) {
	e := startEmulator(t)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: dataSourceConfig(e, manyHostsJob),
			ConfigStateChecks: []statecheck.StateCheck{
				expect(knownvalue.ListSizeExact(3), "executions"),
				expect(knownvalue.MapSizeExact(25), "executions", 0, "result"),
				expect(knownvalue.MapSizeExact(25), "executions", 2, "result"),
			},
		}},
	})
}

func TestAccJobExecutions_empty(t *testing.T) {
	e := startEmulator(t)

	for _, job := range []string{emptyJob, emptyPagedJob} {
		t.Run(job, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config: dataSourceConfig(e, job),
					ConfigStateChecks: []statecheck.StateCheck{
						expect(knownvalue.ListExact([]knownvalue.Check{}), "executions"),
					},
				}},
			})
		})
	}
}

func TestAccJobExecutions_manyPages(t *testing.T) {
	const jobID = "generated-250"
	e := startEmulator(t, emulator.GenerateJob("WFAQ", jobID, 250, 2, emulator.FormPaged))

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: dataSourceConfig(e, jobID),
			ConfigStateChecks: []statecheck.StateCheck{
				expect(knownvalue.ListSizeExact(250), "executions"),
			},
			Check: func(*terraform.State) error {
				return checkPageRequests(e, jobID, 3)
			},
		}},
	})
}

// checkPageRequests checks that every read of jobID asked for each of its
// pages exactly once, with the default page size.
func checkPageRequests(e *emulator.Server, jobID string, pages int) error {
	path := "/jobs/WFAQ/" + jobID + "/executions"
	perQuery := map[string]int{}
	for _, r := range e.Requests() {
		if r.Path == path {
			perQuery[r.RawQuery]++
		}
	}

	reads := perQuery["page=0&size=100"]
	if reads == 0 || len(perQuery) != pages {
		return fmt.Errorf("requests per query = %v, want %d distinct pages", perQuery, pages)
	}
	for p := range pages {
		if n := perQuery[fmt.Sprintf("page=%d&size=100", p)]; n != reads {
			return fmt.Errorf("page %d was asked for %d times in %d reads: %v", p, n, reads, perQuery)
		}
	}

	return nil
}

// TestAccJobExecutions_oneLoginPerProvider reads twelve jobs in one
// configuration. Terraform reads them in parallel through one provider
// instance per command, and each instance must log in exactly once.
func TestAccJobExecutions_oneLoginPerProvider(t *testing.T) {
	e := startEmulator(t)
	const reads = 12

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: readers(e, reads),
			Check: func(*terraform.State) error {
				// Split the requests at each login: every provider instance
				// logs in once, then reads all twelve jobs with that token.
				groups := []int{}
				for _, r := range e.Requests() {
					switch {
					case r.Path == emulator.LoginPath:
						groups = append(groups, 0)
					case len(groups) == 0 || !r.Authorized:
						return fmt.Errorf("a read came without a valid token: %+v", r)
					default:
						groups[len(groups)-1]++
					}
				}
				for i, n := range groups {
					if n != reads {
						return fmt.Errorf("login %d was followed by %d reads, want %d (groups %v)",
							i+1, n, reads, groups)
					}
				}
				return nil
			},
		}},
	})
}

func TestAccJobExecutions_accountAliasFromLogin(t *testing.T) {
	e := startEmulator(t)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// Neither the provider nor the data source names an account:
				// the login answer's accountAlias is used.
				Config: dataSourceConfig(e, apiPageJob),
				ConfigStateChecks: []statecheck.StateCheck{
					expect(knownvalue.StringExact("WFAQ"), "account_alias"),
				},
			},
			{
				Config: providerConfig(e) + fmt.Sprintf(`
data "clc_job_executions" "test" {
  job_id        = %q
  account_alias = "OTHR"
}
`, apiPageJob),
				ExpectError: errorLike("Job Not Found", `job "`+apiPageJob+`" in account "OTHR"`),
			},
		},
	})
}

func TestAccJobExecutions_errors(t *testing.T) {
	e := startEmulator(t)
	provider := func(username, password string) string {
		return fmt.Sprintf(`
provider "clc" {
  api_url    = %q
  runner_url = %q
  username   = %q
  password   = %q
}
`, e.URL(), e.URL(), username, password)
	}

	testErrors(t, []errorCase{
		{
			name:   "unknown job",
			config: dataSourceConfig(e, "no-such-job"),
			want: []string{"Job Not Found", `job "no-such-job" in account "WFAQ"`,
				"GET /jobs/WFAQ/no-such-job/executions answered 404"},
		},
		{
			name:   "wrong password",
			config: provider("demo", "not-the-password") + `data "clc_job_executions" "test" { job_id = "x" }`,
			want:   []string{"CLC Credentials Rejected", "didn't recognize the username or password"},
		},
		{
			name: "rejected bearer token",
			config: fmt.Sprintf(`
provider "clc" {
  api_url       = %q
  runner_url    = %q
  bearer_token  = "expired-token"
  account_alias = "WFAQ"
}
data "clc_job_executions" "test" { job_id = %q }
`, e.URL(), e.URL(), apiPageJob),
			want: []string{"Bearer Token Rejected", "401 Unauthorized", "configured bearer_token is expired",
				"POST /v2/authentication/login"},
		},
		{
			name:   "relative job id",
			config: dataSourceConfig(e, ".."),
			want:   []string{"Invalid Job ID", `".." is a relative path segment`},
		},
		{
			name: "job id with spaces",
			config: providerConfig(e) +
				`data "clc_job_executions" "test" { job_id = " x" }`,
			want: []string{"Invalid Job ID", "starts or ends with white space"},
		},
		{
			name: "bad request timeout",
			config: fmt.Sprintf(`
provider "clc" {
  runner_url      = %q
  bearer_token    = "t"
  request_timeout = "soon"
}
data "clc_job_executions" "test" { job_id = "x" }
`, e.URL()),
			want: []string{"Invalid Request Timeout", `"soon", which is not a positive duration`},
		},
		{
			name: "bad runner URL",
			config: `
provider "clc" {
  runner_url   = "ftp://127.0.0.1/"
  bearer_token = "t"
}
data "clc_job_executions" "test" { job_id = "x" }
`,
			want: []string{"Invalid URL", "runner_url (from the provider configuration)", "https://"},
		},
	})
}

// errorLike matches an error output that holds each part in order. Terraform
// wraps diagnostics, so any run of white space in a part matches any other.
func errorLike(parts ...string) *regexp.Regexp {
	quoted := make([]string, len(parts))
	for i, part := range parts {
		words := strings.Fields(part)
		for j, w := range words {
			words[j] = regexp.QuoteMeta(w)
		}
		quoted[i] = strings.Join(words, `\s+`)
	}

	return regexp.MustCompile(`(?s)` + strings.Join(quoted, ".*"))
}
