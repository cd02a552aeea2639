# Gate a deploy on readiness, not just RUNNING: the plan fails, naming each
# instance and why, unless every web instance exists, is RUNNING, its latest
# operation (a ResetInstance, say) did not fail and is not still running, it
# is not isolated for arrears or expiry, no maintenance task is open on it,
# and its TAT agent is online. Needs cvm:DescribeInstancesStatus,
# cvm:DescribeInstances, cvm:DescribeTaskInfo and
# tat:DescribeAutomationAgentStatus; drop a check from include to drop its
# permission.
terraform {
  required_providers {
    cvm = {
      source = "cvmkit/cvm"
    }
  }
}

variable "web_instance_ids" {
  type = list(string)
}

variable "release" {
  type    = string
  default = "2026.12.1"
}

data "cvm_instances_status" "web" {
  instance_ids = var.web_instance_ids
  include      = ["operation", "restriction", "maintenance", "agent"]
}

# Stands in for whatever the deploy is: an application release, a DNS switch.
resource "terraform_data" "release" {
  input = var.release

  lifecycle {
    precondition {
      # not_ready holds every instance asked for that is not ready, missing
      # IDs included ("not found in <region>"): empty means all are ready.
      condition     = length(data.cvm_instances_status.web.not_ready) == 0
      error_message = "Web instances not ready: ${jsonencode(data.cvm_instances_status.web.not_ready)}"
    }
  }
}

output "release" {
  value = terraform_data.release.output
}
