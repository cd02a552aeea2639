# Watch readiness without blocking anything: a check block reports a failed
# assertion as a warning, and so is an error of the data source declared
# inside it (a check that cannot be read, a missing permission). Nothing in
# a check block stops a plan or an apply; use a precondition to block.
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

check "web_tier_ready" {
  data "cvm_instances_status" "web" {
    instance_ids = var.web_instance_ids
    include      = ["operation", "agent"]
  }

  assert {
    condition     = length(data.cvm_instances_status.web.not_ready) == 0
    error_message = "Web instances not ready: ${jsonencode(data.cvm_instances_status.web.not_ready)}"
  }
}
