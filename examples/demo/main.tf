# The configuration that `make demo` applies against the local emulator.
# The provider reads its settings from the environment that scripts/demo.sh
# sets up; nothing here is downloaded.
terraform {
  required_providers {
    clc = {
      source = "clc-tf/clc"
    }
  }
}

provider "clc" {}

# The job from the Runner API's "Get Job Executions" page.
data "clc_job_executions" "demo" {
  account_alias = "WFAQ"
  job_id        = "d2b66469-5767-4426-9da0-efcebf82c7aa"
}

locals {
  executions = data.clc_job_executions.demo.executions

  # Columns of the summary; a dash stands for a value the API left out,
  # such as the end of an execution that is still running.
  summary_format = "%-36s  %-12s  %-24s  %-24s  %11s"
  summary_header = format(local.summary_format, "EXECUTION", "EXIT_STATUS", "START_TIME", "END_TIME", "DURATION_MS")

  # One line per execution, each followed by one line per host.
  summary_rows = [
    for execution in local.executions : join("\n", concat(
      [format(local.summary_format,
        execution.id,
        coalesce(execution.exit_status, "-"),
        coalesce(execution.start_time, "-"),
        coalesce(execution.end_time, "-"),
        execution.duration_ms == null ? "-" : tostring(execution.duration_ms),
      )],
      # merge() turns a missing result into an empty map of hosts.
      [
        for host, counts in merge({}, execution.result) :
        format("    %s ok=%d changed=%d unreachable=%d skipped=%d failures=%d",
        host, counts.ok, counts.changed, counts.unreachable, counts.skipped, counts.failures)
      ],
    ))
  ]
}

output "summary" {
  description = "The job's executions, newest first, as a text table."
  value = join("\n", concat(
    [format("Job %s in account %s: %d execution(s)",
    data.clc_job_executions.demo.job_id, data.clc_job_executions.demo.account_alias, length(local.executions))],
    length(local.executions) == 0 ? [] : concat([local.summary_header], local.summary_rows),
    [""],
  ))
}

output "executions" {
  description = "Every execution of the job, as the data source returns it."
  value       = local.executions
}
