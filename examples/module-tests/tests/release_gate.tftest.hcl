# Against cvm-emulator serving ../emulator-data.json. The provider is
# configured as users configure it, from the environment:
#   TENCENTCLOUD_CVM_ENDPOINT=http://127.0.0.1:9100
#   TENCENTCLOUD_SECRET_ID=AKIDemulator TENCENTCLOUD_SECRET_KEY=emulator-secret

variables {
  release = "2026.12.1"
}

run "releases_when_every_instance_runs" {
  command = plan

  variables {
    instance_ids = ["ins-web00001", "ins-web00002"]
  }

  assert {
    condition     = terraform_data.release.input == "2026.12.1"
    error_message = "The release is not planned."
  }
  assert {
    condition     = data.cvm_instances_status.fleet.states["ins-web00002"] == "RUNNING"
    error_message = "The emulator's state did not come through."
  }
}

run "refuses_a_stopped_instance" {
  command = plan

  variables {
    instance_ids = ["ins-web00001", "ins-web00003"]
  }

  expect_failures = [
    terraform_data.release,
    check.fleet_running,
  ]
}

run "refuses_a_missing_instance" {
  command = plan

  variables {
    instance_ids = ["ins-web00001", "ins-web00099"]
  }

  expect_failures = [
    terraform_data.release,
    check.fleet_running,
  ]
}
