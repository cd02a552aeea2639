# Wait once, right after the instances are created or replaced, and show how
# it goes; no wait on plans that change nothing. The data source's wait
# (cvm_instances_status with wait_for_states) runs on every plan instead.
variable "instance_ids" {
  description = "The instances to wait for, as the resource that creates them reports them."
  type        = list(string)
}

variable "release" {
  description = "What was deployed: a change replaces the instances, and waits again."
  type        = string
}

# terraform_data stands for the resource that creates the instances (a
# tencentcloud_instance, a module): its action_trigger runs the wait after it
# is created and after each update.
resource "terraform_data" "web" {
  input = var.release

  lifecycle {
    action_trigger {
      events  = [after_create, after_update]
      actions = [action.cvm_instances_wait.web]
    }
  }
}

action "cvm_instances_wait" "web" {
  config {
    instance_ids = var.instance_ids
    # Right after StartInstances or RebootInstances, add
    # wait_stable_for = "10s": the API can report the old state for a moment.
    timeout = "15m"
  }
}
