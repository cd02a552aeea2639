// Package bench measures how fast a read of instance states is against the
// best the service allows, using the local emulator in place of Tencent Cloud.
//
// The service answers DescribeInstancesStatus with pages of at most 100
// statuses, at most RateLimit (40) requests per second per account. With a
// round trip of Latency L, the best possible read of n instances takes
//
//	T* = L + ⌈n/100⌉ / R
//
// (one round trip for the first page, and the pages no faster than the rate
// R). Every benchmark reports its wall time per read against T*, the number
// of requests it sent (⌈n/100⌉ for reads by ID when nothing fails; for
// listings up to 1% more, cvm.ListingRequests, because consecutive pages
// overlap by one instance to detect shifts) and how many of them the emulator
// throttled (0 when the client paces itself at or below the
// service's limit).
//
// The benchmarks, in bench_test.go:
//
//   - BenchmarkListing/n=… reads a whole region of n instances through the
//     client (internal/cvm) in-process, against an emulator with Latency plus
//     up to Jitter per answer and RateLimit, the client at the same rate.
//   - BenchmarkByIDs/ids=… reads a list of IDs the same way.
//   - BenchmarkListingSerial/n=… is the control: the same listing one page at
//     a time (cvm.Config{Concurrency: 1}), as a serial pager would do it.
//   - BenchmarkSharedAccount/k=… is K processes sharing one account's rate:
//     K clients, each with a limiter and a SecretId of its own in one
//     account (SharedCases: each configured above its share), each reading
//     SharedIDs IDs at once; ns/op is until the last one is done, against
//     the bound L + all their pages / R. BenchmarkOverConfigured is one
//     client at rate_limit = 40 against a service at 20/s.
//   - BenchmarkProviderRead/n=… is the provider's whole side of a plan's read
//     (configure, decode the configuration, read, convert 100,000 results to
//     state, encode the state as msgpack) through the protocol 6 server, with
//     the answers served from memory: no latency and no rate limit, so that
//     its CPU and memory profiles show only the provider's own work.
//
// They are slow (a 100,000-instance listing takes 25 s at 40 requests per
// second) and run only with -bench; `go test ./...` runs the quick tests
// alone. BENCH_FULL=0 in the environment skips the 100,000-instance cases
// (each skip says so). `make bench` runs them together with real `terraform
// plan` measurements (internal/bench/cmd/cvm-bench) and writes BENCHMARKS.md.
package bench

import (
	"fmt"
	"os"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
)

// The conditions every benchmark runs under: the service's documented rate
// limit for DescribeInstancesStatus and a cross-region round trip.
const (
	Latency   = 100 * time.Millisecond
	Jitter    = 10 * time.Millisecond
	RateLimit = 40.0

	// FullSize is the size skipped when BENCH_FULL=0.
	FullSize = 100_000

	// SecretID and SecretKey are the credential the benchmarks sign with.
	SecretID  = "AKIDbench00000000000000000000000001"
	SecretKey = "bench-secret-key"
)

// The action's wait (BenchmarkWait): WaitSize instances, every one of them
// RUNNING after WaitPolls polls.
const (
	WaitSize  = 10_000
	WaitPolls = 30
)

// ListingSizes are the region sizes listed whole.
var ListingSizes = []int{100, 1_000, 10_000, FullSize}

// IDListSizes are the lengths of the ID lists read.
var IDListSizes = []int{1, 100, 1_000}

// SerialSizes are the listings repeated one page at a time as the control.
// A serial listing of 100,000 instances would take 1,000 round trips (about
// 105 s) and tell nothing the 10,000 one does not, so it is not run.
var SerialSizes = []int{1_000, 10_000}

// IDSource is the size of the region the ID lists are drawn from.
const IDSource = 10_000

// SharedCase is K processes that share one account, each configured above
// its share of the service's rate: each reads SharedIDs IDs at once.
type SharedCase struct {
	Processes int
	RateLimit float64 // each process's rate_limit
}

// SharedCases are the processes-sharing-an-account cases: 2 at 30/s and 4 at
// 20/s each, against the account's 40/s, and for reference one alone at
// 40/s, which is never throttled.
var SharedCases = []SharedCase{{1, 40}, {2, 30}, {4, 20}}

// SharedIDs is how many IDs each process of a SharedCase reads.
const SharedIDs = 10_000

// Over-configured: one process at rate_limit = OverConfiguredRate against a
// service that allows OverConfiguredService per second (a user who set
// rate_limit too high), reading SharedIDs IDs.
const (
	OverConfiguredRate    = 40.0
	OverConfiguredService = 20.0
)

// SharedAccountID is the account the processes of a SharedCase read with,
// each with a SecretId of its own (SharedSecretID), as two pipelines with
// different keys of one account would: the service, and the emulator,
// count their requests together.
const SharedAccountID = "200000000002"

// SharedSecretID is the SecretId of the i-th process of a SharedCase; its
// secret key is SecretKey.
func SharedSecretID(i int) string { return fmt.Sprintf("AKIDbenchshared%020d", i) }

// SharedCredentials are the SecretIds of the processes of the largest
// SharedCase, all in SharedAccountID.
func SharedCredentials() ([]emulator.Credential, emulator.Identity) {
	k := 0
	for _, c := range SharedCases {
		k = max(k, c.Processes)
	}
	creds := make([]emulator.Credential, k)
	ids := make([]string, k)
	for i := range k {
		ids[i] = SharedSecretID(i)
		creds[i] = emulator.Credential{SecretID: ids[i], SecretKey: SecretKey}
	}
	return creds, emulator.Identity{Accounts: []emulator.Account{{AccountId: SharedAccountID, SecretIds: ids}}}
}

// Full reports whether the 100,000-instance cases run: unless BENCH_FULL is
// "0", "false" or "no".
func Full() bool {
	switch os.Getenv("BENCH_FULL") {
	case "0", "false", "no":
		return false
	}
	return true
}

// PageSize is the most statuses the service returns in one answer. It is
// the service's figure, not the client's (bench_test.go holds the two
// equal): this package imports no client code, so that the client's own
// tests can measure against TStar.
const PageSize = 100

// Pages is ⌈n/100⌉: the pages of n instances, the requests a read of n IDs
// sends, and what T* counts.
func Pages(n int) int { return (n + PageSize - 1) / PageSize }

// OptimalWall is T* for a read of the given number of pages: one round trip,
// plus the pages at the rate limit.
func OptimalWall(pages int, latency time.Duration, rate float64) time.Duration {
	return latency + time.Duration(float64(pages)/rate*float64(time.Second))
}

// TStar is T*, the best possible time to read n instances under the
// benchmarks' conditions (Latency, RateLimit): one round trip, plus
// ⌈n/100⌉ pages (at least one, an empty region's answer) at the rate limit.
// Every report that holds a read against T* takes it from here.
func TStar(n int) time.Duration { return OptimalWall(max(Pages(n), 1), Latency, RateLimit) }

// Region names the region holding n generated instances. The names pass both
// the emulator's and the provider's region checks.
func Region(n int) string { return fmt.Sprintf("ap-bench-n%d", n) }

// Instances generates the n instances of Region(n). The seed differs per size
// so that regions served together never share an ID.
func Instances(n int) []emulator.Instance { return emulator.GenerateInstances(n, int64(n)) }

// SpreadIDs picks k IDs spread evenly over instances (sorted by ID), so that
// a read by ID touches the whole region rather than its first page.
func SpreadIDs(instances []emulator.Instance, k int) []string {
	k = min(k, len(instances))
	ids := make([]string, k)
	for i := range ids {
		ids[i] = instances[i*len(instances)/k].InstanceId
	}
	return ids
}

// Faults are the emulator faults that give every answer the benchmark's
// latency and jitter.
func Faults() emulator.Faults {
	return emulator.Faults{Latency: emulator.Duration(Latency), Jitter: emulator.Duration(Jitter)}
}
