# No emulator, no network: the provider is a mock, and the data source
# answers what each run says. For the module's own logic; the emulator
# tests (release_gate.tftest.hcl) also cover what the real provider does.

mock_provider "cvm" {}

variables {
  release = "2026.12.1"
}

run "releases_when_every_instance_runs" {
  command = plan

  variables {
    instance_ids = ["ins-web00001", "ins-web00002"]
  }

  override_data {
    target = data.cvm_instances_status.fleet
    values = {
      states               = { "ins-web00001" = "RUNNING", "ins-web00002" = "RUNNING" }
      state_counts         = { RUNNING = 2 }
      missing_instance_ids = []
    }
  }

  assert {
    condition     = terraform_data.release.input == "2026.12.1"
    error_message = "The release is not planned."
  }
}

run "refuses_an_instance_being_rebooted" {
  command = plan

  variables {
    instance_ids = ["ins-web00001", "ins-web00002"]
  }

  override_data {
    target = data.cvm_instances_status.fleet
    values = {
      states               = { "ins-web00001" = "RUNNING", "ins-web00002" = "REBOOTING" }
      state_counts         = { RUNNING = 1, REBOOTING = 1 }
      missing_instance_ids = []
    }
  }

  expect_failures = [
    terraform_data.release,
    check.fleet_running,
  ]
}
