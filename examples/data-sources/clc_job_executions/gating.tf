# Gate a later step on a Runner job: the plan fails unless the job's newest
# execution ended in SUCCESS.
data "clc_job_executions" "configure_hosts" {
  account_alias = "WFAQ"
  job_id        = "d2b66469-5767-4426-9da0-efcebf82c7aa"
}

locals {
  # The newest execution; null when the job has never run.
  newest_configure_run = data.clc_job_executions.configure_hosts.latest

  newest_configure_status = coalesce(try(local.newest_configure_run.exit_status, null), "no status")
}

resource "terraform_data" "rollout" {
  # Each new execution replaces this resource, so whatever depends on it
  # runs again after every successful configuration run.
  triggers_replace = try(local.newest_configure_run.id, null)

  lifecycle {
    precondition {
      condition     = local.newest_configure_run != null
      error_message = "The configuration job has never run. Run it before rolling out."
    }

    precondition {
      condition     = local.newest_configure_run == null || local.newest_configure_status == "SUCCESS"
      error_message = "The newest execution of the configuration job ended with ${local.newest_configure_status}, not SUCCESS."
    }
  }
}
