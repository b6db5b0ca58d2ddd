package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/clc-tf/terraform-provider-clc/internal/emulator"
	"github.com/clc-tf/terraform-provider-clc/internal/runner"
)

// apiPagePath is the escaped path of the executions of apiPageJob.
const apiPagePath = "/jobs/WFAQ/" + apiPageJob + "/executions"

// startEmulatorWith starts an emulator with the embedded fixtures, plus
// jobs, and the faults and token limit of cfg.
func startEmulatorWith(t *testing.T, cfg emulator.Config, jobs ...emulator.Job) *emulator.Server {
	t.Helper()

	all, err := emulator.Fixtures()
	if err != nil {
		t.Fatal(err)
	}
	all = append(all, jobs...)
	cfg.Jobs = all

	return emulator.StartForTest(t, cfg)
}

// faultConfig is a provider block that logs in to the emulator with extra
// provider arguments, and a data source that reads jobID.
func faultConfig(e *emulator.Server, extra, jobID string) string {
	return loginBlock(e.URL(), extra) + fmt.Sprintf(`
data "clc_job_executions" "test" {
  job_id = %q
}
`, jobID)
}

// readsPerLogin checks that every login was followed by exactly want
// requests for path, whatever their answer: the number of tries of one read.
func readsPerLogin(e *emulator.Server, path string, want int) error {
	logins, reads := 0, 0
	for _, r := range e.Requests() {
		switch r.Path {
		case emulator.LoginPath:
			logins++
		case path:
			reads++
		}
	}
	if logins == 0 || reads != want*logins {
		return fmt.Errorf("%d logins and %d requests for %s, want %d for each login", logins, reads, path, want)
	}

	return nil
}

// TestAccFaults_recovered is the part of the fault matrix that a read
// survives: each fault is retried until the emulator answers normally.
func TestAccFaults_recovered(t *testing.T) {
	inTwoSeconds := time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat)

	tests := []struct {
		name   string
		fault  emulator.Fault
		extra  string
		checks []statecheck.StateCheck
	}{
		{name: "429 with Retry-After in seconds", fault: emulator.Fault{Status: 429, RetryAfter: "1"}},
		{name: "429 with Retry-After as an HTTP date", fault: emulator.Fault{Status: 429, RetryAfter: inTwoSeconds}},
		{name: "502", fault: emulator.Fault{Status: 502, RetryAfter: "0"}},
		{name: "503", fault: emulator.Fault{Status: 503, RetryAfter: "0"}},
		{name: "504", fault: emulator.Fault{Status: 504, RetryAfter: "0"}},
		{name: "closed connection", fault: emulator.Fault{CloseConnection: true}},
		{name: "answer cut off halfway", fault: emulator.Fault{TruncateAt: 40}},
		{
			name:  "attempt slower than request_timeout",
			fault: emulator.Fault{Delay: time.Minute},
			extra: `request_timeout = "1s"`,
		},
		{name: "login answers 503", fault: emulator.Fault{Path: emulator.LoginPath, Status: 503, RetryAfter: "0"}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fault := tt.fault
			if fault.Path == "" {
				fault.Path = apiPagePath
			}
			fault.Times = 2
			e := startEmulatorWith(t, emulator.Config{Faults: []emulator.Fault{fault}})

			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config: faultConfig(e, tt.extra, apiPageJob),
					ConfigStateChecks: []statecheck.StateCheck{
						expect(knownvalue.ListSizeExact(2), "executions"),
					},
				}},
			})

			// The first read took two failed tries before the good one.
			logins, reads := e.Logins(), e.Count(http.MethodGet, apiPagePath)
			if fault.Path == emulator.LoginPath {
				logins, reads = reads, logins
			}
			if reads != logins+2 {
				t.Errorf("%d requests for %s after %d logins, want %d", reads, fault.Path, logins, logins+2)
			}
		})
	}
}

// TestAccFaults_reported is the part of the fault matrix that ends a read with
// a diagnostic, each after exactly as many tries as the fault deserves.
func TestAccFaults_reported(t *testing.T) {
	tests := []struct {
		name  string
		fault emulator.Fault
		extra string
		want  []string
		// tries is how many requests one read makes for apiPagePath.
		tries int
	}{
		{
			name:  "503 until retries run out",
			fault: emulator.Fault{Status: 503, RetryAfter: "0"},
			extra: "max_retries = 2",
			want:  []string{"Runner API Server Error", "HTTP 503", "tried 3 times"},
			tries: 3,
		},
		{
			name:  "429 asking for an hour",
			fault: emulator.Fault{Status: 429, RetryAfter: "3600"},
			want:  []string{"Runner API Rate Limit", "asked to wait 1h0m0s", "did not retry"},
			tries: 1,
		},
		{
			name:  "no retries at all",
			fault: emulator.Fault{Status: 502},
			extra: "max_retries = 0",
			want:  []string{"Runner API Server Error", "HTTP 502"},
			tries: 1,
		},
		{
			name:  "closed connections until retries run out",
			fault: emulator.Fault{CloseConnection: true},
			extra: "max_retries = 1",
			want:  []string{"Runner API Unreachable", "EOF", "tried 2 times"},
			tries: 2,
		},
		{
			name:  "every attempt too slow",
			fault: emulator.Fault{Delay: time.Minute},
			extra: "max_retries = 1\n  request_timeout = \"500ms\"",
			want:  []string{"Runner API Unreachable", "Client.Timeout", "tried 2 times"},
			tries: 2,
		},
		{name: "400", fault: emulator.Fault{Status: 400}, want: []string{"Request Rejected"}, tries: 1},
		{name: "403", fault: emulator.Fault{Status: 403}, want: []string{"Access to Job Denied"}, tries: 1},
		{name: "404", fault: emulator.Fault{Status: 404}, want: []string{"Job Not Found"}, tries: 1},
		{name: "500", fault: emulator.Fault{Status: 500}, want: []string{"Runner API Server Error"}, tries: 1},
		{name: "501", fault: emulator.Fault{Status: 501}, want: []string{"Runner API Server Error"}, tries: 1},
		{
			name:  "every token rejected",
			fault: emulator.Fault{Status: 401},
			want:  []string{"Bearer Token Rejected After Login", "logged in again", "same CLC environment"},
			tries: 1, // after each login: the first login, and the one after the first 401
		},
		{
			name:  "truncated JSON with 200",
			fault: emulator.Fault{Body: `[{"id": "a", "start": 14399`},
			want:  []string{"Malformed Runner API Answer", "HTTP 200", "invalid JSON"},
			tries: 1,
		},
		{
			name:  "HTML page with 200",
			fault: emulator.Fault{Body: "<!DOCTYPE html><html><body>Maintenance</body></html>", ContentType: "text/html"},
			want:  []string{"Malformed Runner API Answer", "HTML page, not JSON"},
			tries: 1,
		},
		{
			name:  "wrong type in a field",
			fault: emulator.Fault{Body: `[{"id": "a", "start": 1}, {"id": "b", "start": "yesterday"}]`},
			want:  []string{"Malformed Runner API Answer", "invalid execution 1", "must be a number"},
			tries: 1,
		},
		{
			name:  "answer over max_response_bytes",
			extra: "max_response_bytes = 300", // more than the login's answer, less than the job's
			want:  []string{"Runner API Answer Too Large", "limit of 300 bytes", "max_response_bytes"},
			tries: 1,
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fault := tt.fault
			fault.Path = apiPagePath
			e := startEmulatorWith(t, emulator.Config{Faults: []emulator.Fault{fault}})

			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      faultConfig(e, tt.extra, apiPageJob),
					ExpectError: errorLike(tt.want...),
				}},
			})

			// Every command logs in and reads once: a retry that should not
			// have happened adds a request to each read.
			if err := readsPerLogin(e, apiPagePath, tt.tries); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestAccFaults_expiringTokenTwoLoginsPerProvider reads 32 data sources with
// tokens that are each good for 16 reads. Every provider instance must log in
// exactly twice: once at the start, once, shared, when the token expires.
// Terraform reads up to 10 data sources at a time (its default parallelism,
// which terraform-exec does not let a test change); the client's own test
// TestExpiredTokenLeadsToOneSharedLogin has all 32 in flight at once.
func TestAccFaults_expiringTokenTwoLoginsPerProvider(t *testing.T) {
	const count, uses = 32, 16
	e := startEmulatorWith(t, emulator.Config{TokenUses: uses})

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: readers(e, count),
			Check: func(*terraform.State) error {
				return checkTwoLoginsPerInstance(e, count)
			},
		}},
	})

	if err := checkTwoLoginsPerInstance(e, count); err != nil {
		t.Error(err)
	}
}

// checkTwoLoginsPerInstance counts logins, good reads and rejected reads.
// Each provider instance reads every data source once with success, and its
// first token cannot last for all of them: so each instance logs in twice at
// least, and more than twice anywhere would show in the total.
func checkTwoLoginsPerInstance(e *emulator.Server, count int) error {
	logins, good, rejected := 0, 0, 0
	for _, r := range e.Requests() {
		switch {
		case r.Path == emulator.LoginPath:
			logins++
		case r.Status == http.StatusOK:
			good++
		case r.Status == http.StatusUnauthorized:
			rejected++
		}
	}

	instances := good / count
	if instances == 0 || good%count != 0 || logins != 2*instances || rejected < instances {
		return fmt.Errorf("%d logins, %d good and %d rejected reads: want 2 logins and at least "+
			"one rejected read for every %d good ones", logins, good, rejected, count)
	}

	return nil
}

// TestAccFaults_pagesThatDisagree serves a second page that repeats a record
// of the first, in a newer state, as when an execution arrives between the
// two requests. That is tolerated: the record is kept once, in its later form.
func TestAccFaults_pagesThatDisagree(t *testing.T) {
	const jobID = "paged-150"
	job := emulator.GenerateJob("WFAQ", jobID, 150, 1, emulator.FormPaged)

	var first map[string]any
	if err := json.Unmarshal(job.Executions[0], &first); err != nil {
		t.Fatal(err)
	}
	firstID, ok := first["execution_id"].(string)
	if !ok {
		t.Fatalf("the generated execution has no execution_id: %v", first)
	}
	first["status"] = "KILLED"
	again, err := json.Marshal(first)
	if err != nil {
		t.Fatal(err)
	}
	results := append([]json.RawMessage{again}, job.Executions[100:150]...)
	page, err := json.Marshal(map[string]any{"totalSize": 151, "page": 1, "size": 100, "results": results})
	if err != nil {
		t.Fatal(err)
	}

	e := startEmulatorWith(t, emulator.Config{Faults: []emulator.Fault{{
		Path: "/jobs/WFAQ/" + jobID + "/executions", Query: "page=1&size=100", Body: string(page),
	}}}, job)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: dataSourceConfig(e, jobID),
			ConfigStateChecks: []statecheck.StateCheck{
				// 100 from page 0 and 50 more from page 1; the one that
				// arrived in between is read next time.
				expect(knownvalue.ListSizeExact(150), "executions"),
				// The oldest execution, as page 1 repeated it.
				expect(knownvalue.StringExact(firstID), "executions", 149, "id"),
				expect(knownvalue.StringExact("KILLED"), "executions", 149, "exit_status"),
			},
		}},
	})
}

// TestAccFaults_incompletePages serves pages that cannot add up to the
// totalSize they promise. A gate on the newest execution must not pass on a
// partial list, so each is an error.
func TestAccFaults_incompletePages(t *testing.T) {
	const jobID = "paged-150"
	job := emulator.GenerateJob("WFAQ", jobID, 150, 1, emulator.FormPaged)
	envelope := func(page int, results []json.RawMessage) string {
		body, err := json.Marshal(map[string]any{
			"totalSize": 150, "page": page, "size": 100, "results": results,
		})
		if err != nil {
			t.Fatal(err)
		}
		return string(body)
	}

	tests := []struct {
		name string
		body string
		want []string
	}{
		{
			name: "a page shorter than promised",
			body: envelope(1, job.Executions[100:110]),
			want: []string{"Malformed Runner API Answer", "hold 110 distinct executions, fewer than " +
				"the totalSize of 150"},
		},
		{
			name: "page 0 again, as from an API that ignores page",
			body: envelope(0, job.Executions[:100]),
			want: []string{"Malformed Runner API Answer", "page 1 was asked for, but the answer is page 0"},
		},
		{
			name: "the same records again, numbered as asked",
			body: envelope(1, job.Executions[:100]),
			want: []string{"Malformed Runner API Answer", "hold 100 distinct executions"},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := startEmulatorWith(t, emulator.Config{Faults: []emulator.Fault{{
				Path: "/jobs/WFAQ/" + jobID + "/executions", Query: "page=1&size=100", Body: tt.body,
			}}}, job)

			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      dataSourceConfig(e, jobID),
					ExpectError: errorLike(tt.want...),
				}},
			})
		})
	}
}

// TestAccFaults_escapedPath reads a job whose id holds characters that mean
// something in a URL, and checks that the emulator only ever saw the one
// intended path, with the id escaped as a single segment.
func TestAccFaults_escapedPath(t *testing.T) {
	const jobID = "odd job?#%;=&+"
	job := emulator.GenerateJob("WFAQ", jobID, 1, 1, emulator.FormArray)
	e := startEmulator(t, job)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: dataSourceConfig(e, jobID),
				ConfigStateChecks: []statecheck.StateCheck{
					expect(knownvalue.StringExact(jobID), "job_id"),
					expect(knownvalue.ListSizeExact(1), "executions"),
				},
			},
		},
	})
	// Refused at plan time: no request is made at all.
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      dataSourceConfig(e, "../../v2/authentication/login"),
			ExpectError: errorLike("Invalid Job ID", "contains a slash or a backslash"),
		}},
	})

	for _, r := range e.Requests() {
		switch r.Path {
		case emulator.LoginPath:
			if r.Method != http.MethodPost {
				t.Errorf("unexpected request %+v", r)
			}
		case "/jobs/WFAQ/odd%20job%3F%23%25%3B=&+/executions":
			if r.Method != http.MethodGet || r.RawQuery != "page=0&size=100" {
				t.Errorf("unexpected request %+v", r)
			}
		default:
			t.Errorf("the emulator saw an unintended path: %+v", r)
		}
	}
}

// TestReadCancelledDuringBackoff cancels a read, as Terraform does on Ctrl-C,
// while the provider waits the minute that a 503's Retry-After asked for.
// The read must end within a second with a diagnostic that says so.
func TestReadCancelledDuringBackoff(t *testing.T) {
	t.Parallel()
	waiting := make(chan struct{}, 1)
	e := startEmulatorWith(t, emulator.Config{
		Faults: []emulator.Fault{{Path: apiPagePath, Status: 503, RetryAfter: "60"}},
		OnRequest: func(r emulator.Request) {
			if r.Path == apiPagePath {
				waiting <- struct{}{}
			}
		},
	})
	client, err := runner.New(runner.Config{
		APIURL: e.URL(), RunnerURL: e.URL(), MaxRetries: 4,
		Username: emulator.DefaultUsername, Password: emulator.DefaultPassword,
	})
	if err != nil {
		t.Fatal(err)
	}
	ds := &jobExecutionsDataSource{data: &providerData{client: client}}
	req, resp := readRequest(t, apiPageJob)

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		ds.Read(ctx, req, resp)
	}()
	<-waiting
	time.Sleep(50 * time.Millisecond) // Let the client read the 503 and start waiting.
	cancel()
	cancelled := time.Now()

	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the read did not end within 10s of the cancellation")
	}
	if took := time.Since(cancelled); took > time.Second {
		t.Errorf("the read ended %s after the cancellation, want within 1s", took)
	}
	if n := len(resp.Diagnostics.Errors()); n != 1 || resp.Diagnostics.Errors()[0].Summary() != "Read Cancelled" {
		t.Errorf("diagnostics = %v, want one Read Cancelled", resp.Diagnostics)
	}
}
