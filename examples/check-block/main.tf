# Watch the fleet without blocking anything: a failed assertion in a check
# block is reported as a warning on every plan and apply.
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

check "web_tier_healthy" {
  data "cvm_instances_status" "web" {
    instance_ids = var.web_instance_ids
  }

  assert {
    condition     = lookup(data.cvm_instances_status.web.state_counts, "RUNNING", 0) == length(toset(var.web_instance_ids))
    error_message = "Only ${lookup(data.cvm_instances_status.web.state_counts, "RUNNING", 0)} of ${length(toset(var.web_instance_ids))} web instances are RUNNING: ${jsonencode(data.cvm_instances_status.web.state_counts)}."
  }
}
