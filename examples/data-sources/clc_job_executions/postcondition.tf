# Stop the plan when the newest run of the playbook did not succeed. A
# postcondition on the data source is checked as soon as it is read, so
# nothing that depends on it is planned after a failed run.
data "clc_job_executions" "deploy" {
  account_alias = "WFAQ"
  job_id        = "d2b66469-5767-4426-9da0-efcebf82c7aa"

  lifecycle {
    postcondition {
      # latest is null when the job has never run; try turns that into null.
      condition     = try(self.latest.exit_status, null) == "SUCCESS"
      error_message = "The newest run of the deploy playbook did not succeed: ${try(self.latest.exit_status, "it has never run")}."
    }
  }
}
