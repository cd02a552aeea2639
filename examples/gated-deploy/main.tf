# Gate a deploy on the web tier: the plan fails, naming the culprits, unless
# every web instance exists and is RUNNING.
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
  default = "2026.11.1"
}

data "cvm_instances_status" "web" {
  instance_ids = var.web_instance_ids
}

locals {
  not_running = [for id, state in data.cvm_instances_status.web.states : "${id} (${state})" if state != "RUNNING"]
}

# Stands in for whatever the deploy is: an application release, a DNS switch.
resource "terraform_data" "release" {
  input = var.release

  lifecycle {
    precondition {
      condition     = length(data.cvm_instances_status.web.missing_instance_ids) == 0
      error_message = "Unknown web instances: ${join(", ", data.cvm_instances_status.web.missing_instance_ids)}."
    }
    precondition {
      condition     = length(local.not_running) == 0
      error_message = "Web instances not running: ${join(", ", local.not_running)}."
    }
  }
}

output "release" {
  value = terraform_data.release.output
}
