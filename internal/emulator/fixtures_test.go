package emulator

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()

	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}

	return data
}

// fixture returns the embedded fixture job with this id.
func fixture(t *testing.T, id string) Job {
	t.Helper()

	jobs, err := Fixtures()
	if err != nil {
		t.Fatal(err)
	}
	for _, job := range jobs {
		if job.ID == id {
			return job
		}
	}
	t.Fatalf("No fixture has job id %s", id)

	return Job{}
}

// executionMaps decodes every execution of job into a map, numbers as written.
func executionMaps(t *testing.T, job Job) []map[string]any {
	t.Helper()

	out := make([]map[string]any, 0, len(job.Executions))
	for i, raw := range job.Executions {
		m, ok := decodeNumbers(t, raw).(map[string]any)
		if !ok {
			t.Fatalf("Execution %d of %s is not an object: %s", i, job.ID, raw)
		}
		out = append(out, m)
	}

	return out
}

func TestFixtures(t *testing.T) {
	jobs, err := Fixtures()
	if err != nil {
		t.Fatal(err)
	}

	want := map[string]struct {
		form       string
		executions int
	}{
		apiPageJobID:    {FormArray, 2},
		laterShapeJobID: {FormPaged, 5},
		runningJobID:    {FormPaged, 3},
		failureJobID:    {FormArray, 4},
		manyHostsJobID:  {FormArray, 3},
		emptyJobID:      {FormArray, 0},
		emptyPagedJobID: {FormPaged, 0},
	}
	if len(jobs) != len(want) {
		t.Errorf("Fixtures returned %d jobs, want %d", len(jobs), len(want))
	}

	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	executionIDs := map[string]string{}
	for _, job := range jobs {
		w, ok := want[job.ID]
		if !ok {
			t.Errorf("Unexpected fixture job %s", job.ID)
			continue
		}
		if job.AccountAlias != "WFAQ" || job.Form != w.form || len(job.Executions) != w.executions {
			t.Errorf("Fixture %s: alias %s, form %s, %d executions; want WFAQ, %s, %d",
				job.ID, job.AccountAlias, job.Form, len(job.Executions), w.form, w.executions)
		}
		if job.Executions == nil {
			t.Errorf("Fixture %s has nil executions", job.ID)
		}
		if !strings.Contains(string(readme), job.ID) {
			t.Errorf("README.md does not list fixture job %s", job.ID)
		}

		for i, e := range executionMaps(t, job) {
			if e["job_id"] != job.ID || e["account_alias"] != job.AccountAlias {
				t.Errorf("Execution %d of %s names job %v in %v", i, job.ID, e["job_id"],
					e["account_alias"])
			}
			id, _ := e["id"].(string)
			if job.Form == FormPaged {
				id, _ = e["execution_id"].(string)
			}
			if id == "" {
				t.Errorf("Execution %d of %s has no execution id", i, job.ID)
			}
			if other, dup := executionIDs[id]; dup {
				t.Errorf("Execution id %s is in both %s and %s", id, other, job.ID)
			}
			executionIDs[id] = job.ID
		}
	}

	if _, err := New(Config{Jobs: jobs}); err != nil {
		t.Errorf("The fixtures do not make a valid config: %v", err)
	}
}

func TestAPIPageFixtureEqualsThePage(t *testing.T) {
	job := fixture(t, apiPageJobID)

	got, err := json.Marshal(job.Executions)
	if err != nil {
		t.Fatal(err)
	}
	want := decodeNumbers(t, readTestdata(t, "api-page-example.json"))
	if !reflect.DeepEqual(decodeNumbers(t, got), want) {
		t.Errorf("The api-page fixture differs from the API page's example:\n%s", got)
	}
}

func TestLaterShapeFixtureCoverage(t *testing.T) {
	executions := executionMaps(t, fixture(t, laterShapeJobID))

	statuses := map[any]bool{}
	var withID, withTopLevelTimes, restarted, scientific int
	logKinds := map[string]bool{}
	failedHosts := map[string]bool{}
	for _, e := range executions {
		statuses[e["status"]] = true
		if _, ok := e["exit_status"]; ok {
			t.Errorf("A later shape execution has exit_status: %v", e)
		}
		if _, ok := e["id"]; ok {
			withID++
		}
		if _, ok := e["start"]; ok {
			withTopLevelTimes++
		}
		timers, _ := e["timers"].([]any)
		if len(timers) > 1 {
			restarted++
		}
		for _, tm := range timers {
			start, _ := tm.(map[string]any)
			if s, ok := start["start"].(json.Number); ok && strings.Contains(string(s), "e12") {
				scientific++
			}
		}
		switch e["repository_log"].(type) {
		case nil:
			logKinds["null"] = true
		case string:
			logKinds["string"] = true
		case map[string]any:
			logKinds["object"] = true
		}
		if _, ok := e["is_vpn_established"].(bool); !ok {
			t.Errorf("is_vpn_established is not a boolean in %v", e)
		}
		hosts, _ := json.Marshal(e["failed_hosts"])
		failedHosts[string(hosts)] = true
	}

	for _, s := range []string{"SUCCESS", "FAILURE", "STOPPED", "KILLED"} {
		if !statuses[s] {
			t.Errorf("No execution has status %s", s)
		}
	}
	for _, k := range []string{"null", "string", "object"} {
		if !logKinds[k] {
			t.Errorf("No repository_log is %s", k)
		}
	}
	for _, h := range []string{`["web-2"]`, `[0]`, `[]`} {
		if !failedHosts[h] {
			t.Errorf("No failed_hosts is %s", h)
		}
	}
	if withID != 1 || withTopLevelTimes != 1 || restarted != 1 || scientific != 1 {
		t.Errorf("Executions with id %d, top-level times %d, two timers %d, "+
			"scientific epoch %d; want one each", withID, withTopLevelTimes, restarted, scientific)
	}
}

func TestRunningFixtureCoverage(t *testing.T) {
	executions := executionMaps(t, fixture(t, runningJobID))

	newest := executions[len(executions)-1]
	if newest["status"] != "RUNNING" || newest["end"] != nil {
		t.Errorf("Newest execution is not running: %v", newest)
	}
	timers, _ := newest["timers"].([]any)
	var last map[string]any
	if len(timers) > 0 {
		last, _ = timers[len(timers)-1].(map[string]any)
	}
	if end, hasEnd := last["end"]; !hasEnd || end != nil {
		t.Errorf("Newest execution's last timer has an end: %v", timers)
	}

	var pending, finished bool
	for _, e := range executions {
		_, hasTimers := e["timers"]
		pending = pending || (e["status"] == "PENDING" && !hasTimers)
		finished = finished || e["status"] == "SUCCESS"
	}
	if !pending || !finished {
		t.Errorf("Want a PENDING execution without timers (%v) and a finished one (%v)",
			pending, finished)
	}
}

func TestFailureFixtureCoverage(t *testing.T) {
	executions := executionMaps(t, fixture(t, failureJobID))

	var hostsFailing, hostsUnreachable, nullResult, emptyResult, noEnd int
	for _, e := range executions {
		if _, ok := e["end"]; !ok {
			noEnd++
		}
		result, hasResult := e["result"]
		switch r := result.(type) {
		case nil:
			if hasResult {
				nullResult++
			}
		case map[string]any:
			if len(r) == 0 {
				emptyResult++
			}
			if e["exit_status"] != "FAILURE" {
				continue
			}
			for _, counts := range r {
				c, _ := counts.(map[string]any)
				if c["failures"] != json.Number("0") {
					hostsFailing++
				}
				if c["unreachable"] != json.Number("0") {
					hostsUnreachable++
				}
			}
		}
	}

	if hostsFailing < 2 || hostsUnreachable < 2 {
		t.Errorf("Hosts failing %d, unreachable %d; want several", hostsFailing, hostsUnreachable)
	}
	if nullResult != 1 || emptyResult != 1 || noEnd != 1 {
		t.Errorf("Null results %d, empty results %d, without end %d; want one each",
			nullResult, emptyResult, noEnd)
	}
}

func TestManyHostsFixtureCoverage(t *testing.T) {
	for i, e := range executionMaps(t, fixture(t, manyHostsJobID)) {
		result, _ := e["result"].(map[string]any)
		if len(result) != 25 {
			t.Errorf("Execution %d has %d hosts, want 25", i, len(result))
		}
	}
}

func TestLoadJobs(t *testing.T) {
	t.Run("a directory of jobs", func(t *testing.T) {
		dir := t.TempDir()
		writeJob(t, dir, "b.json", GenerateJob("WFAQ", "second", 2, 1, FormArray))
		writeJob(t, dir, "a.json", GenerateJob("WFAQ", "first", 1, 1, FormPaged))
		if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}

		jobs, err := LoadJobs(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) != 2 || jobs[0].ID != "first" || jobs[1].ID != "second" {
			t.Errorf("Loaded %+v", jobs)
		}
	})

	tests := []struct {
		name    string
		files   map[string]string
		wantErr string
	}{
		{"no job files", map[string]string{"x.txt": "{}"}, "holds no *.json job file"},
		{"not JSON", map[string]string{"x.json": "{"}, "decoding x.json"},
		{"misspelled key", map[string]string{"x.json": `{"job_ids": "x"}`},
			`unknown field "job_ids"`},
		{"two objects", map[string]string{"x.json": `{} {}`}, "trailing data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600)
				if err != nil {
					t.Fatal(err)
				}
			}

			_, err := LoadJobs(dir)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("LoadJobs error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}

	t.Run("the fixtures directory equals the embedded set", func(t *testing.T) {
		fromDir, err := LoadJobs("fixtures")
		if err != nil {
			t.Fatal(err)
		}
		embedded, err := Fixtures()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fromDir, embedded) {
			t.Errorf("LoadJobs(fixtures) differs from Fixtures()")
		}
	})
}

func writeJob(t *testing.T, dir, name string, job Job) {
	t.Helper()

	data, err := json.MarshalIndent(job, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestGenerateJob(t *testing.T) {
	tests := []struct {
		form       string
		n, hosts   int
		wantKeys   []string
		absentKeys []string
	}{
		{FormArray, 12, 5,
			[]string{"id", "start", "end", "exit_status", "result"},
			[]string{"execution_id", "status", "timers"}},
		{FormPaged, 250, 3,
			[]string{"execution_id", "status", "timers", "failed_hosts", "repository_log",
				"is_vpn_established"},
			[]string{"id", "exit_status", "result", "start"}},
		{FormArray, 7, 0, []string{"result"}, nil},
	}

	for _, tt := range tests {
		t.Run(tt.form, func(t *testing.T) {
			job := GenerateJob("WFAQ", "generated", tt.n, tt.hosts, tt.form)
			again := GenerateJob("WFAQ", "generated", tt.n, tt.hosts, tt.form)

			if !reflect.DeepEqual(job, again) {
				t.Fatalf("Two calls with the same arguments differ")
			}
			if job.AccountAlias != "WFAQ" || job.ID != "generated" || job.Form != tt.form ||
				len(job.Executions) != tt.n {
				t.Fatalf("Job %s/%s form %s with %d executions", job.AccountAlias, job.ID,
					job.Form, len(job.Executions))
			}

			ids := map[string]bool{}
			statuses := map[string]int{}
			lastStart := int64(0)
			for i, e := range executionMaps(t, job) {
				for _, k := range tt.wantKeys {
					if _, ok := e[k]; !ok {
						t.Fatalf("Execution %d lacks %s: %v", i, k, e)
					}
				}
				for _, k := range tt.absentKeys {
					if _, ok := e[k]; ok {
						t.Fatalf("Execution %d has %s: %v", i, k, e)
					}
				}

				id, status, start := generatedFields(t, e)
				if ids[id] {
					t.Errorf("Execution id %s repeats", id)
				}
				ids[id] = true
				statuses[status]++
				if start <= lastStart {
					t.Errorf("Execution %d starts at %d, not after %d", i, start, lastStart)
				}
				lastStart = start
			}
			if statuses["SUCCESS"] == 0 || statuses["FAILURE"] == 0 ||
				len(statuses) != 2 {
				t.Errorf("Statuses %v, want a SUCCESS and FAILURE mix", statuses)
			}
		})
	}

	t.Run("other arguments give other ids", func(t *testing.T) {
		a := GenerateJob("WFAQ", "one", 1, 1, FormArray)
		b := GenerateJob("WFAQ", "two", 1, 1, FormArray)
		if reflect.DeepEqual(a.Executions, b.Executions) {
			t.Errorf("Jobs one and two have the same executions")
		}
	})

	t.Run("no executions", func(t *testing.T) {
		for _, n := range []int{0, -3} {
			job := GenerateJob("WFAQ", "none", n, 4, FormPaged)
			if job.Executions == nil || len(job.Executions) != 0 {
				t.Errorf("n=%d gave executions %v, want an empty list", n, job.Executions)
			}
		}
	})

	t.Run("hosts of a failed execution", func(t *testing.T) {
		paged := executionMaps(t, GenerateJob("WFAQ", "h", 4, 6, FormPaged))
		failed, _ := json.Marshal(paged[3]["failed_hosts"])
		if string(failed) != `["host-002","host-006"]` {
			t.Errorf("failed_hosts %s", failed)
		}
		array := executionMaps(t, GenerateJob("WFAQ", "h", 4, 6, FormArray))
		result, _ := array[3]["result"].(map[string]any)
		if len(result) != 6 {
			t.Fatalf("Result has %d hosts, want 6", len(result))
		}
		counts, _ := result["host-002"].(map[string]any)
		if counts["failures"] != json.Number("1") {
			t.Errorf("host-002 counts %v, want a failure", counts)
		}
	})
}

// generatedFields returns the execution id, outcome and start time of a
// generated execution in either shape.
func generatedFields(t *testing.T, e map[string]any) (id, status string, start int64) {
	t.Helper()

	var n json.Number
	if _, later := e["execution_id"]; later {
		id, _ = e["execution_id"].(string)
		status, _ = e["status"].(string)
		timers, _ := e["timers"].([]any)
		if len(timers) > 0 {
			first, _ := timers[0].(map[string]any)
			n, _ = first["start"].(json.Number)
		}
	} else {
		id, _ = e["id"].(string)
		status, _ = e["exit_status"].(string)
		n, _ = e["start"].(json.Number)
	}
	start, err := n.Int64()
	if err != nil || id == "" || status == "" {
		t.Fatalf("Execution %v lacks an id, status or start", e)
	}

	return id, status, start
}
