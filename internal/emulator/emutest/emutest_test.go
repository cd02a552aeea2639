package emutest_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// Start's tap sees every API request and every answer written in full, and
// counts metadata credential fetches apart; Inventory follows churn.
func TestStartTapsRequestsAnswersAndInventory(t *testing.T) {
	t.Parallel()
	var seen atomic.Int64
	var answers atomic.Int64
	e := emutest.Start(t, emulator.Config{Regions: map[string][]emulator.Instance{"ap-guangzhou": emulator.GenerateInstances(3, 1)}},
		emutest.Options{
			OnRequest: func(n int64, r *http.Request) { seen.Store(n) },
			OnAnswer: func(r *http.Request, body []byte) {
				if strings.Contains(string(body), "RequestId") {
					answers.Add(1)
				}
			},
		})
	if !e.LastRequest().IsZero() {
		t.Fatal("LastRequest before any request")
	}
	emutest.Call(t, e.URL, emutest.DefaultKey, "DescribeInstancesStatus", map[string]any{"Limit": 100})
	emutest.Call(t, e.URL, emutest.DefaultKey, "GetCallerIdentity", nil)
	if e.Requests() != 2 || seen.Load() != 2 || answers.Load() != 2 {
		t.Fatalf("requests %d, OnRequest saw %d, OnAnswer %d; want 2 each", e.Requests(), seen.Load(), answers.Load())
	}
	if d := time.Since(e.LastRequest()); d < 0 || d > time.Minute {
		t.Fatalf("LastRequest %s ago", d)
	}
	resp, err := http.Get(e.URL + "/latest/meta-data/cam/security-credentials/" + emulator.DefaultCAMRoleName)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if e.MetadataFetches() != 1 || e.Requests() != 2 {
		t.Fatalf("metadata fetches %d, API requests %d; want 1 and 2", e.MetadataFetches(), e.Requests())
	}

	if got := len(e.Inventory.Current("ap-guangzhou")); got != 3 {
		t.Fatalf("inventory of %d, want the 3 seeded", got)
	}
	e.Inventory.Mark("ap-guangzhou")
	if err := e.SetFaults(emulator.Faults{Appear: 1, Actions: []string{"DescribeInstancesStatus"}}); err != nil {
		t.Fatal(err)
	}
	emutest.Call(t, e.URL, emutest.DefaultKey, "DescribeInstancesStatus", nil)
	states, appeared, disappeared := e.Inventory.Since("ap-guangzhou")
	if appeared != 1 || disappeared != 0 || len(states) != 2 || len(states[1]) != 4 {
		t.Fatalf("after one listing with appear = 1: %d states, %d appeared, %d disappeared", len(states), appeared, disappeared)
	}
}

// Listen serves the emulator on its own listener, at the server's URL.
func TestListenServesOnItsOwnListener(t *testing.T) {
	t.Parallel()
	s := emutest.Listen(t, emulator.Config{})
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Fatalf("URL %q", s.URL())
	}
	if id := emutest.Call(t, s.URL(), emutest.DefaultKey, "GetCallerIdentity", nil); id["AccountId"] != emulator.DefaultAccountID {
		t.Fatalf("GetCallerIdentity: %v", id)
	}
}
