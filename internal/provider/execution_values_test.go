package provider

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/clc-tf/terraform-provider-clc/internal/emulator"
	"github.com/clc-tf/terraform-provider-clc/internal/runner"
)

// readRequest returns what the framework passes to the Read of
// clc_job_executions for a configuration that sets job_id alone.
func readRequest(t testing.TB, jobID string) (datasource.ReadRequest, *datasource.ReadResponse) {
	t.Helper()

	var schemaResp datasource.SchemaResponse
	(&jobExecutionsDataSource{}).Schema(t.Context(), datasource.SchemaRequest{}, &schemaResp)
	objectType, ok := schemaResp.Schema.Type().TerraformType(t.Context()).(tftypes.Object)
	if !ok {
		t.Fatal("the data source schema is not an object")
	}
	values := map[string]tftypes.Value{}
	for name, typ := range objectType.AttributeTypes {
		values[name] = tftypes.NewValue(typ, nil)
	}
	values["job_id"] = tftypes.NewValue(tftypes.String, jobID)
	config := tftypes.NewValue(objectType, values)

	return datasource.ReadRequest{Config: tfsdk.Config{Schema: schemaResp.Schema, Raw: config}},
		&datasource.ReadResponse{State: tfsdk.State{Schema: schemaResp.Schema, Raw: config.Copy()}}
}

// readJob runs the data source's Read for jobID through client and returns
// the response.
func readJob(
	ctx context.Context, t testing.TB, client *runner.Client, jobID string,
) *datasource.ReadResponse {
	t.Helper()

	req, resp := readRequest(t, jobID)
	(&jobExecutionsDataSource{data: &providerData{client: client}}).Read(ctx, req, resp)

	return resp
}

// emulatorClient returns a client that logs in to e.
func emulatorClient(t testing.TB, e *emulator.Server) *runner.Client {
	t.Helper()
	c, err := runner.New(runner.Config{
		APIURL: e.URL(), RunnerURL: e.URL(),
		Username: emulator.DefaultUsername, Password: emulator.DefaultPassword,
	})
	if err != nil {
		t.Fatal(err)
	}

	return c
}

func TestExecutionObjectMatchesTheState(t *testing.T) {
	executions := []runner.Execution{
		{
			ID: "a", JobID: "j", AccountAlias: "WFAQ", ExitStatus: "FAILURE", HasExitStatus: true,
			Start: runner.Epoch{Millis: 1439998433881, Valid: true},
			End:   runner.Epoch{Millis: 1439998433889, Valid: true},
			Result: map[string]runner.HostResult{
				"web-1": {OK: 3, Changed: 1}, "web-2": {OK: 1, Failures: 1000},
			},
			FailedHosts: []string{"web-2"},
		},
		{ID: "running", JobID: "j", AccountAlias: "WFAQ", Start: runner.Epoch{Millis: -5, Valid: true}},
	}

	for i := range executions {
		e := &executions[i]
		object, diags := executionObject(t.Context(), e)
		if diags.HasError() {
			t.Fatal(diags)
		}
		got, err := object.ToTerraformValue(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if want := newValueEncoder().execution(e); !got.Equal(want) {
			t.Errorf("execution %s: executionObject gives\n%s\nthe state holds\n%s", e.ID, got, want)
		}
	}

	object, _ := executionObject(t.Context(), &executions[0])
	typed, ok := object.(types.Object)
	if !ok {
		t.Fatalf("executionObject returned a %T, want types.Object", object)
	}
	attributes := typed.Attributes()
	for name, want := range map[string]string{
		"start_time": `"2015-08-19T15:33:53.881Z"`, "duration_ms": "8", "exit_status": `"FAILURE"`,
		"result": `{"web-1":{"changed":1,"failures":0,"ok":3,"skipped":0,"unreachable":0},` +
			`"web-2":{"changed":0,"failures":1000,"ok":1,"skipped":0,"unreachable":0}}`,
	} {
		if got := attributes[name].String(); got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}
}

func TestReadWarnsAboveTheThreshold(t *testing.T) {
	const over, atLimit = "over-the-threshold", "at-the-threshold"
	e := emulator.StartForTest(t, emulator.Config{Jobs: []emulator.Job{
		emulator.GenerateJob("WFAQ", over, largeReadThreshold+1, 0, emulator.FormPaged),
		emulator.GenerateJob("WFAQ", atLimit, largeReadThreshold, 0, emulator.FormPaged),
	}})
	client := emulatorClient(t, e)

	resp := readJob(t.Context(), t, client, over)
	if resp.Diagnostics.HasError() || len(resp.Diagnostics) != 1 {
		t.Fatalf("diagnostics = %v, want one warning", resp.Diagnostics)
	}
	warning := resp.Diagnostics[0]
	wantDetail := fmt.Sprintf(`job %q in account "WFAQ" has %d executions that match, more than %d`,
		over, largeReadThreshold+1, largeReadThreshold)
	if warning.Summary() != "Large Number of Job Executions" ||
		!strings.Contains(warning.Detail(), wantDetail) || !strings.Contains(warning.Detail(), "filter") {
		t.Errorf("warning = %q: %q, want it to say %q and suggest a filter",
			warning.Summary(), warning.Detail(), wantDetail)
	}

	if resp := readJob(t.Context(), t, client, atLimit); len(resp.Diagnostics) != 0 {
		t.Errorf("a read of exactly %d executions gave %v, want no diagnostic",
			largeReadThreshold, resp.Diagnostics)
	}
}

// TestReadOfFiftyThousandExecutions reads 50,000 executions of five hosts
// each and checks that the memory it allocates and keeps stays within a
// small multiple of the JSON it read. It measures no time.
func TestReadOfFiftyThousandExecutions(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 50,000 executions")
	}
	const jobID, count = "fifty-thousand", 50000
	job := emulator.GenerateJob("WFAQ", jobID, count, 5, emulator.FormArray)
	jsonBytes := 0
	for _, execution := range job.Executions {
		jsonBytes += len(execution) + 1
	}
	e := emulator.StartForTest(t, emulator.Config{Jobs: []emulator.Job{job}})
	client := emulatorClient(t, e)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	resp := readJob(t.Context(), t, client, jobID)
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(resp)

	if resp.Diagnostics.HasError() {
		t.Fatal(resp.Diagnostics)
	}
	var executions []tftypes.Value
	if err := executionsOf(t, resp).As(&executions); err != nil || len(executions) != count {
		t.Fatalf("the state holds %d executions (%v), want %d", len(executions), err, count)
	}

	allocated := float64(after.TotalAlloc-before.TotalAlloc) / float64(jsonBytes)
	kept := float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(jsonBytes)
	t.Logf("JSON %.1f MiB; allocated %.1fx, kept %.1fx", float64(jsonBytes)/(1<<20), allocated, kept)
	// Bounds with room to spare: the emulator's answer, the client's copy,
	// the decoded records and the state value each cost about the JSON's size
	// or a few times it.
	if allocated > 40 || kept > 15 {
		t.Errorf("the read allocated %.1f and kept %.1f times the %d bytes of JSON, "+
			"want at most 40 and 15", allocated, kept, jsonBytes)
	}
}

// executionsOf returns the executions attribute of a read's state.
func executionsOf(t testing.TB, resp *datasource.ReadResponse) tftypes.Value {
	t.Helper()

	var attributes map[string]tftypes.Value
	if err := resp.State.Raw.As(&attributes); err != nil {
		t.Fatal(err)
	}

	return attributes["executions"]
}

func TestEpochTime(t *testing.T) {
	t.Parallel()

	tests := []struct {
		millis int64
		want   any // a string, or nil for null
	}{
		{1439998433881, "2015-08-19T15:33:53.881Z"},
		{0, "1970-01-01T00:00:00.000Z"},
		{-1, "1969-12-31T23:59:59.999Z"},
		{253402300799999, "9999-12-31T23:59:59.999Z"},
		{253402300800000, nil}, // year 10000
		{-62167219200001, nil}, // before year 0
	}

	for _, tt := range tests {
		got := epochTime(runner.Epoch{Millis: tt.millis, Valid: true})
		want := tftypes.NewValue(tftypes.String, tt.want)
		if !got.Equal(want) {
			t.Errorf("epochTime(%d) = %v, want %v", tt.millis, got, want)
		}
	}
}
