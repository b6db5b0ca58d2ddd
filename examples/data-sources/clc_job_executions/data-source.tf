# Read the executions of one Runner job.
data "clc_job_executions" "deploy" {
  account_alias = "WFAQ"
  job_id        = "d2b66469-5767-4426-9da0-efcebf82c7aa"
}

# The list is newest first; latest is its first element, null if the job has
# never run.
output "latest_execution" {
  value = data.clc_job_executions.deploy.latest
}

# Outcome of each execution, by execution id.
output "exit_status_by_execution" {
  value = {
    for execution in data.clc_job_executions.deploy.executions :
    execution.id => execution.exit_status
  }
}

# Only the runs that finished, started since a given time, and at most the
# five newest of them.
data "clc_job_executions" "recent_deploys" {
  account_alias = "WFAQ"
  job_id        = "d2b66469-5767-4426-9da0-efcebf82c7aa"
  exit_statuses = ["SUCCESS", "FAILURE"]
  started_after = "2015-08-19T15:40:00Z"
  most_recent   = 5
}

# How many of those runs failed: status_counts only holds the statuses that
# occur, so lookup gives 0 for the others.
output "recent_failures" {
  value = lookup(data.clc_job_executions.recent_deploys.status_counts, "FAILURE", 0)
}
