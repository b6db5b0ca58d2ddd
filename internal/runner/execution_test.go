package runner

import (
	"reflect"
	"strings"
	"testing"
)

func TestJobExecution(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name      string
		body      string
		want      Execution
		wantError string // a piece of the error; "" when the call must succeed
	}{
		{
			name: "2015 shape",
			body: `{"id": "exec-1", "job_id": "job-1", "account_alias": "WFAQ", "exit_status": "SUCCESS",
				"start": 1000, "end": 1500, "result": {"web": {"ok": 2, "failures": 1}}}`,
			want: Execution{
				ID: "exec-1", JobID: "job-1", AccountAlias: "WFAQ",
				ExitStatus: "SUCCESS", HasExitStatus: true,
				Start: ptrEpoch(1000), End: ptrEpoch(1500),
				Result:      map[string]HostResult{"web": {OK: 2, Failures: 1}},
				FailedHosts: []string{"web"},
			},
		},
		{
			name: "later shape, running, without job and account",
			body: `{"execution_id": "exec-1", "status": "RUNNING",
				"timers": [{"start": 1000, "end": 1100}, {"start": 1200, "end": null}]}`,
			want: Execution{
				ID: "exec-1", JobID: "job-1", AccountAlias: "WFAQ",
				ExitStatus: "RUNNING", HasExitStatus: true, Start: ptrEpoch(1000),
			},
		},
		{
			name: "one-element array",
			body: ` [{"execution_id": "exec-1", "status": "FAILURE", "failed_hosts": ["db"]}]`,
			want: Execution{
				ID: "exec-1", JobID: "job-1", AccountAlias: "WFAQ",
				ExitStatus: "FAILURE", HasExitStatus: true, FailedHosts: []string{"db"},
			},
		},
		{name: "empty array", body: `[]`, wantError: "an array of 0 executions, not one"},
		{
			name:      "two executions",
			body:      `[{"id": "exec-1"}, {"id": "exec-2"}]`,
			wantError: "an array of 2 executions, not one",
		},
		{
			name: "another execution", body: `{"id": "exec-2"}`,
			wantError: `execution "exec-2", not "exec-1"`,
		},
		{name: "no id", body: `{"status": "SUCCESS"}`, wantError: "neither id nor execution_id"},
		{name: "HTML", body: `<html></html>`, wantError: "HTML page"},
		{name: "empty", body: ` `, wantError: "the answer is empty"},
		{name: "a number", body: `42`, wantError: "neither a JSON object nor a JSON array"},
		{name: "bad JSON", body: `{"id": "exec-1",`, wantError: "invalid JSON"},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeAPI{runnerStatus: 200, body: tt.body}
			c := newTestClient(t, startFake(t, f), nil)

			got, err := c.JobExecution(t.Context(), "WFAQ", "job-1", "exec-1")

			if tt.wantError != "" {
				if KindOf(err) != KindMalformed || !strings.Contains(err.Error(), tt.wantError) {
					t.Fatalf("err = %v, want a malformed answer with %q", err, tt.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("execution = %+v,\nwant        %+v", got, tt.want)
			}
			want := []string{"GET /jobs/WFAQ/job-1/executions/exec-1?"}
			if got := f.runnerRequests(); !equal(got, want) {
				t.Errorf("requests = %v, want %v", got, want)
			}
		})
	}
}

func TestJobExecutionErrors(t *testing.T) {
	t.Parallel()
	f := &fakeAPI{runnerStatus: 404, body: `{"message": "Execution exec-1 not found"}`}
	c := newTestClient(t, startFake(t, f), nil)

	_, err := c.JobExecution(t.Context(), "WFAQ", "job-1", "exec-1")
	if KindOf(err) != KindNotFound || !strings.Contains(err.Error(), "Execution exec-1 not found") {
		t.Errorf("err = %v, want KindNotFound with the API's message", err)
	}

	bad := [][3]string{
		{"..", "job", "exec"}, {"WFAQ", "", "exec"}, {"WFAQ", "job", " x"}, {"WFAQ", "job", "../x"},
	}
	for _, bad := range bad {
		if _, err := c.JobExecution(t.Context(), bad[0], bad[1], bad[2]); err == nil {
			t.Errorf("path segments %q were accepted", bad)
		}
	}
	if _, err := c.JobExecution(t.Context(), "WF AQ", "a?b", "c#d"); KindOf(err) != KindNotFound {
		t.Fatalf("err = %v, want the fake's 404", err)
	}
	want := "GET /jobs/WF%20AQ/a%3Fb/executions/c%23d?"
	if got := f.runnerRequests(); len(got) != 2 || got[1] != want {
		t.Errorf("requests = %v, want the second to be %s", got, want)
	}
}
