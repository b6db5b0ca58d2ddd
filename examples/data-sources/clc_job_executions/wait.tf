# Wait for the newest run of the playbook to finish, for example when the
# pipeline has just started it, and go ahead only when it succeeded.
data "clc_job_executions" "deploy" {
  account_alias = "WFAQ"
  job_id        = "d2b66469-5767-4426-9da0-efcebf82c7aa"

  wait_for_completion = {
    timeout       = "30m"
    poll_interval = "30s"
  }
}

locals {
  # Null only when the job has never run.
  deploy_status = try(data.clc_job_executions.deploy.latest.exit_status, null)
}

output "deploy_outcome" {
  value = local.deploy_status
}

resource "terraform_data" "after_deploy" {
  input = try(data.clc_job_executions.deploy.latest.id, null)

  lifecycle {
    precondition {
      condition     = local.deploy_status == "SUCCESS"
      error_message = "The deploy playbook finished with ${coalesce(local.deploy_status, "no run")}, not SUCCESS."
    }
  }
}
