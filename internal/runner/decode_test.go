package runner

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func ptrEpoch(ms int64) Epoch { return Epoch{Millis: ms, Valid: true} }

func TestDecodeExecutions(t *testing.T) {
	t.Parallel()

	apiPage, err := os.ReadFile("testdata/api-page.json")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		body      string
		wantPaged bool
		wantTotal int64
		want      []Execution
	}{
		{
			name: "the API page's example, record for record",
			body: string(apiPage),
			want: []Execution{
				{
					ID: "29a3c264-b8f1-4608-ab7d-34a1aae6f6b1", JobID: "d2b66469-5767-4426-9da0-efcebf82c7aa",
					AccountAlias: "WFAQ", ExitStatus: "SUCCESS", HasExitStatus: true,
					Start: ptrEpoch(1439998433881), End: ptrEpoch(1439998433889),
					Result:      map[string]HostResult{"localhost": {OK: 3, Changed: 1}},
					FailedHosts: []string{},
				},
				{
					ID: "ba7e6f6a-2673-4580-a297-8d7e44483bd7", JobID: "d2b66469-5767-4426-9da0-efcebf82c7aa",
					AccountAlias: "WFAQ", ExitStatus: "SUCCESS", HasExitStatus: true,
					Start: ptrEpoch(1439999024933), End: ptrEpoch(1439999024941),
					Result:      map[string]HostResult{"localhost": {OK: 3}},
					FailedHosts: []string{},
				},
			},
		},
		{
			name:      "paged envelope in the later shape with restarted timers",
			body:      `{"totalSize": 7, "page": 0, "size": 2, "results": [` + laterShape + `]}`,
			wantPaged: true,
			wantTotal: 7,
			want: []Execution{
				{
					ID: "e-1", JobID: "j", AccountAlias: "WFAQ", ExitStatus: "FAILURE", HasExitStatus: true,
					Start: ptrEpoch(100), End: ptrEpoch(400), FailedHosts: []string{"web-2"},
				},
				{
					ID: "both-ids", ExitStatus: "KILLED", HasExitStatus: true,
					Start: ptrEpoch(1439998433881), FailedHosts: []string{},
				},
			},
		},
		{
			name: "nulls and absent fields",
			body: `[{"id": "a", "exit_status": null, "start": null, "end": null, "result": null,
			        "failed_hosts": null, "timers": null},
			       {"id": "b", "result": {}},
			       {"execution_id": "c", "timers": [{"start": 5}], "status": "RUNNING"}]`,
			want: []Execution{
				{ID: "a"},
				{ID: "b", Result: map[string]HostResult{}, FailedHosts: []string{}},
				{ID: "c", ExitStatus: "RUNNING", HasExitStatus: true, Start: ptrEpoch(5)},
			},
		},
		{
			name: "result as an array of host objects, failed hosts derived and sorted",
			body: `[{"id": "a", "result": [{"zeta": {"failures": 1}}, {"alpha": {"unreachable": 2},
			        "beta": {"ok": 4}}]}]`,
			want: []Execution{{
				ID: "a",
				Result: map[string]HostResult{
					"zeta": {Failures: 1}, "alpha": {Unreachable: 2}, "beta": {OK: 4},
				},
				FailedHosts: []string{"alpha", "zeta"},
			}},
		},
		{
			name:      "empty paged answer",
			body:      `{"totalSize": 0, "page": 0, "size": 100, "results": []}`,
			wantPaged: true,
			want:      []Execution{},
		},
		{
			name: "empty array",
			body: " \n[]",
			want: []Execution{},
		},
		{
			name: "epochs beyond 2^53 stay exact in exponent form",
			body: `[{"id": "a", "start": 9.007199254740993e15, "end": 9007199254740995}]`,
			want: []Execution{{ID: "a", Start: ptrEpoch(9007199254740993), End: ptrEpoch(9007199254740995)}},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			got, err := decodeExecutions([]byte(tt.body))
			if err != nil {
				t.Fatalf("decodeExecutions: %v", err)
			}
			if got.paged != tt.wantPaged || got.totalSize != tt.wantTotal {
				t.Errorf("paged=%v total=%d, want paged=%v total=%d",
					got.paged, got.totalSize, tt.wantPaged, tt.wantTotal)
			}
			if !reflect.DeepEqual(got.executions, tt.want) {
				t.Errorf("executions:\n got %+v\nwant %+v", got.executions, tt.want)
			}
		})
	}
}

// laterShape is two records in the later documentation's shape.
const laterShape = `
{"execution_id": "e-1", "job_id": "j", "account_alias": "WFAQ", "status": "FAILURE",
 "timers": [{"start": 100, "end": 200}, {"start": 300, "end": 400}],
 "failed_hosts": ["web-2"], "repository_log": {"lines": []}, "is_vpn_established": false},
{"id": "both-ids", "execution_id": "other", "status": "KILLED",
 "timers": [{"start": 1.439998433881e12, "end": null}], "failed_hosts": [0],
 "repository_log": "cloning", "is_vpn_established": true}`

func TestDecodeExecutionsErrors(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		body string
		want []string
	}{
		{"empty body", "", []string{"the answer is empty"}},
		{"HTML page", "<html><body>Bad gateway</body></html>", []string{"HTML page"}},
		{"plain text", "upstream error", []string{"neither a JSON array nor a JSON object"}},
		{"truncated", `[{"id": "a", "start": 1`, []string{"invalid JSON", "line 1"}},
		{"object without results", `{"message": "hello"}`, []string{"without a results array"}},
		{"envelope without totalSize", `{"results": []}`, []string{"no valid totalSize"}},
		{"record without any id", `[{"job_id": "j"}]`, []string{"execution 0", "neither id nor execution_id"}},
		{
			"wrong type for a string field", "[\n{\"id\": \"a\"},\n{\"id\": 7}]",
			[]string{"line 3, column", "id"},
		},
		{
			"string epoch", "[{\"id\": \"a\"},\n  {\"id\": \"b\", \"start\": \"yesterday\"}]",
			[]string{"invalid execution 1", "line 2, column 3", "must be a number"},
		},
		{"fractional epoch", `[{"id": "a", "end": 1.5}]`, []string{"whole number"}},
		{"failed_hosts not an array", `[{"id": "a", "failed_hosts": "web-1"}]`, []string{"must be an array"}},
		{"result of the wrong type", `[{"id": "a", "result": 3}]`, []string{"invalid"}},
		{"count of the wrong type", `[{"id": "a", "result": {"h": {"ok": "3"}}}]`, []string{"invalid"}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			_, err := decodeExecutions([]byte(tt.body))
			if err == nil {
				t.Fatal("decodeExecutions succeeded, want an error")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	t.Parallel()

	tests := []struct {
		body string
		want string
	}{
		{`{"message": "Job not found"}`, "Job not found"},
		{`{"error": "invalid_grant"}`, "invalid_grant"},
		{`{"message": "The request is invalid.", "modelState": {"b": ["two"], "a": ["one", "uno"]}}`,
			"The request is invalid.; a: one; uno; b: two"},
		{`[{"message": "first"}, {"message": "second"}]`, "first; second"},
		{`<html>oops</html>`, "the answer is an HTML page, not JSON"},
		{"line one\nline\ttwo", "line one line two"},
		{"", ""},
		{strings.Repeat("x", 600), strings.Repeat("x", 500) + "…"},
	}

	for _, tt := range tests {
		if got := errorMessage([]byte(tt.body)); got != tt.want {
			t.Errorf("errorMessage(%.30q) = %q, want %q", tt.body, got, tt.want)
		}
	}
}

func TestCheckPathSegment(t *testing.T) {
	t.Parallel()

	for _, ok := range []string{"WFAQ", "d2b66469-5767-4426-9da0-efcebf82c7aa", "a b", "a?b#c", "%2e%2e", "ü"} {
		if err := CheckPathSegment(ok); err != nil {
			t.Errorf("CheckPathSegment(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", " WFAQ", "WFAQ\n", "a\x00b", "a/b", `a\b`, "a\u200bb", "\u202eb"} {
		if err := CheckPathSegment(bad); err == nil {
			t.Errorf("CheckPathSegment(%q) = nil, want an error", bad)
		}
	}
}

func TestRepeatedAndEmptyEntries(t *testing.T) {
	t.Parallel()
	f := &fakeAPI{}
	srv := startFake(t, f)
	f.executions = []map[string]any{
		{"id": "a", "start": 1, "exit_status": "RUNNING", "failed_hosts": []any{nil, "", "web-1", 0}},
		{"id": "a", "start": 1, "exit_status": "SUCCESS", "failed_hosts": []any{"web-1", nil}},
	}

	got, err := newTestClient(t, srv, nil).JobExecutions(t.Context(), "WFAQ", "job-1")
	if err != nil {
		t.Fatal(err)
	}

	if len(got) != 1 || got[0].ExitStatus != "SUCCESS" {
		t.Fatalf("got %+v, want one record for id a, in its later form", got)
	}
	if !reflect.DeepEqual(got[0].FailedHosts, []string{"web-1"}) {
		t.Errorf("failed hosts = %q, want [web-1]", got[0].FailedHosts)
	}
}

func TestNullFailedHostOnTheFastPath(t *testing.T) {
	t.Parallel()

	got, err := decodeExecutions([]byte(`[{"id": "a", "failed_hosts": [null, "web-1", ""]}]`))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.executions[0].FailedHosts, []string{"web-1"}) {
		t.Errorf("failed hosts = %q, want [web-1]", got.executions[0].FailedHosts)
	}
}
