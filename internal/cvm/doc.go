// Package cvm is the client this provider uses to read instance states from
// the Tencent Cloud CVM API 3.0 (DescribeInstancesStatus, version 2017-03-12).
//
// It holds everything the Terraform glue should not: credentials and their
// refresh, the endpoint, request signing (TC3-HMAC-SHA256), paging and
// chunking, a rate limiter shared by every read of one provider instance,
// retries with backoff, and error classification. It has no Terraform types,
// so it is tested and benchmarked on its own against the local emulator.
//
// The client signs and sends its own requests rather than going through the
// official SDK's generic client: every retry must be re-signed with a fresh
// timestamp, transport failures and half-read bodies must be told apart from
// API errors, and nothing may log a credential. The SDK's region breaker
// (which silently moves requests to another host), its process-wide logger
// and its debug dump of Authorization headers are therefore never involved.
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
