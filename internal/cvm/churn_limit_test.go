package cvm

import (
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
