// Package cvm is the client this provider uses to read instance states from
// the Tencent Cloud CVM API 3.0 (DescribeInstancesStatus, version 2017-03-12).
//
// It holds CVM's actions only: reads by ID, the listing of a region under
// churn (listing.go, with its proof), waits for states, what the states
// allow, and readiness (readiness.go, details.go): DescribeInstances and
// DescribeTaskInfo read beside DescribeInstancesStatus, at once and each at
// its own rate, with the TAT agent from an AgentSource the caller provides
// (TAT is a service of its own, the tat package). Each instance is judged
// ready or given the reasons it is not; a check that cannot be read fails
// the read. Calling an action (endpoints, signing, transport, retries, the
// rate limiter) is tcapi's; where the credential comes from (keys,
// profiles, roles, the account guard) is the credentials package's: a Client
// takes one tcapi.CredentialSource. It has no Terraform types, so it is
// tested and benchmarked on its own against the local emulator.
//
// A read by ID returns exactly the instances the service reported. A listing
// of a region returns every instance that existed throughout the read, once,
// in a state it was in during the read, and nothing that never existed;
// instances launched or terminated while it pages may or may not be in it.
// Pages overlap, and the listing checks that they form one chain from the
// first page to one that ends the list; where a launch or a termination
// between two reads has pulled neighbouring pages apart, it reads the pages
// that join them, so that churn costs requests in proportion to the changes
// rather than a new listing (listAll proves the rule). Churn faster than it
// can follow fails the read with ErrListingUnstable, never a partial list.
package cvm
