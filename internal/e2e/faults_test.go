package e2e

import (
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/bench"
	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
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
	// failsWith is, for a fault no client can survive, the code every plan
	// must fail with.
	failsWith string
	quick     bool // also part of `make test`
	// paced rows list a region of instances (default 950) under the
	// bench's conditions: the emulator at 100 ms and 40 requests/s, the
	// provider at rate_limit = 40. Every plan must succeed; the churn table
	// reports each one's time against T* and its requests beyond
	// cvm.ListingRequests.
	paced     bool
	instances int
	// include: the data sources include every readiness check, over a
	// fleet the checks object to, and each instance's attributes are held
	// to what the emulator holds (faults_readiness_test.go).
	include bool
}

// The bench's conditions, for the paced rows: T* = L + ⌈n/100⌉ / R
// (bench.TStar).
const (
	pacedLatency = 100 * time.Millisecond // bench.Latency
	pacedRate    = 40                     // bench.RateLimit
)

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
		{name: "clock skew +6m: AuthFailure.SignatureExpire", setup: func(e *emutest.Emulator) { e.SetClockOffset(6 * time.Minute) }, failsWith: "AuthFailure.SignatureExpire"},
		churnRow(time.Second, true),
		churnRow(100*time.Millisecond, false),
	}
}

// allTFFaultRows are the rows above and the readiness rows.
func allTFFaultRows() []tfFaultRow { return append(tfFaultRows(), readinessTFRows()...) }

// churnRow is one launch or termination every interval in a region of
// 20,000 instances, as under autoscaling, listed at the bench's pace.
func churnRow(every time.Duration, quick bool) tfFaultRow {
	return tfFaultRow{
		name: "one launch or termination every " + every.String() + ", 20,000 instances",
		faults: emulator.Faults{ChurnEvery: emulator.Duration(every),
			Latency: emulator.Duration(pacedLatency), Jitter: emulator.Duration(10 * time.Millisecond)},
		listOnly: true, paced: true, instances: 20_000, quick: quick,
	}
}

// envFaultsPlans overrides the number of plans a row.
const envFaultsPlans = "CVM_FAULTS_TF_PLANS"

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
	if v := os.Getenv(envFaultsPlans); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q is not a positive number of plans a row", envFaultsPlans, v)
		}
		plans = n
	}
	type pacedPlan struct {
		instances, changes int
		extra              int64
		took, span         time.Duration
		completed          bool
	}
	type row struct {
		name                          string
		reads, correct, errors, wrong int
		mustBeCorrect                 string
		kinds                         map[string]int
		took                          time.Duration
		paced                         []pacedPlan
	}
	var rows []row
	for _, fr := range allTFFaultRows() {
		if !fullRun() && !fr.quick {
			continue
		}
		t.Run(fr.name, func(t *testing.T) {
			n, providerBlock, serviceRate := 950, `provider "cvm" {}`, 0.0
			if fr.paced {
				n, providerBlock, serviceRate = fr.instances, fmt.Sprintf("provider \"cvm\" {\n  rate_limit = %d\n}", pacedRate), pacedRate
			}
			seededList := emulator.GenerateInstances(n, int64(len(fr.name)))
			include := ""
			if fr.include {
				seededList = emutest.WithReadiness(seededList)
				include = "\n  include = " + includeAll
			}
			// The first and last request of each plan: its reads' span.
			var spanMu sync.Mutex
			var firstRequest, lastRequest time.Time
			e := emutest.Start(t, emulator.Config{
				Credentials: []emulator.Credential{{SecretID: e2eSecretID, SecretKey: e2eSecretKey}},
				Regions:     map[string][]emulator.Instance{e2eRegion: seededList},
				Seed:        int64(len(fr.name)),
				RateLimit:   serviceRate,
			}, emutest.Options{OnRequest: func(int64, *http.Request) {
				spanMu.Lock()
				defer spanMu.Unlock()
				if firstRequest.IsZero() {
					firstRequest = time.Now()
				}
				lastRequest = time.Now()
			}})
			if err := e.SetFaults(fr.faults); err != nil {
				t.Fatal(err)
			}
			if fr.setup != nil {
				fr.setup(e)
			}
			seeded := map[string]string{}
			seededReadiness := map[string]emulator.Readiness{}
			var ask []string
			for i, in := range seededList {
				seeded[in.InstanceId] = in.InstanceState
				seededReadiness[in.InstanceId] = in.Readiness
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
			listing := newWorkspace(t, e2eProviders+providerBlock+`
data "cvm_instances_status" "read" {`+include+`
}
`, e2eEnv(e))
			byID := newWorkspace(t, e2eProviders+`
provider "cvm" {}
data "cvm_instances_status" "read" {
  instance_ids = [`+strings.Join(quoted, ", ")+`]`+include+`
}
`, e2eEnv(e))

			// What the provider, with its production retries, survives:
			// each plan's chance of failing to the faults, and the survival
			// rule both fault suites share (emutest.AllowedFailures). A plan
			// is lost when one of its requests meets a fault on every one of
			// its 1 + 8 attempts. At 30%, with 6 plans of a listing (10
			// requests) or 240 IDs (3), every plan must succeed; at 50%
			// (RequestLimitExceeded 50%, and "all of the above") 1 plan of 2
			// may be lost, and 2 of 6.
			p := 1 - emutest.AttemptAnswered(fr.faults, cvm.DefaultRequestTimeout)
			plans := plans
			if fr.paced && !fullRun() && os.Getenv(envFaultsPlans) == "" {
				// A paced row's plan reads 20,000 instances at the bench's
				// rate, 5 s and more: make test takes one, make faults six.
				plans = 1
			}
			readFails := make([]float64, plans)
			for i := range readFails {
				requests := (len(ask) + 99) / 100
				if fr.listOnly || i%2 == 0 {
					requests = cvm.ListingRequests(n)
				}
				if fr.include {
					requests = fr.readinessRequests(fr.listOnly || i%2 == 0, n, len(ask))
				}
				readFails[i] = emutest.ReadFailure(p, cvm.DefaultMaxRetries, requests)
			}
			allowed := emutest.AllowedFailures(readFails)
			var lost []string

			r := row{name: fr.name, kinds: map[string]int{}, mustBeCorrect: strconv.Itoa(plans - allowed)}
			if fr.failsWith != "" {
				r.mustBeCorrect = "0, all " + fr.failsWith
			}
			start := time.Now()
			for i := range plans {
				list := fr.listOnly || i%2 == 0
				w := byID
				if list {
					w = listing
				}
				e.Inventory.Mark(e2eRegion)
				before := e.Inventory.Current(e2eRegion)
				requestsBefore := e.Requests()
				spanMu.Lock()
				firstRequest = time.Time{}
				spanMu.Unlock()
				data, res := w.plan()
				r.reads++
				if fr.paced {
					_, appeared, disappeared := e.Inventory.Since(e2eRegion)
					spanMu.Lock()
					span := lastRequest.Sub(firstRequest) + pacedLatency // until the last answer, give or take its jitter
					spanMu.Unlock()
					r.paced = append(r.paced, pacedPlan{instances: len(before), changes: appeared + disappeared, took: res.took, span: span, completed: res.exit == 0,
						extra: e.Requests() - requestsBefore - int64(cvm.ListingRequests(len(before)))})
				}
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
					if kind != fr.failsWith {
						lost = append(lost, fmt.Sprintf("plan %d: %s", i, kind))
					}
					continue
				}
				values := data["data.cvm_instances_status.read"]
				ids, states, missing := instancesOf(values)
				snaps, _, _ := e.Inventory.Since(e2eRegion)
				if !list {
					why := byIDBreaksPromise(ids, states, missing, ask, snaps, seeded)
					if why == "" && fr.include {
						why = readinessBreaksTruth(values, snaps, seededReadiness)
					}
					if why == "" {
						r.correct++
					} else {
						r.wrong++
						t.Errorf("plan %d: wrong-but-silent read by ID: %d found, %d missing: %s", i, len(ids), len(missing), why)
					}
					continue
				}
				why := emutest.ListingBreaksGuarantee(ids, states, snaps, seeded)
				if why == "" && fr.include {
					why = readinessBreaksTruth(values, snaps, seededReadiness)
				}
				if why != "" {
					r.wrong++
					t.Errorf("plan %d: wrong-but-silent listing of %d instances: %s", i, len(ids), why)
				} else {
					r.correct++
				}
			}
			r.took = time.Since(start)
			if len(lost) > allowed {
				t.Errorf("%d of %d plans failed to the faults; the provider with its default %d retries loses at most %d here (emutest.AllowedFailures): %s",
					len(lost), r.reads, cvm.DefaultMaxRetries, allowed, strings.Join(lost, "; "))
			}
			if fr.failsWith != "" && r.kinds[fr.failsWith] != r.reads {
				t.Errorf("errors by kind %v in %d plans; every plan must fail with %s", r.kinds, r.reads, fr.failsWith)
			}
			rows = append(rows, r)
		})
	}

	mode := "quick subset (`make test`)"
	if fullRun() {
		mode = "full run (`make faults`)"
	}
	lines := make([]string, 0, len(rows))
	var churn []string
	for _, r := range rows {
		kinds := make([]string, 0, len(r.kinds))
		for k, n := range r.kinds {
			kinds = append(kinds, fmt.Sprintf("%s ×%d", k, n))
		}
		sort.Strings(kinds)
		lines = append(lines, fmt.Sprintf("| %s | %d | %d | %s | %d | %d | %s | %s |", r.name, r.reads, r.correct, r.mustBeCorrect, r.errors, r.wrong, strings.Join(kinds, ", "), r.took.Round(100*time.Millisecond)))
		if len(r.paced) == 0 {
			continue
		}
		completed, changes := 0, 0
		var extra, maxExtra int64
		var took, spans []time.Duration
		for _, p := range r.paced {
			changes += p.changes
			if p.completed {
				completed++
				extra += p.extra
				maxExtra = max(maxExtra, p.extra)
				took, spans = append(took, p.took), append(spans, p.span)
			}
		}
		slices.Sort(took)
		slices.Sort(spans)
		ts := bench.TStar(r.paced[0].instances)
		mean, times, ratio, spanTimes, spanRatio := "—", "—", "—", "—", "—"
		if completed > 0 {
			mean = fmt.Sprintf("%.1f / %d", float64(extra)/float64(completed), maxExtra)
			times = took[len(took)/2].Round(10*time.Millisecond).String() + " / " + took[len(took)-1].Round(10*time.Millisecond).String()
			ratio = fmt.Sprintf("%.2f", took[len(took)-1].Seconds()/ts.Seconds())
			spanTimes = spans[len(spans)/2].Round(10*time.Millisecond).String() + " / " + spans[len(spans)-1].Round(10*time.Millisecond).String()
			spanRatio = fmt.Sprintf("%.2f", spans[len(spans)-1].Seconds()/ts.Seconds())
		}
		churn = append(churn, fmt.Sprintf("| %s | %d | %d | %d | %.1f | %s | %s | %s | %s | %s | %s |", r.name, len(r.paced), completed, r.wrong,
			float64(changes)/float64(len(r.paced)), mean, spanTimes, spanRatio, times, ts.Round(10*time.Millisecond), ratio))
	}
	appendReport(t, "Real `terraform plan` runs of the built provider — "+mode,
		"| faults injected | plans (one read each) | correct | must be correct | errors | wrong-but-silent | errors by kind | time |\n|---|---:|---:|---:|---:|---:|---|---:|\n", lines)
	if len(churn) > 0 {
		appendReport(t, "Listings under churn through `terraform plan` — "+mode,
			fmt.Sprintf("The emulator at latency %s + up to 10ms and %d requests/s, the provider at `rate_limit = %d`. The read span runs from the plan's first request to its last, plus the latency; the plan time is the whole `terraform plan`, Terraform's own work on the instances and the provider's start-up included. T* = L + ⌈n/100⌉ / R for the region's size when the plan began.\n\n", pacedLatency, pacedRate, pacedRate)+
				"| churn | plans | completed | wrong-but-silent | changes per plan | extra requests per plan (mean / max) | read span (median / max) | max span / T* | plan time (median / max) | T* | max plan / T* |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n", churn)
	}
}

// byIDBreaksPromise checks a read by ID against every state the inventory
// went through during the plan (one when nothing changed, and then it must
// match exactly): the IDs found in the order asked for and the others
// missing; an instance present in every state must be found, in its state,
// one absent from all of them missing, and one that came or went may be
// either. It returns what is wrong, or "".
func byIDBreaksPromise(ids, states, missing, ask []string, history []emutest.Snapshot, seeded emutest.Snapshot) string {
	if len(history) == 0 {
		return "no inventory to check against"
	}
	var wantFound, wantMissing []string
	found := map[string]string{}
	for i, id := range ids {
		found[id] = states[i]
	}
	for _, id := range ask {
		state, isFound := found[id]
		everywhere, held := true, false
		for _, s := range history {
			want, ok := s[id]
			if !ok {
				everywhere = false
				continue
			}
			if isFound && emutest.StateMatches(id, state, want, seeded) {
				held = true
			}
		}
		switch {
		case isFound && !held:
			return fmt.Sprintf("%s read as %s, a state it never had during the read", id, state)
		case !isFound && everywhere:
			return id + " missing, though it existed throughout the read"
		case isFound:
			wantFound = append(wantFound, id)
		default:
			wantMissing = append(wantMissing, id)
		}
	}
	if !slices.Equal(ids, wantFound) || !slices.Equal(missing, wantMissing) {
		return fmt.Sprintf("found %d and missing %d, not each once in the order asked for (%d and %d)", len(ids), len(missing), len(wantFound), len(wantMissing))
	}
	return ""
}
