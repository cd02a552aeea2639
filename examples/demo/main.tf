# The configuration `make demo` plans against the local emulator. It runs
# unchanged against Tencent Cloud: set the credentials and instance IDs (see
# the end of the demo's output).
terraform {
  required_providers {
    cvm = {
      source = "cvmkit/cvm"
    }
  }
}

provider "cvm" {
  region = "ap-guangzhou"
}

variable "web_instance_ids" {
  description = "The web tier: a release goes out only when all of them run."
  type        = list(string)
  default     = ["ins-web00001", "ins-web00002", "ins-web00003"]
}

variable "batch_instance_ids" {
  description = "Batch workers: watched by a check block, never blocking."
  type        = list(string)
  default     = ["ins-batch001", "ins-batch002", "ins-batch003"]
}

# Waits (up to a minute) for web instances that are still starting, and
# reads whether each is ready for a deploy beyond RUNNING: its latest
# operation did not fail, and its TAT agent is online.
data "cvm_instances_status" "web" {
  instance_ids    = var.web_instance_ids
  wait_for_states = ["RUNNING"]
  include         = ["operation", "agent"]
  timeouts {
    read = "1m"
  }
}

# Every instance in the region.
data "cvm_instances_status" "fleet" {}

resource "terraform_data" "release" {
  input = "release-2026.11"

  lifecycle {
    precondition {
      condition     = alltrue([for s in values(data.cvm_instances_status.web.states) : s == "RUNNING"]) && length(data.cvm_instances_status.web.missing_instance_ids) == 0
      error_message = "The web tier is not fully RUNNING: ${jsonencode(data.cvm_instances_status.web.states)}."
    }
  }
}

check "batch_workers_running" {
  data "cvm_instances_status" "batch" {
    instance_ids = var.batch_instance_ids
  }

  assert {
    condition     = length([for s in values(data.cvm_instances_status.batch.states) : s if s != "RUNNING"]) == 0
    error_message = "Batch workers not running: ${join(", ", [for id, s in data.cvm_instances_status.batch.states : "${id} is ${s}" if s != "RUNNING"])}."
  }
}

output "web_tier" {
  description = "One line per web instance."
  value       = join("\n", [for i in data.cvm_instances_status.web.instances : format("%-14s %s", i.instance_id, i.state)])
}

output "web_not_ready" {
  description = "Web instances that are not ready for a deploy, and why. Gate on length(...not_ready) == 0 to block the release (examples/readiness-gate)."
  value       = data.cvm_instances_status.web.not_ready
}

output "fleet_state_counts" {
  description = "How many instances of the region are in each state."
  value       = data.cvm_instances_status.fleet.state_counts
}

output "fleet_size" {
  value = length(data.cvm_instances_status.fleet.instances)
}
