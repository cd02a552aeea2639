# Wait for new instances to be ready, not only RUNNING: their TAT agent
# online and no maintenance task open on them, before the deploy that goes
# through the agent. The read polls until every instance is ready, fails at
# once if one can no longer reach RUNNING, and after timeouts.read names
# each instance still not ready and why.
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
  instance_ids   = var.new_instance_ids
  include        = ["maintenance", "agent"]
  wait_for_ready = true

  timeouts {
    read = "15m"
  }
}

resource "terraform_data" "deploy" {
  # Runs only once every new instance is ready.
  input = sort([for i in data.cvm_instances_status.new.instances : "${i.instance_id} (TAT agent ${i.agent_version})"])
}

output "deployed_to" {
  value = terraform_data.deploy.output
}
