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
// A read either returns the exact set of instances the service reported or
// fails: a listing whose TotalCount moves, whose pages come back short, which
// sees an instance twice or whose consecutive pages do not meet at the
// instance they share is restarted a bounded number of times and then
// reported as an error, never returned partially. Pages overlap by one
// instance so that a deletion and a creation on opposite sides of a page
// boundary, which leave TotalCount as it was, are seen too (listOnce).
package cvm
