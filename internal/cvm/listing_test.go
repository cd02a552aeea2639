package cvm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// The change offset paging alone cannot see: between two pages of a
// listing, one instance that sorts before the page boundary is deleted and
// one that sorts after it is created. TotalCount does not move, no page is
// short, no instance is seen twice, and every instance after the deleted one
// shifts back by one position, so that with disjoint pages the instance at
// the boundary is never seen while the deleted one is reported. The fault
// suite found it (RELIABILITY.md). With pages overlapping by one instance
// the two pages around the boundary share nothing; one more page, read
// across the boundary, joins them, and the instance at the boundary is
// reported like every other that existed throughout.
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
	// After the first page, before the second is answered.
	e := startTapped(t, seededList, replaceOn(t, 2, next))
	c := newClient(t, e.URL, func(c *Config) { c.Concurrency = 1 })
	res, err := c.DescribeInstancesStatus(t.Context(), testRegion, nil)
	if err != nil {
		t.Fatalf("the listing failed (%v); one change must not fail it", err)
	}
	got := map[string]string{}
	for _, in := range res.Instances {
		got[in.InstanceID] = in.State
	}
	// Every instance that existed throughout, the one at the boundary
	// included, in its state; the deleted and the created one may or may
	// not be there.
	for _, in := range truth(seededList) {
		if in.InstanceID == deleted.InstanceId {
			continue
		}
		if state, ok := got[in.InstanceID]; !ok || state != in.State {
			t.Errorf("%s (%s) is missing or in state %q (the instance at the boundary is %s)", in.InstanceID, in.State, state, atBoundary.InstanceId)
		}
	}
	if extra := len(res.Instances) - (len(seededList) - 1); extra < 0 || extra > 2 {
		t.Errorf("%d instances; want the %d that existed throughout, plus perhaps the deleted and the created one", len(res.Instances), len(seededList)-1)
	}
	if got, want := e.Requests(), int64(ListingRequests(300)+1); got != want {
		t.Errorf("%d requests, want %d: the listing's, and one to join the two pages the change separated", got, want)
	}
}

// A list that grows during a listing is read to its end as it then is, not
// to the count learned at the start: pages go on until one ends the list.
// Each launch costs requests in proportion, not a new listing.
func TestListingFollowsAListThatGrows(t *testing.T) {
	seededList := emulator.GenerateInstances(250, 3)
	grown := slices.Clone(seededList)
	for i := range 150 {
		grown = append(grown, emulator.Instance{InstanceId: fmt.Sprintf("ins-zz%06d", i), InstanceState: "PENDING"})
	}
	e := startTapped(t, seededList, replaceOn(t, 2, grown)) // 150 launches after the first page
	c := newClient(t, e.URL, func(c *Config) { c.Concurrency = 1 })
	res, err := c.DescribeInstancesStatus(t.Context(), testRegion, nil)
	if err != nil {
		t.Fatalf("the listing failed (%v); launches must not fail it", err)
	}
	if !reflect.DeepEqual(res.Instances, truth(grown)) {
		t.Fatalf("got %d instances; want the %d the region holds since the first page, all of them read", len(res.Instances), len(grown))
	}
	// ListingRequests(250) = 3 planned, then 2 more to reach the end of 400.
	if got, want := e.Requests(), int64(ListingRequests(250)+2); got != want {
		t.Errorf("%d requests, want %d", got, want)
	}
}

// A list that shrinks during a listing ends where it then ends: the pages
// planned past it come back empty, and one page ending the list as it is
// completes the listing.
func TestListingFollowsAListThatShrinks(t *testing.T) {
	seededList := emulator.GenerateInstances(450, 4)
	shrunk := seededList[:180]
	e := startTapped(t, seededList, replaceOn(t, 3, shrunk)) // after the pages at offsets 0 and 99
	c := newClient(t, e.URL, func(c *Config) { c.Concurrency = 1 })
	res, err := c.DescribeInstancesStatus(t.Context(), testRegion, nil)
	if err != nil {
		t.Fatalf("the listing failed (%v); terminations must not fail it", err)
	}
	got := map[string]bool{}
	for _, in := range res.Instances {
		got[in.InstanceID] = true
	}
	for _, in := range shrunk {
		if !got[in.InstanceId] {
			t.Fatalf("%s, which existed throughout, is missing from the %d instances listed", in.InstanceId, len(res.Instances))
		}
	}
	if len(res.Instances) > 199 { // pages 0 and 99 hold the first 199; later pages are read after the change
		t.Errorf("%d instances; terminated ones may be there only if a page read before the change held them", len(res.Instances))
	}
	if got, most := e.Requests(), int64(ListingRequests(450)+1); got > most {
		t.Errorf("%d requests; at most %d expected: the listing's and one page to find the new end", got, most)
	}
}

// Pages overlap by one instance (see listAll), so a listing of n instances
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
			res, err := newClient(t, s.URL()).DescribeInstancesStatus(context.Background(), testRegion, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res.Instances, truth(instances)) {
				t.Fatalf("listing returned %d instances, not the %d seeded (or not sorted by ID)", len(res.Instances), n)
			}
			if want := int64(ListingRequests(n)); s.Stats().Requests != want {
				t.Fatalf("requests = %d, want %d", s.Stats().Requests, want)
			}
		})
	}
}

// Churn faster than the listing can follow fails it with ErrListingUnstable
// (the provider's "Instance List Kept Changing") after a bounded number of
// requests, never with a partial list: here every request finds a whole new
// inventory, so no two pages ever share an instance.
func TestListingThatNeverSettlesFails(t *testing.T) {
	e := startTapped(t, emulator.GenerateInstances(450, 5), func(e *emutest.Emulator, n int64, _ *http.Request) {
		if err := e.SetInstances(map[string][]emulator.Instance{testRegion: emulator.GenerateInstances(450, 1000+n)}); err != nil {
			t.Error(err)
		}
	})
	_, err := newClient(t, e.URL).DescribeInstancesStatus(t.Context(), testRegion, nil)
	if !errors.Is(err, ErrListingUnstable) {
		t.Fatalf("err = %v, want ErrListingUnstable", err)
	}
	for _, says := range []string{"retry when the inventory is stable", "instance_ids"} {
		if !strings.Contains(err.Error(), says) {
			t.Errorf("the error does not say %q: %v", says, err)
		}
	}
	// No more than the listing and ListRestarts listings' worth of extra
	// requests, as when a changed listing started over.
	if got, most := e.Requests(), int64((DefaultListRestarts+1)*ListingRequests(450)); got > most {
		t.Fatalf("%d requests; the extra requests must be bounded (at most %d)", got, most)
	}
}

// Under churn a listing keeps RELIABILITY.md's promise: every instance that
// existed throughout the read is in it once, in a state it was in, and
// nothing that never existed; with launches and terminations at 5% of
// requests each, it completes.
func TestListingUnderChurnKeepsTheGuarantee(t *testing.T) {
	for seed := int64(1); seed <= 8; seed++ {
		seeded := emulator.GenerateInstances(777, seed)
		e := emutest.Start(t, emulator.Config{Regions: regionOf(seeded), Seed: seed, Credentials: []emulator.Credential{{SecretID: testSecretID, SecretKey: testSecretKey}}}, emutest.Options{})
		if err := e.SetFaults(emulator.Faults{Appear: 0.05, Disappear: 0.05}); err != nil {
			t.Fatal(err)
		}
		seededStates := emutest.Snapshot{}
		for _, in := range seeded {
			seededStates[in.InstanceId] = in.InstanceState
		}
		e.Inventory.Mark(testRegion)
		res, err := newClient(t, e.URL).DescribeInstancesStatus(t.Context(), testRegion, nil)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		states, appeared, disappeared := e.Inventory.Since(testRegion)
		if why := listingBreaksGuarantee(res.Instances, states, seededStates); why != "" {
			t.Fatalf("seed %d: %d launched and %d terminated during the read: %s", seed, appeared, disappeared, why)
		}
	}
}
