package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/clc-tf/terraform-provider-clc/internal/emulator"
)

// TestAccJobExecutions_maxParallelRequests reads a job of twelve pages
// through the CLI with max_parallel_requests set, so that the pages are read
// concurrently inside the provider under the race detector.
func TestAccJobExecutions_maxParallelRequests(t *testing.T) {
	const jobID = "generated-1150"
	e := startEmulator(t, emulator.GenerateJob("WFAQ", jobID, 1150, 2, emulator.FormPaged))

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "clc" {
  api_url               = %q
  runner_url            = %q
  username              = %q
  password              = %q
  max_parallel_requests = 3
}

data "clc_job_executions" "test" {
  job_id = %q
}
`, e.URL(), e.URL(), emulator.DefaultUsername, emulator.DefaultPassword, jobID),
			ConfigStateChecks: []statecheck.StateCheck{
				expect(knownvalue.ListSizeExact(1150), "executions"),
				// GenerateJob starts one execution an hour, the last the newest.
				expect(knownvalue.Int64Exact(1439998433881+1149*3_600_000), "executions", 0, "start"),
			},
			Check: func(*terraform.State) error {
				return checkPageRequests(e, jobID, 12)
			},
		}},
	})
}

func TestAccJobExecutions_maxParallelRequestsOutOfRange(t *testing.T) {
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `
provider "clc" {
  runner_url            = "http://127.0.0.1:1"
  bearer_token          = "t"
  max_parallel_requests = 64
}
data "clc_job_executions" "test" { job_id = "x" }
`,
			ExpectError: errorLike("Invalid Max Parallel Requests",
				`max_parallel_requests (from the provider configuration) is 64`, "from 1 to 32"),
		}},
	})
}
