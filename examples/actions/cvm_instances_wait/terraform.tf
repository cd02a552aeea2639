terraform {
  # Actions need Terraform 1.14 or later.
  required_version = ">= 1.14.0"

  required_providers {
    cvm = {
      source = "cvmkit/cvm"
    }
  }
}
