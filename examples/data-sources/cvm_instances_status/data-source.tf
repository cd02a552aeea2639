variable "web_instance_ids" {
  description = "Instances behind the web load balancer."
  type        = list(string)
}

# The states of chosen instances.
data "cvm_instances_status" "web" {
  instance_ids = var.web_instance_ids
}

# Every instance of another region (omit instance_ids).
data "cvm_instances_status" "shanghai" {
  region = "ap-shanghai"
}

output "web_states" {
  description = "Instance ID => state, e.g. { \"ins-r8hr2upy\" = \"RUNNING\" }."
  value       = data.cvm_instances_status.web.states
}

output "web_not_found" {
  value = data.cvm_instances_status.web.missing_instance_ids
}

output "shanghai_running" {
  value = lookup(data.cvm_instances_status.shanghai.state_counts, "RUNNING", 0)
}
