terraform {
  required_providers {
    cvm = {
      source = "cvmkit/cvm"
    }
  }
}

# Credentials come from the environment (TENCENTCLOUD_SECRET_ID and
# TENCENTCLOUD_SECRET_KEY), a tccli profile, or a CAM role, exactly as for the
# official tencentcloud provider. Keep secret keys out of configuration files.
provider "cvm" {
  region = "ap-guangzhou"

  # Requests per second to DescribeInstancesStatus, shared by every read in
  # the run. The service allows 40 per second per account.
  rate_limit = 20
}
