package provider

// Benchmarks behind `make bench` (scripts/bench.sh), which runs them and
// prints their figures as one table. They measure and report; they assert
// only what must hold however fast the machine is, such as request counts.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/clc-tf/terraform-provider-clc/internal/emulator"
	"github.com/clc-tf/terraform-provider-clc/internal/runner"
)

// Sizes of the benchmarks.
const (
	benchExecutions = 10000                 // case 1: executions decoded and mapped
	benchHosts      = 10                    // case 1: hosts per execution
	pagedExecutions = 50000                 // cases 2 and 4
	planExecutions  = 1000                  // case 3: executions of each job
	benchLatency    = 20 * time.Millisecond // cases 2 to 4, per request
	benchPageSize   = runner.DefaultPageSize
)

// benchPayload is a bare array of benchExecutions executions in the 2015
// shape, with benchHosts hosts each. With distinct set, no two host recaps
// have the same counts, which defeats the sharing of recaps in valueEncoder;
// the counts stay below 1,000, as those of real playbooks do.
func benchPayload(b *testing.B, distinct bool) []byte {
	b.Helper()

	job := emulator.GenerateJob("WFAQ", "decode", benchExecutions, benchHosts, emulator.FormArray)
	if !distinct {
		return joinJSON(job.Executions)
	}

	for i, raw := range job.Executions {
		var record map[string]any
		if err := json.Unmarshal(raw, &record); err != nil {
			b.Fatal(err)
		}
		result := map[string]runner.HostResult{}
		for h := range benchHosts {
			n := int64(i*benchHosts + h) // Below 100,000: ok and changed tell it.
			result[fmt.Sprintf("host-%03d", h+1)] = runner.HostResult{
				OK: n % 1000, Changed: n / 1000, Skipped: n % 7, Failures: n % 2,
			}
		}
		record["result"] = result
		var err error
		if job.Executions[i], err = json.Marshal(record); err != nil {
			b.Fatal(err)
		}
	}

	return joinJSON(job.Executions)
}

func joinJSON(values []json.RawMessage) []byte {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, v := range values {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(v)
	}
	buf.WriteByte(']')

	return buf.Bytes()
}

// floorExecution is the 2015 shape as plain Go types: what encoding/json
// decodes with no help, the floor that case 1 compares with.
type floorExecution struct {
	ID           string                       `json:"id"`
	JobID        string                       `json:"job_id"`
	AccountAlias string                       `json:"account_alias"`
	ExitStatus   string                       `json:"exit_status"`
	Start        int64                        `json:"start"`
	End          int64                        `json:"end"`
	Result       map[string]runner.HostResult `json:"result"`
}

// BenchmarkDecodeMap is case 1: the floor, the client's decode, and the
// decode and mapping into the Terraform value that the state receives.
func BenchmarkDecodeMap(b *testing.B) {
	for _, recaps := range []string{"shared-recaps", "distinct-recaps"} {
		body := benchPayload(b, recaps == "distinct-recaps")

		b.Run(recaps+"/floor", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				var records []floorExecution
				if err := json.Unmarshal(body, &records); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(recaps+"/decode", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := runner.DecodeExecutions(body); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(recaps+"/decode-map", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				executions, err := runner.DecodeExecutions(body)
				if err != nil {
					b.Fatal(err)
				}
				newValueEncoder().executions(executions)
			}
		})
	}
}

// Go struct model of the data source, for the framework's reflection.
type (
	reflectedState struct {
		Executions []reflectedExecution `tfsdk:"executions"`
	}
	reflectedExecution struct {
		ID           string                    `tfsdk:"id"`
		JobID        string                    `tfsdk:"job_id"`
		AccountAlias string                    `tfsdk:"account_alias"`
		ExitStatus   *string                   `tfsdk:"exit_status"`
		Start        *int64                    `tfsdk:"start"`
		End          *int64                    `tfsdk:"end"`
		StartTime    *string                   `tfsdk:"start_time"`
		EndTime      *string                   `tfsdk:"end_time"`
		DurationMS   *int64                    `tfsdk:"duration_ms"`
		Result       map[string]reflectedRecap `tfsdk:"result"`
		FailedHosts  []string                  `tfsdk:"failed_hosts"`
	}
	reflectedRecap struct {
		OK          int64 `tfsdk:"ok"`
		Changed     int64 `tfsdk:"changed"`
		Unreachable int64 `tfsdk:"unreachable"`
		Skipped     int64 `tfsdk:"skipped"`
		Failures    int64 `tfsdk:"failures"`
	}
)

func reflectedModel(executions []runner.Execution) reflectedState {
	optional := func(e runner.Epoch) *int64 {
		if !e.Valid {
			return nil
		}
		return &e.Millis
	}
	optionalTime := func(e runner.Epoch) *string {
		if !e.Valid {
			return nil
		}
		s := time.UnixMilli(e.Millis).UTC().Format(timeLayout)
		return &s
	}

	var model reflectedState
	model.Executions = make([]reflectedExecution, len(executions))
	for i := range executions {
		e := &executions[i]
		r := reflectedExecution{
			ID: e.ID, JobID: e.JobID, AccountAlias: e.AccountAlias,
			Start: optional(e.Start), End: optional(e.End),
			StartTime: optionalTime(e.Start), EndTime: optionalTime(e.End),
			FailedHosts: e.FailedHosts,
		}
		if e.HasExitStatus {
			r.ExitStatus = &e.ExitStatus
		}
		if e.Start.Valid && e.End.Valid {
			d := e.End.Millis - e.Start.Millis
			r.DurationMS = &d
		}
		if e.Result != nil {
			r.Result = make(map[string]reflectedRecap, len(e.Result))
			for host, counts := range e.Result {
				r.Result[host] = reflectedRecap(counts)
			}
		}
		model.Executions[i] = r
	}

	return model
}

// BenchmarkStateSet compares three ways of putting decoded executions into
// the state: the framework's reflection over a Go struct model, framework
// attr values (executionObject) set through the model, and the Terraform
// values of valueEncoder, which Read uses. The state holds the executions
// attribute alone, so that the data source's other attributes do not count.
func BenchmarkStateSet(b *testing.B) {
	executions, err := runner.DecodeExecutions(benchPayload(b, false))
	if err != nil {
		b.Fatal(err)
	}
	stateSchema := schema.Schema{Attributes: map[string]schema.Attribute{
		"executions": schema.ListNestedAttribute{
			Computed:     true,
			NestedObject: schema.NestedAttributeObject{Attributes: executionAttributes()},
		},
	}}
	newState := func() tfsdk.State {
		return tfsdk.State{
			Schema: stateSchema,
			Raw:    tftypes.NewValue(stateSchema.Type().TerraformType(b.Context()), nil),
		}
	}
	var model struct {
		Executions types.List `tfsdk:"executions"`
	}

	b.Run("terraform-values", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			state := newState()
			model.Executions = types.ListNull(executionType)
			diags := state.Set(b.Context(), &model)
			diags.Append(state.SetAttribute(b.Context(), path.Root("executions"),
				newValueEncoder().executions(executions))...)
			if diags.HasError() {
				b.Fatal(diags)
			}
		}
	})
	b.Run("attr-values", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			elements := make([]attr.Value, len(executions))
			for i := range executions {
				object, diags := executionObject(b.Context(), &executions[i])
				if diags.HasError() {
					b.Fatal(diags)
				}
				elements[i] = object
			}
			list, diags := types.ListValue(executionType, elements)
			model.Executions = list
			state := newState()
			diags.Append(state.Set(b.Context(), &model)...)
			if diags.HasError() {
				b.Fatal(diags)
			}
		}
	})
	b.Run("reflected-model", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			reflected := reflectedModel(executions)
			state := newState()
			if diags := state.Set(b.Context(), &reflected); diags.HasError() {
				b.Fatal(diags)
			}
		}
	})
}

// BenchmarkPagedRead is case 2: one read of pagedExecutions executions in
// pages of benchPageSize, each request answered after benchLatency, by a
// fresh client, so that the login is included. "client" is the client's
// read alone; "read" is the data source's Read, which also builds the state.
func BenchmarkPagedRead(b *testing.B) {
	const jobID = "paged"
	e := emulator.StartForTest(b, emulator.Config{
		Jobs: []emulator.Job{
			pagedJobWithHosts(jobID, pagedExecutions),
		},
		Latency: benchLatency,
	})
	pages := (pagedExecutions + benchPageSize - 1) / benchPageSize

	for _, parallel := range []int{runner.DefaultMaxParallelRequests, 16} {
		for _, what := range []string{"client", "read"} {
			b.Run(fmt.Sprintf("parallel=%d/%s", parallel, what), func(b *testing.B) {
				for b.Loop() {
					client, err := runner.New(runner.Config{
						APIURL: e.URL(), RunnerURL: e.URL(),
						Username: emulator.DefaultUsername, Password: emulator.DefaultPassword,
						MaxParallelRequests: parallel,
					})
					if err != nil {
						b.Fatal(err)
					}
					count, err := pagedRead(b, client, what, jobID)
					if err != nil || count != pagedExecutions {
						b.Fatalf("read %d executions (%v), want %d", count, err, pagedExecutions)
					}
				}

				// The ideal: the login, the first page, then the other
				// pages in rounds of `parallel`, each one latency long.
				rounds := 2 + (pages-1+parallel-1)/parallel
				b.ReportMetric(milliseconds(b.Elapsed())/float64(b.N), "wall-ms")
				b.ReportMetric(milliseconds(benchLatency)*float64(pages), "serial-ms")
				b.ReportMetric(milliseconds(benchLatency)*float64(rounds), "ideal-ms")
			})
		}
	}
}

// pagedRead reads jobID with the client alone or through Read, and returns
// how many executions it got.
func pagedRead(b *testing.B, client *runner.Client, what, jobID string) (int, error) {
	if what == "client" {
		executions, err := client.JobExecutions(b.Context(), emulator.DefaultAccountAlias, jobID)
		return len(executions), err
	}

	resp := readJob(b.Context(), b, client, jobID)
	if resp.Diagnostics.HasError() {
		return 0, fmt.Errorf("%v", resp.Diagnostics)
	}
	var executions []tftypes.Value
	err := executionsOf(b, resp).As(&executions)

	return len(executions), err
}

func milliseconds(d time.Duration) float64 {
	return float64(d) / float64(time.Millisecond)
}

// BenchmarkPlan runs `terraform plan` through the real CLI against the
// emulator, with the provider binary named by BENCH_PROVIDER_BINARY: case 3 with
// 1 and with 25 data sources, each reading a job of planExecutions, and case
// 4 with one data source reading pagedExecutions. It counts the requests the
// emulator receives and, when BENCH_PEAK_RSS names scripts/peak-rss,
// reports the provider process's peak RSS.
func BenchmarkPlan(b *testing.B) {
	provider := os.Getenv("BENCH_PROVIDER_BINARY")
	if provider == "" {
		b.Skip("BENCH_PROVIDER_BINARY must name a built provider; make bench sets it")
	}
	terraform := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if terraform == "" {
		var err error
		if terraform, err = exec.LookPath("terraform"); err != nil {
			b.Skip("no Terraform CLI: put terraform on PATH or set TF_ACC_TERRAFORM_PATH")
		}
	}

	jobs := []emulator.Job{
		pagedJobWithHosts("large", pagedExecutions),
	}
	for i := range 25 {
		jobs = append(jobs,
			emulator.GenerateJob("WFAQ", fmt.Sprintf("job-%02d", i), planExecutions, 5, emulator.FormPaged))
	}
	e := emulator.StartForTest(b, emulator.Config{Jobs: jobs, Latency: benchLatency})

	for _, c := range []struct {
		name string
		jobs []emulator.Job
	}{
		{"data-sources=1", jobs[1:2]},
		{"data-sources=25", jobs[1:]},
		{fmt.Sprintf("executions=%d", pagedExecutions), jobs[:1]},
	} {
		b.Run(c.name, func(b *testing.B) {
			p := newPlanRun(b, e, terraform, provider, c.jobs)
			var peak int64
			for b.Loop() {
				p.plan(b)
				peak = max(peak, p.peakRSS(b))
			}

			b.ReportMetric(float64(p.requests), "requests")
			b.ReportMetric(float64(p.expectedRequests()), "expected-requests")
			if peak > 0 {
				b.ReportMetric(float64(peak)/(1<<20), "peak-rss-MiB")
				b.ReportMetric(float64(p.jsonBytes())/(1<<20), "json-MiB")
			}
		})
	}
}

// planRun is a Terraform working folder that reads jobs from an emulator.
type planRun struct {
	emulator  *emulator.Server
	terraform string
	dir       string
	rssFile   string
	jobs      []emulator.Job
	env       []string
	requests  int
}

func newPlanRun(
	b *testing.B, e *emulator.Server, terraform, provider string, jobs []emulator.Job,
) *planRun {
	b.Helper()
	dir := b.TempDir()
	p := &planRun{emulator: e, terraform: terraform, dir: dir, jobs: jobs}

	// dev_overrides points Terraform at a folder whose provider is a script
	// that starts the built provider, through peak-rss when there is one.
	pluginDir := filepath.Join(dir, "plugins")
	command := strconv.Quote(provider) + ` "$@"`
	if peakRSS := os.Getenv("BENCH_PEAK_RSS"); peakRSS != "" {
		p.rssFile = filepath.Join(dir, "peak-rss")
		command = strconv.Quote(peakRSS) + " -o " + strconv.Quote(p.rssFile) + " -- " + command
	}
	cliConfig := fmt.Sprintf(`provider_installation {
  dev_overrides {
    "registry.terraform.io/clc-tf/clc" = %q
  }
  direct {}
}
`, pluginDir)

	var config strings.Builder
	config.WriteString("terraform {\n  required_providers {\n    clc = {\n" +
		"      source = \"clc-tf/clc\"\n    }\n  }\n}\n\n")
	fmt.Fprintf(&config, "provider \"clc\" {\n  api_url    = %q\n  runner_url = %q\n"+
		"  username   = %q\n  password   = %q\n}\n",
		e.URL(), e.URL(), emulator.DefaultUsername, emulator.DefaultPassword)
	for i, job := range jobs {
		fmt.Fprintf(&config, "\ndata \"clc_job_executions\" \"job%d\" {\n  job_id = %q\n}\n", i, job.ID)
	}

	for name, content := range map[string]string{
		"plugins/terraform-provider-clc": "#!/bin/sh\nexec " + command + "\n",
		"terraformrc":                    cliConfig,
		"work/main.tf":                   config.String(),
	} {
		file := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(content), 0o700); err != nil {
			b.Fatal(err)
		}
	}

	p.env = append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+filepath.Join(dir, "terraformrc"),
		"CHECKPOINT_DISABLE=1",
		"TF_IN_AUTOMATION=1",
	)

	return p
}

// plan runs terraform plan once and checks the requests it caused: one
// login, then each page of each job exactly once.
func (p *planRun) plan(b *testing.B) {
	b.Helper()
	p.emulator.ResetRequests()

	cmd := exec.CommandContext(b.Context(), p.terraform,
		"-chdir="+filepath.Join(p.dir, "work"), "plan", "-input=false", "-lock=false", "-no-color")
	cmd.Env = p.env
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("terraform plan: %v\n%s", err, out)
	}

	requests := p.emulator.Requests()
	p.requests = len(requests)
	if n := p.emulator.Logins(); n != 1 {
		b.Errorf("terraform plan logged in %d times, want once", n)
	}
	for _, job := range p.jobs {
		path := "/jobs/WFAQ/" + job.ID + "/executions"
		if n, want := p.emulator.Count("GET", path), pagesOf(job); n != want {
			b.Errorf("job %s: %d requests, want one per page: %d", job.ID, n, want)
		}
	}
	if p.requests != p.expectedRequests() {
		b.Errorf("%d requests, want %d", p.requests, p.expectedRequests())
	}
}

func (p *planRun) expectedRequests() int {
	n := 1
	for _, job := range p.jobs {
		n += pagesOf(job)
	}

	return n
}

// jsonBytes is the size of the executions the jobs hold, as served.
func (p *planRun) jsonBytes() int {
	n := 0
	for _, job := range p.jobs {
		for _, execution := range job.Executions {
			n += len(execution) + 1
		}
	}

	return n
}

// peakRSS returns the provider's peak RSS in bytes from the last plan, or 0.
func (p *planRun) peakRSS(b *testing.B) int64 {
	b.Helper()
	if p.rssFile == "" {
		return 0
	}

	data, err := os.ReadFile(p.rssFile)
	if err != nil {
		b.Fatalf("peak-rss wrote nothing: %v", err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		b.Fatal(err)
	}

	return n
}

func pagesOf(job emulator.Job) int {
	return max(1, (len(job.Executions)+benchPageSize-1)/benchPageSize)
}

// pagedJobWithHosts is a job of n executions in the 2015 shape, each with a
// result for 5 hosts, served in pages: the later shape has no per-host
// results, and those are most of what a read of many executions costs.
func pagedJobWithHosts(id string, n int) emulator.Job {
	job := emulator.GenerateJob("WFAQ", id, n, 5, emulator.FormArray)
	job.Form = emulator.FormPaged

	return job
}
