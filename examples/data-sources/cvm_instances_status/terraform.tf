terraform {
  required_providers {
    cvm = {
      source = "cvmkit/cvm"
    }
  }
}
