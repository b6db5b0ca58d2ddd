# Warn, without failing the plan or apply, when the newest run of the
# playbook did not succeed. A check block reports a failed assertion as a
# warning; the data source inside it is read on every plan.
check "deploy_playbook" {
  data "clc_job_executions" "deploy" {
    account_alias = "WFAQ"
    job_id        = "d2b66469-5767-4426-9da0-efcebf82c7aa"
  }

  assert {
    condition     = try(data.clc_job_executions.deploy.latest.exit_status, null) == "SUCCESS"
    error_message = "The newest run of the deploy playbook did not succeed: ${coalesce(try(data.clc_job_executions.deploy.latest.exit_status, null), "no run")}."
  }
}
