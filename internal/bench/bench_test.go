package bench

import (
	"context"
	"fmt"
	"net/http/httptrace"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/credentials"
	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// connCounter counts the connections requests were sent on, and how many of
// them were new (dialled for that request).
type connCounter struct{ got, fresh atomic.Int64 }

func (cc *connCounter) context(ctx context.Context) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
		cc.got.Add(1)
		if !i.Reused {
			cc.fresh.Add(1)
		}
	}})
}

// measure runs read in the benchmark loop and reports, per read, the
// requests the emulator received, those it throttled, the connections dialled,
// T* and wall/T*.
func measure(b *testing.B, s *emulator.Server, want int, read func(ctx context.Context) (*cvm.Result, error)) {
	b.Helper()
	var conns connCounter
	ctx := conns.context(b.Context())
	s.ResetStats()
	b.ReportAllocs()
	ops := 0
	for b.Loop() {
		res, err := read(ctx)
		if err != nil {
			b.Fatalf("read: %v", err)
		}
		if len(res.Instances) != want || len(res.Missing) != 0 {
			b.Fatalf("read %d instances (%d missing), want %d", len(res.Instances), len(res.Missing), want)
		}
		ops++
	}
	st := s.Stats()
	best := TStar(want)
	perOp := b.Elapsed() / time.Duration(ops)
	b.ReportMetric(float64(st.Requests)/float64(ops), "requests/op")
	b.ReportMetric(float64(st.Throttled)/float64(ops), "throttled/op")
	b.ReportMetric(float64(conns.fresh.Load())/float64(ops), "dials/op")
	b.ReportMetric(float64(best)/float64(time.Millisecond), "T*-ms")
	b.ReportMetric(float64(perOp)/float64(best), "wall/T*")
}

// BenchmarkListing reads whole regions with the client's default concurrency.
func BenchmarkListing(b *testing.B) { benchListing(b, ListingSizes, 0) }

// BenchmarkListingSerial is the control: one page at a time.
func BenchmarkListingSerial(b *testing.B) { benchListing(b, SerialSizes, 1) }

func benchListing(b *testing.B, sizes []int, concurrency int) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			skipUnlessFull(b, n)
			s := startEmulator(b, map[string][]emulator.Instance{Region(n): Instances(n)}, true)
			c := newClient(b, s, concurrency)
			measure(b, s, n, func(ctx context.Context) (*cvm.Result, error) {
				return c.DescribeInstancesStatus(ctx, Region(n), nil)
			})
		})
	}
}

// BenchmarkByIDs reads lists of IDs spread over a region of IDSource
// instances.
func BenchmarkByIDs(b *testing.B) {
	instances := Instances(IDSource)
	for _, k := range IDListSizes {
		b.Run(fmt.Sprintf("ids=%d", k), func(b *testing.B) {
			s := startEmulator(b, map[string][]emulator.Instance{Region(IDSource): instances}, true)
			c := newClient(b, s, 0)
			ids := SpreadIDs(instances, k)
			measure(b, s, k, func(ctx context.Context) (*cvm.Result, error) {
				return c.DescribeInstancesStatus(ctx, Region(IDSource), ids)
			})
		})
	}
}

// BenchmarkSharedAccount is K processes sharing the account's rate, in one
// process: K clients, each with a rate limiter of its own and a SecretId of
// its own in one account, as K provider processes (or K pipelines) have,
// each configured above its share (SharedCases) and reading SharedIDs IDs
// at once. ns/op is the wall until the last one finishes; the bound is T*
// for all their pages together, L + K·⌈SharedIDs/100⌉ / R.
func BenchmarkSharedAccount(b *testing.B) {
	for _, sc := range SharedCases {
		b.Run(fmt.Sprintf("k=%d", sc.Processes), func(b *testing.B) {
			benchProcesses(b, RateLimit, sc.Processes, sc.RateLimit)
		})
	}
}

// BenchmarkOverConfigured is one client at rate_limit = 40 against a service
// that allows 20 requests a second: a user who set rate_limit too high.
func BenchmarkOverConfigured(b *testing.B) {
	benchProcesses(b, OverConfiguredService, 1, OverConfiguredRate)
}

func benchProcesses(b *testing.B, serviceRate float64, k int, clientRate float64) {
	instances := Instances(IDSource)
	ids := SpreadIDs(instances, SharedIDs)
	creds, identity := SharedCredentials()
	s := startEmulatorWith(b, emulator.Config{
		Regions: map[string][]emulator.Instance{Region(IDSource): instances}, RateLimit: serviceRate,
		Credentials: creds, Identity: identity,
	}, true)
	s.ResetStats()
	ops := 0
	for b.Loop() {
		// New clients each time: processes that start together, each with
		// a fresh limiter at its ceiling.
		errs := make(chan error, k)
		for i := range k {
			c, err := cvm.New(cvm.Config{
				Endpoint:    s.URL(),
				Credentials: credentials.StaticCredentials("bench", tcapi.Credential{SecretID: SharedSecretID(i), SecretKey: SecretKey}),
				RateLimit:   clientRate,
			})
			if err != nil {
				b.Fatalf("cvm.New: %v", err)
			}
			go func() {
				res, err := c.DescribeInstancesStatus(b.Context(), Region(IDSource), ids)
				if err == nil && (len(res.Instances) != len(ids) || len(res.Missing) != 0) {
					err = fmt.Errorf("read %d instances (%d missing), want %d", len(res.Instances), len(res.Missing), len(ids))
				}
				errs <- err
			}()
		}
		for range k {
			if err := <-errs; err != nil {
				b.Fatalf("process: %v", err)
			}
		}
		ops++
	}
	st := s.Stats()
	bound := OptimalWall(k*Pages(SharedIDs), Latency, serviceRate)
	perOp := b.Elapsed() / time.Duration(ops)
	b.ReportMetric(float64(st.Requests)/float64(ops), "requests/op")
	b.ReportMetric(float64(st.Throttled)/float64(ops), "throttled/op")
	b.ReportMetric(float64(bound)/float64(time.Millisecond), "bound-ms")
	b.ReportMetric(float64(perOp)/float64(bound), "wall/bound")
}

// TestReadSendsExactlyThePagesNeeded checks what the benchmarks count on: a
// listing sends ⌈n/100⌉ requests, a read by ID ⌈unique IDs/100⌉, and a client
// at the service's rate is never throttled. No latency: it takes ~0.1 s.
func TestReadSendsExactlyThePagesNeeded(t *testing.T) {
	const n = 250
	instances := Instances(n)
	s := startEmulator(t, map[string][]emulator.Instance{Region(n): instances}, false)
	c := newClient(t, s, 0)

	res, err := c.DescribeInstancesStatus(t.Context(), Region(n), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Instances) != n {
		t.Fatalf("listed %d instances, want %d", len(res.Instances), n)
	}
	for i, in := range instances {
		if got := res.Instances[i]; got.InstanceID != in.InstanceId || got.State != in.InstanceState {
			t.Fatalf("instance %d: got %+v, want %s %s", i, got, in.InstanceId, in.InstanceState)
		}
	}
	if st := s.Stats(); st.Requests != int64(cvm.ListingRequests(n)) || st.Throttled != 0 {
		t.Fatalf("listing: %d requests (%d throttled), want %d (0)", st.Requests, st.Throttled, cvm.ListingRequests(n))
	}

	s.ResetStats()
	ids := SpreadIDs(instances, 150)
	res, err = c.DescribeInstancesStatus(t.Context(), Region(n), append(ids, ids[0]))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Instances) != len(ids) {
		t.Fatalf("read %d instances by ID, want %d", len(res.Instances), len(ids))
	}
	if st := s.Stats(); st.Requests != int64(Pages(len(ids))) || st.Throttled != 0 {
		t.Fatalf("read by ID: %d requests (%d throttled), want %d (0)", st.Requests, st.Throttled, Pages(len(ids)))
	}
}

func TestOptimalWall(t *testing.T) {
	for _, c := range []struct {
		n    int
		want time.Duration
	}{
		{1, 125 * time.Millisecond},
		{100, 125 * time.Millisecond},
		{101, 150 * time.Millisecond},
		{10_000, 2600 * time.Millisecond},
		{100_000, 25100 * time.Millisecond},
	} {
		if got := OptimalWall(Pages(c.n), Latency, RateLimit); got != c.want {
			t.Errorf("T*(%d) = %s, want %s", c.n, got, c.want)
		}
		if got := TStar(c.n); got != c.want {
			t.Errorf("TStar(%d) = %s, want %s", c.n, got, c.want)
		}
	}
	// An empty region still costs one answer.
	if got, want := TStar(0), 125*time.Millisecond; got != want {
		t.Errorf("TStar(0) = %s, want %s", got, want)
	}
}

// The bench counts pages with the service's page size, the client with its
// own; they must be the same figure.
func TestPageSizeIsTheClients(t *testing.T) {
	if PageSize != cvm.PageSize {
		t.Fatalf("bench.PageSize = %d, cvm.PageSize = %d", PageSize, cvm.PageSize)
	}
}
