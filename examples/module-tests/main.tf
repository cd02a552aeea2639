# A module that gates a release on the state of the instances it runs on,
# and watches them with a check block. Its tests, in tests/, run offline:
# release_gate.tftest.hcl against cvm-emulator (see README.md),
# release_gate_mocked.tftest.hcl against a mock provider.
terraform {
  required_version = ">= 1.7"
  required_providers {
    cvm = {
      source = "cvmkit/cvm"
    }
  }
}

variable "instance_ids" {
  description = "The instances the release goes to."
  type        = list(string)
}

variable "release" {
  description = "The release to deploy."
  type        = string
}

data "cvm_instances_status" "fleet" {
  instance_ids = var.instance_ids
}

locals {
  not_running = [for id, state in data.cvm_instances_status.fleet.states : "${id} (${state})" if state != "RUNNING"]
}

# Stands in for the deploy: an application release, a DNS switch.
resource "terraform_data" "release" {
  input = var.release

  lifecycle {
    precondition {
      condition     = length(data.cvm_instances_status.fleet.missing_instance_ids) == 0
      error_message = "Unknown instances: ${join(", ", data.cvm_instances_status.fleet.missing_instance_ids)}."
    }
    precondition {
      condition     = length(local.not_running) == 0
      error_message = "Instances not running: ${join(", ", local.not_running)}."
    }
  }
}

# Reported on every plan and apply, never blocking.
check "fleet_running" {
  assert {
    condition     = lookup(data.cvm_instances_status.fleet.state_counts, "RUNNING", 0) == length(distinct(var.instance_ids))
    error_message = "Not every instance is RUNNING: ${jsonencode(data.cvm_instances_status.fleet.state_counts)}."
  }
}

output "release" {
  value = terraform_data.release.output
}
