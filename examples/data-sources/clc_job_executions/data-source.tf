# Read every execution of one Runner job.
data "clc_job_executions" "deploy" {
  account_alias = "WFAQ"
  job_id        = "d2b66469-5767-4426-9da0-efcebf82c7aa"
}

# The list is newest first, so the first element is the latest run, if any.
output "latest_execution" {
  value = try(data.clc_job_executions.deploy.executions[0], null)
}

# Outcome of each execution, by execution id.
output "exit_status_by_execution" {
  value = {
    for execution in data.clc_job_executions.deploy.executions :
    execution.id => execution.exit_status
  }
}
