package provider

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"
)

// TestClientLogsFromManyGoroutines logs as the client does while it reads
// pages in parallel: from many goroutines sharing a context that has fields
// and masks. Under the race detector, masking a shared field map fails.
func TestClientLogsFromManyGoroutines(t *testing.T) {
	var output bytes.Buffer
	ctx := tflogtest.RootLogger(t.Context(), &output)
	ctx = tflog.SetField(ctx, "job_id", "job-1")
	ctx = tflog.MaskAllFieldValuesStrings(ctx, "s3cret")

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				tflogLogger{}.Debug(ctx, "Received an API answer",
					map[string]any{"path": "/jobs/WFAQ/s3cret/executions", "status": 200})
			}
		})
	}
	wg.Wait()

	lines := strings.Count(output.String(), "Received an API answer")
	if lines != 400 || strings.Contains(output.String(), "s3cret") {
		t.Errorf("got %d log lines, want 400, with the secret masked:\n%.500s", lines, output.String())
	}
}
