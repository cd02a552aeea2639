package cvm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// The change offset paging alone cannot see: between two pages of a
// listing, one instance that sorts before the page boundary is deleted and
// one that sorts after it is created. TotalCount does not move, no page is
// short, no instance is seen twice, and every instance after the deleted one
// shifts back by one position, so that without overlapping pages the
// instance at the boundary is never seen while the deleted one is reported.
// The fault suite found it (RELIABILITY.md). With pages overlapping by one
// instance the shift shows at the shared offset: the listing starts over and
// returns the inventory as it now is, exactly.
func TestListingDetectsNetZeroChurnAcrossAPageBoundary(t *testing.T) {
	seededList := emulator.GenerateInstances(300, 99)
	const created = "ins-zzzzzzzz" // sorts after every generated ID
	for _, in := range seededList {
		if in.InstanceId == created {
			t.Fatal("the generated instances already hold " + created)
		}
	}
	deleted, atBoundary := seededList[10], seededList[100]
	next := slices.Concat(seededList[:10], seededList[11:], []emulator.Instance{{InstanceId: created, InstanceState: "PENDING"}})
	var pages atomic.Int64
	var e *emutest.Emulator
	e = emutest.Start(t, emulator.Config{
		Regions:     regionOf(seededList),
		Credentials: []emulator.Credential{{SecretID: testSecretID, SecretKey: testSecretKey}},
	}, emutest.Options{OnRequest: func(_ int64, r *http.Request) {
		if pages.Add(1) != 2 {
			return
		}
		// After the first page, before the second is answered.
		if err := e.SetInstances(map[string][]emulator.Instance{testRegion: next}); err != nil {
			t.Error(err)
		}
	}})
	c := tappedClient(t, e, func(c *Config) { c.Concurrency = 1 })
	res, err := c.DescribeInstancesStatus(t.Context(), testRegion, nil)
	if err != nil {
		t.Fatalf("the listing failed (%v); it should have started over once and succeeded", err)
	}
	if want := truth(next); !slices.Equal(res.Instances, want) {
		ids := make([]string, len(res.Instances))
		for i, in := range res.Instances {
			ids[i] = in.InstanceID
		}
		has := func(id string) bool { _, found := slices.BinarySearch(ids, id); return found }
		t.Fatalf("got %d instances, not the inventory after the change (%s at the boundary present: %v, %s deleted present: %v, %s created present: %v)",
			len(ids), atBoundary.InstanceId, has(atBoundary.InstanceId), deleted.InstanceId, has(deleted.InstanceId), created, has(created))
	}
	if got, want := e.Requests(), int64(2*ListingRequests(300)); got != want {
		t.Errorf("%d requests, want %d: one listing that saw the shift and one that did not", got, want)
	}
}

// Pages overlap by one instance (see listOnce), so a listing of n instances
// takes ⌈n/100⌉ requests for most n and at most 1% more.
func TestListingRequests(t *testing.T) {
	for n, want := range map[int]int{0: 1, 1: 1, 100: 1, 101: 2, 199: 2, 200: 3, 250: 3, 1000: 11, 1234: 13, 9901: 100, 10_000: 101, 100_000: 1011} {
		if got := ListingRequests(n); got != want {
			t.Errorf("ListingRequests(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestListingSendsListingRequests(t *testing.T) {
	for _, n := range []int{0, 1, 100, 101, 200, 1000, 1234} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			instances := emulator.GenerateInstances(n, int64(n)+1)
			s := startEmulator(t, emulator.Config{Regions: regionOf(instances)})
			res, err := newTestClient(t, s).DescribeInstancesStatus(context.Background(), testRegion, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Instances, truth(instances)) {
				t.Fatalf("listing returned %d instances, not the %d seeded (or not sorted by ID)", len(res.Instances), n)
			}
			if want := int64(ListingRequests(n)); s.Stats().Requests != want {
				t.Fatalf("requests = %d, want %d", s.Stats().Requests, want)
			}
		})
	}
}

func TestReadByIDsChunksKeepsOrderAndReportsMissing(t *testing.T) {
	instances := emulator.GenerateInstances(300, 7)
	s := startEmulator(t, emulator.Config{Regions: regionOf(instances)})
	state := map[string]string{}
	for _, in := range instances {
		state[in.InstanceId] = in.InstanceState
	}

	// 250 unique IDs in a shuffled order, 10 of them unknown, plus duplicates.
	var ids, wantMissing []string
	var want []InstanceStatus
	for i := 0; i < 240; i++ {
		in := instances[(i*37)%len(instances)]
		ids = append(ids, in.InstanceId)
		want = append(want, InstanceStatus{in.InstanceId, in.InstanceState})
	}
	for i := 0; i < 10; i++ {
		id := fmt.Sprintf("ins-zzzz%04d", i)
		ids = append(ids, id)
		wantMissing = append(wantMissing, id)
	}
	ids = append(ids, ids[0], ids[5], wantMissing[0])

	res, err := newTestClient(t, s).DescribeInstancesStatus(context.Background(), testRegion, ids)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Instances, want) {
		t.Fatalf("instances are not the 240 found ones in the order asked for:\n got %v\nwant %v", res.Instances[:5], want[:5])
	}
	if !slices.Equal(res.Missing, wantMissing) {
		t.Fatalf("missing = %v, want %v", res.Missing, wantMissing)
	}
	if got := s.Stats().Requests; got != 3 {
		t.Fatalf("250 unique IDs took %d requests, want 3", got)
	}
}

func TestEmptyIDListSendsNothing(t *testing.T) {
	s := startEmulator(t, emulator.Config{Regions: regionOf(emulator.GenerateInstances(10, 1))})
	res, err := newTestClient(t, s).DescribeInstancesStatus(context.Background(), testRegion, []string{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Instances) != 0 || len(res.Missing) != 0 || s.Stats().Requests != 0 {
		t.Fatalf("an empty ID list returned %d instances after %d requests; it must read nothing", len(res.Instances), s.Stats().Requests)
	}
}

func TestMalformedIDRefusedBeforeAnyRequest(t *testing.T) {
	s := startEmulator(t, emulator.Config{})
	_, err := newTestClient(t, s).DescribeInstancesStatus(context.Background(), testRegion, []string{"ins-r8hr2upy", "INS-R8HR2UPY"})
	if err == nil || s.Stats().Requests != 0 {
		t.Fatalf("err = %v after %d requests; want an error and no request", err, s.Stats().Requests)
	}
}

func TestListingThatNeverSettlesFails(t *testing.T) {
	s := startEmulator(t, emulator.Config{Regions: regionOf(emulator.GenerateInstances(450, 5)), Seed: 1})
	if err := s.SetFaults(emulator.Faults{Appear: 1}); err != nil {
		t.Fatal(err)
	}
	_, err := newTestClient(t, s).DescribeInstancesStatus(context.Background(), testRegion, nil)
	if !errors.Is(err, ErrListingUnstable) {
		t.Fatalf("err = %v, want ErrListingUnstable", err)
	}
	// Each of the 1+ListRestarts listings stops at its first inconsistent page.
	if got := s.Stats().Requests; got > int64((DefaultListRestarts+1)*5) {
		t.Fatalf("%d requests; the restarts must be bounded", got)
	}
}

// With churn, a read either fails or returns the inventory exactly as it
// was when the read ended: never a silently mixed list.
func TestChurnGivesExactSetOrError(t *testing.T) {
	for seed := int64(1); seed <= 8; seed++ {
		s := startEmulator(t, emulator.Config{Regions: regionOf(emulator.GenerateInstances(777, seed)), Seed: seed})
		if err := s.SetFaults(emulator.Faults{Appear: 0.05, Disappear: 0.05}); err != nil {
			t.Fatal(err)
		}
		c := newTestClient(t, s)
		res, err := c.DescribeInstancesStatus(context.Background(), testRegion, nil)
		if err := s.SetFaults(emulator.Faults{}); err != nil {
			t.Fatal(err)
		}
		if err != nil {
			if !errors.Is(err, ErrListingUnstable) {
				t.Fatalf("seed %d: err = %v, want ErrListingUnstable", seed, err)
			}
			continue
		}
		after, err := c.DescribeInstancesStatus(context.Background(), testRegion, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.Instances, after.Instances) {
			t.Fatalf("seed %d: the read returned %d instances but the region holds %d", seed, len(res.Instances), len(after.Instances))
		}
	}
}
