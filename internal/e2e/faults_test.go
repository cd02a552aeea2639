package e2e

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// tfFaultRow is a fault run through whole `terraform plan` runs of the built
// provider, with its production settings (retry delays, the default rate
// limit of 20 per second, the 30 s request timeout).
type tfFaultRow struct {
	name     string
	faults   emulator.Faults
	setup    func(*emutest.Emulator)
	listOnly bool
	allFail  bool
	quick    bool // also part of `make test`
}

func tfFaultRows() []tfFaultRow {
	errs := func(m map[string]float64) emulator.Faults { return emulator.Faults{Errors: m} }
	return []tfFaultRow{
		{name: "none (baseline)", quick: true},
		{name: "RequestLimitExceeded 50%", faults: errs(map[string]float64{"RequestLimitExceeded": 0.5})},
		{name: "InternalError 30%", faults: errs(map[string]float64{"InternalError": 0.3})},
		{name: "ServiceUnavailable 30%", faults: errs(map[string]float64{"ServiceUnavailable": 0.3})},
		{name: "HTTP 502, HTML body 30%", faults: emulator.Faults{HTTP502: 0.3}},
		{name: "HTTP 504, HTML body 30%", faults: emulator.Faults{HTTP504: 0.3}},
		{name: "connection reset 30%", faults: emulator.Faults{Reset: 0.3}},
		{name: "truncated body 30%", faults: emulator.Faults{Truncate: 0.3}},
		{name: "all of the above at once", quick: true, faults: emulator.Faults{
			Errors:  map[string]float64{"RequestLimitExceeded": 0.15, "InternalError": 0.1, "ServiceUnavailable": 0.05},
			HTTP502: 0.05, HTTP504: 0.05, Reset: 0.05, Truncate: 0.1, Jitter: emulator.Duration(20 * time.Millisecond),
		}},
		{name: "instances appear between pages 20%", faults: emulator.Faults{Appear: 0.2}, listOnly: true},
		{name: "instances appear and disappear 5% each", faults: emulator.Faults{Appear: 0.05, Disappear: 0.05}, listOnly: true},
		{name: "instances appear and disappear 20% each", faults: emulator.Faults{Appear: 0.2, Disappear: 0.2}, listOnly: true},
		{name: "clock skew +6m: AuthFailure.SignatureExpire", setup: func(e *emutest.Emulator) { e.SetClockOffset(6 * time.Minute) }, allFail: true},
	}
}

// errorSummaries are the diagnostics a failed read may end with; each says
// what happened.
var errorSummaries = regexp.MustCompile(`Error: (Cannot Read Instance States|Instance List Kept Changing|Cannot Obtain Credentials)`)
var errorCode = regexp.MustCompile(`Code: (\S+)`)

func TestAccFaultSuiteTerraform(t *testing.T) {
	needTerraform(t)
	plans := 2
	if fullRun() {
		plans = 6
	}
	if v := os.Getenv("CVM_FAULTS_TF_PLANS"); v != "" {
		plans, _ = strconv.Atoi(v)
	}
	type row struct {
		name                        string
		reads, exact, errors, wrong int
		kinds                       map[string]int
		took                        time.Duration
	}
	var rows []row
	for _, fr := range tfFaultRows() {
		if !fullRun() && !fr.quick {
			continue
		}
		t.Run(fr.name, func(t *testing.T) {
			seededList := emulator.GenerateInstances(950, int64(len(fr.name)))
			e := emutest.Start(t, emulator.Config{
				Credentials: []emulator.Credential{{SecretID: e2eSecretID, SecretKey: e2eSecretKey}},
				Regions:     map[string][]emulator.Instance{e2eRegion: seededList},
				Seed:        int64(len(fr.name)),
			}, emutest.Options{})
			if err := e.SetFaults(fr.faults); err != nil {
				t.Fatal(err)
			}
			if fr.setup != nil {
				fr.setup(e)
			}
			seeded := map[string]string{}
			var ask []string
			for i, in := range seededList {
				seeded[in.InstanceId] = in.InstanceState
				if i%4 == 0 {
					ask = append(ask, in.InstanceId)
				}
			}
			ask = append(ask, "ins-zzzzzzz1", "ins-zzzzzzz2")
			slices.Reverse(ask)
			quoted := make([]string, len(ask))
			for i, id := range ask {
				quoted[i] = strconv.Quote(id)
			}
			listing := newWorkspace(t, e2eProviders+`
provider "cvm" {}
data "cvm_instances_status" "read" {}
`, e2eEnv(e))
			byID := newWorkspace(t, e2eProviders+`
provider "cvm" {}
data "cvm_instances_status" "read" {
  instance_ids = [`+strings.Join(quoted, ", ")+`]
}
`, e2eEnv(e))

			r := row{name: fr.name, kinds: map[string]int{}}
			start := time.Now()
			for i := range plans {
				list := fr.listOnly || i%2 == 0
				w := byID
				if list {
					w = listing
				}
				e.Inventory.Mark(e2eRegion)
				before := e.Inventory.Current(e2eRegion)
				data, res := w.plan()
				r.reads++
				if res.exit != 0 {
					r.errors++
					if !errorSummaries.MatchString(res.stderr) {
						t.Errorf("plan %d failed without saying what happened:\n%s", i, res.output())
						r.kinds["unexplained"]++
						continue
					}
					kind := errorSummaries.FindStringSubmatch(res.stderr)[1]
					if m := errorCode.FindStringSubmatch(res.stderr); m != nil {
						kind = m[1]
					}
					r.kinds[kind]++
					if fr.name == "none (baseline)" {
						t.Errorf("the baseline plan failed:\n%s", res.output())
					}
					continue
				}
				ids, states, missing := instancesOf(data["data.cvm_instances_status.read"])
				if !list {
					if byIDMatches(ids, states, missing, ask, before) {
						r.exact++
					} else {
						r.wrong++
						t.Errorf("plan %d: wrong-but-silent read by ID: %d found, %d missing", i, len(ids), len(missing))
					}
					continue
				}
				snaps, _, _ := e.Inventory.Since(e2eRegion)
				matched := false
				for _, s := range snaps {
					if listingMatches(ids, states, s, seeded) {
						matched = true
						break
					}
				}
				switch {
				case matched:
					r.exact++
				default:
					r.wrong++
					t.Errorf("plan %d: wrong-but-silent listing of %d instances", i, len(ids))
				}
			}
			r.took = time.Since(start)
			if fr.allFail && r.errors != r.reads {
				t.Errorf("%d of %d plans failed; every one must", r.errors, r.reads)
			}
			rows = append(rows, r)
		})
	}

	mode := "quick subset (`make test`)"
	if fullRun() {
		mode = "full run (`make faults`)"
	}
	lines := make([]string, 0, len(rows))
	for _, r := range rows {
		kinds := make([]string, 0, len(r.kinds))
		for k, n := range r.kinds {
			kinds = append(kinds, fmt.Sprintf("%s ×%d", k, n))
		}
		sort.Strings(kinds)
		lines = append(lines, fmt.Sprintf("| %s | %d | %d | %d | %d | %s | %s |", r.name, r.reads, r.exact, r.errors, r.wrong, strings.Join(kinds, ", "), r.took.Round(100*time.Millisecond)))
	}
	appendReport(t, "Real `terraform plan` runs of the built provider — "+mode,
		"| faults injected | plans (one read each) | exact | errors | wrong-but-silent | errors by kind | time |\n|---|---:|---:|---:|---:|---|---:|\n", lines)
}

func stateOK(id, got string, want string, seeded map[string]string) bool {
	if _, wasSeeded := seeded[id]; !wasSeeded && want == "PENDING" {
		return got == "PENDING" || got == "RUNNING"
	}
	return got == want
}

func listingMatches(ids, states []string, s emutest.Snapshot, seeded map[string]string) bool {
	if len(ids) != len(s) {
		return false
	}
	for i, id := range ids {
		if i > 0 && ids[i-1] >= id {
			return false
		}
		want, ok := s[id]
		if !ok || !stateOK(id, states[i], want, seeded) {
			return false
		}
	}
	return true
}

func byIDMatches(ids, states, missing, ask []string, s emutest.Snapshot) bool {
	var wantFound, wantMissing []string
	for _, id := range ask {
		if _, ok := s[id]; ok {
			wantFound = append(wantFound, id)
		} else {
			wantMissing = append(wantMissing, id)
		}
	}
	if !slices.Equal(ids, wantFound) || !slices.Equal(missing, wantMissing) {
		return false
	}
	for i, id := range ids {
		if states[i] != s[id] {
			return false
		}
	}
	return true
}
