package emulator

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"sort"
)

//go:embed fixtures/*.json
var fixtureFiles embed.FS

// Fixtures returns the jobs of the embedded fixture files, one job per file,
// in file name order. Each call decodes the files afresh, so the caller may
// change the result.
func Fixtures() ([]Job, error) {
	sub, err := fs.Sub(fixtureFiles, "fixtures")
	if err != nil {
		return nil, fmt.Errorf("opening the embedded fixtures: %w", err)
	}

	return loadJobs(sub, "embedded fixtures")
}

// LoadJobs reads every *.json file in dir as one Job, in file name order.
// It fails when dir holds no such file or when a file is not a Job.
func LoadJobs(dir string) ([]Job, error) {
	return loadJobs(os.DirFS(dir), dir)
}

func loadJobs(fsys fs.FS, where string) ([]Job, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", where, err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s holds no *.json job file", where)
	}
	sort.Strings(names)

	jobs := make([]Job, 0, len(names))
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("reading %s in %s: %w", name, where, err)
		}
		job, err := decodeJob(data)
		if err != nil {
			return nil, fmt.Errorf("decoding %s in %s: %w", name, where, err)
		}
		jobs = append(jobs, job)
	}

	return jobs, nil
}

// decodeJob decodes one Job, refusing unknown fields so that a misspelled key
// in a fixture is caught rather than silently ignored.
func decodeJob(data []byte) (Job, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()

	var job Job
	if err := dec.Decode(&job); err != nil {
		return Job{}, err
	}
	if dec.More() {
		return Job{}, fmt.Errorf("trailing data after the job object")
	}
	if job.Executions == nil {
		job.Executions = []json.RawMessage{}
	}

	return job, nil
}

// Values GenerateJob builds executions from.
const (
	generatedFirstStart = 1439998433881 // The first start time of the API page.
	generatedInterval   = 3_600_000     // One execution an hour.
)

// GenerateJob builds a job with n executions on hosts hosts, for paging and
// load tests. The result depends only on its arguments. With form FormPaged
// the executions have the later shape (execution_id, status, timers,
// failed_hosts); with any other form they have the 2015 shape (id,
// exit_status, start, end, result). Execution ids are distinct, start times
// increase by an hour, and every fifth execution, starting with the fourth,
// is a FAILURE.
func GenerateJob(alias, id string, n, hosts int, form string) Job {
	h := fnv.New32a()
	_, _ = h.Write([]byte(alias + "/" + id)) // Writing to a hash never fails.
	prefix := h.Sum32()

	executions := make([]json.RawMessage, 0, max(n, 0))
	for i := range max(n, 0) {
		g := generated{
			alias:  alias,
			jobID:  id,
			id:     fmt.Sprintf("%08x-0000-4000-8000-%012x", prefix, uint64(i)),
			start:  generatedFirstStart + int64(i)*generatedInterval,
			failed: i%5 == 3,
		}
		g.end = g.start + 5_000 + int64(i%7)*1_000

		var value any
		if form == FormPaged {
			value = g.laterShape(hosts)
		} else {
			value = g.pageShape(hosts)
		}
		raw, err := json.Marshal(value)
		if err != nil {
			panic("emulator: generated execution does not marshal: " + err.Error())
		}
		executions = append(executions, raw)
	}

	return Job{AccountAlias: alias, ID: id, Form: form, Executions: executions}
}

// generated holds what the two execution shapes of GenerateJob share.
type generated struct {
	alias, jobID, id string
	start, end       int64
	failed           bool
}

// hostResult is one host's counts in the result of a 2015 shape execution.
type hostResult struct {
	Unreachable int `json:"unreachable"`
	Skipped     int `json:"skipped"`
	OK          int `json:"ok"`
	Changed     int `json:"changed"`
	Failures    int `json:"failures"`
}

// failingHost tells whether host number j fails in a failed execution.
func failingHost(j int) bool {
	return j%4 == 1
}

func hostName(j int) string {
	return fmt.Sprintf("host-%03d", j+1)
}

func (g generated) status() string {
	if g.failed {
		return "FAILURE"
	}

	return "SUCCESS"
}

// pageShape returns the execution in the shape of the 2015 API page.
func (g generated) pageShape(hosts int) any {
	result := make(map[string]hostResult, max(hosts, 0))
	for j := range max(hosts, 0) {
		r := hostResult{OK: 3, Changed: j % 2}
		if g.failed && failingHost(j) {
			r = hostResult{OK: 1, Failures: 1, Skipped: 1}
		}
		result[hostName(j)] = r
	}

	return struct {
		ID           string                `json:"id"`
		Start        int64                 `json:"start"`
		End          int64                 `json:"end"`
		JobID        string                `json:"job_id"`
		AccountAlias string                `json:"account_alias"`
		ExitStatus   string                `json:"exit_status"`
		Result       map[string]hostResult `json:"result"`
	}{g.id, g.start, g.end, g.jobID, g.alias, g.status(), result}
}

// timer is one run of a later shape execution.
type timer struct {
	Start int64 `json:"start"`
	End   int64 `json:"end"`
}

// laterShape returns the execution in the shape of the later documentation.
func (g generated) laterShape(hosts int) any {
	failedHosts := []string{}
	if g.failed {
		for j := range max(hosts, 0) {
			if failingHost(j) {
				failedHosts = append(failedHosts, hostName(j))
			}
		}
	}

	return struct {
		ExecutionID      string   `json:"execution_id"`
		JobID            string   `json:"job_id"`
		AccountAlias     string   `json:"account_alias"`
		Status           string   `json:"status"`
		Timers           []timer  `json:"timers"`
		FailedHosts      []string `json:"failed_hosts"`
		RepositoryLog    *string  `json:"repository_log"`
		IsVPNEstablished bool     `json:"is_vpn_established"`
	}{
		ExecutionID:  g.id,
		JobID:        g.jobID,
		AccountAlias: g.alias,
		Status:       g.status(),
		Timers:       []timer{{Start: g.start, End: g.end}},
		FailedHosts:  failedHosts,
	}
}
