# Wait for instances that were just started (by another tool, or another
# workspace) to come up before going on. The read fails at once if one of
# them can no longer get there (LAUNCH_FAILED, TERMINATING, SHUTDOWN), after
# 30 seconds for an ID that is never found (a typo, another region), and
# after timeouts.read otherwise, naming each instance still not RUNNING.
# When this read follows StartInstances or RebootInstances in the same run,
# add wait_stable_for = "10s": the API can report the old state for a moment.
terraform {
  required_providers {
    cvm = {
      source = "cvmkit/cvm"
    }
  }
}

variable "new_instance_ids" {
  type = list(string)
}

data "cvm_instances_status" "new" {
  instance_ids    = var.new_instance_ids
  wait_for_states = ["RUNNING"]

  timeouts {
    read = "10m"
  }
}

resource "terraform_data" "register" {
  # Runs only once every new instance is RUNNING.
  input = sort(keys(data.cvm_instances_status.new.states))
}

output "registered" {
  value = terraform_data.register.output
}
