# Read one execution by id, such as the one a pipeline has just started, and
# wait until it has finished.
data "clc_job_execution" "deploy" {
  account_alias = "WFAQ"
  job_id        = "d2b66469-5767-4426-9da0-efcebf82c7aa"
  execution_id  = "ba7e6f6a-2673-4580-a297-8d7e44483bd7"

  wait_for_completion = {
    timeout       = "30m"
    poll_interval = "30s"
  }
}

output "deploy_succeeded" {
  value = data.clc_job_execution.deploy.exit_status == "SUCCESS"
}

# Hosts the run failed on: failures or unreachable in the Ansible recap.
output "deploy_failed_hosts" {
  value = data.clc_job_execution.deploy.failed_hosts
}
