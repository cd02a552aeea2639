package cvm

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/cvmkit/terraform-provider-cvm/internal/bench"
	"github.com/cvmkit/terraform-provider-cvm/internal/credentials"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// The fault suite drives the client through every fault the emulator can
// inject, at several rates, and checks each read against the truth: the
// exact set of instances, or an error that says what happened. A read that
// returns anything else is wrong-but-silent, the one outcome a deploy gate
// cannot survive.
//
// `make test` runs a few reads per row; `make faults` (CVM_FAULTS=full) runs
// many and prints the table that RELIABILITY.md records. CVM_FAULTS_READS
// overrides the number of reads per row; CVM_FAULTS_REPORT names a file the
// table is appended to (emutest.Report).
const (
	envFaultsMode  = "CVM_FAULTS"
	envFaultsReads = "CVM_FAULTS_READS"
)

// faultRow is one line of the table: a fault, at one rate, against one
// client configuration.
type faultRow struct {
	name      string
	faults    emulator.Faults
	instances int // default 950: ten pages, the last one short
	emu       func(*emulator.Config)
	client    func(*chainConfig, *emutest.Emulator)
	setup     func(*emutest.Emulator)
	onRequest func(e *emutest.Emulator, n int64, r *http.Request)
	listOnly  bool    // every read lists the region (default: listings and reads by ID alternate)
	parallel  int     // reads in flight at once through one client
	cancel    bool    // each read is cancelled part-way; a cancellation is the outcome expected
	scale     float64 // reads relative to the other rows (default 1)
	// failsWith is, for a fault no client can survive, the error every
	// read must end with: a kind errorKind names.
	failsWith string
	// revokeEvery > 0 revokes the temporary credentials when the emulator's
	// request count is a multiple of it and the request is a CVM one: that
	// attempt is refused, and retried with a new credential from the same
	// retry budget.
	revokeEvery int64
	// sts: the credential comes from STS, whose calls meet the row's faults
	// too, and spend the attempt they are made for.
	sts bool
	// paced rows run under the bench's conditions (100 ms latency, 40
	// requests/s, the client at 40/s), every read must complete, and the
	// churn table reports each read's time against T* and its requests
	// beyond ListingRequests.
	paced bool
	// checks: every read goes through Client.Read with these readiness
	// checks, over a fleet the checks object to (emutest.WithReadiness),
	// and each instance's details and reasons are held to what the
	// emulator holds (faultsuite_readiness_test.go).
	checks Checks
	// manyTasks gives one instance more open maintenance tasks than a
	// page holds (rows with checks).
	manyTasks bool
}

// rowResult is what the table shows for a row.
type rowResult struct {
	name                          string
	reads, correct, errors, wrong int
	kinds                         map[string]int
	requests                      int64
	credFetches                   int64         // STS AssumeRole* calls and metadata credential fetches
	maxStop                       time.Duration // cancel rows: longest time from cancel to return
	badErrors                     []string
	// lost are the reads that failed other than as the row expects (a
	// cancellation, failsWith): the faults beat the retries. At most
	// allowed may be, for a client that works (emutest.AllowedFailures).
	lost      []string
	allowed   int
	failsWith string      // the row's
	cancel    bool        // the row's
	paced     []pacedRead // paced rows: one per read
}

// pacedRead is one read of a paced row.
type pacedRead struct {
	instances int           // in the region when the read began
	changes   int           // launches and terminations during it
	extra     int64         // requests beyond ListingRequests(instances)
	took      time.Duration // from the call to its return
	completed bool
}

func faultReads(t *testing.T) (reads int, full bool) {
	full = os.Getenv(envFaultsMode) == "full"
	reads = 2
	if full {
		reads = 40
	}
	if v := os.Getenv(envFaultsReads); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q is not a positive number", envFaultsReads, v)
		}
		reads = n
	}
	return reads, full
}

const (
	suiteARN       = "qcs::cam::uin/100000000001:roleName/reader"
	suiteInstances = 950

	// The bench's conditions, for the paced rows: T* = L + ⌈n/100⌉ / R
	// (bench.TStar).
	pacedLatency = 100 * time.Millisecond // bench.Latency
	pacedRate    = 40                     // bench.RateLimit
)

func isDescribe(r *http.Request) bool {
	return r.Header.Get("X-TC-Action") == "DescribeInstancesStatus"
}

func faultRows(t testing.TB) []faultRow {
	errs := func(code string, p float64) emulator.Faults {
		return emulator.Faults{Errors: map[string]float64{code: p}}
	}
	pct := func(p float64) string { return strconv.FormatFloat(p*100, 'f', -1, 64) + "%" }
	var rows []faultRow
	rows = append(rows, faultRow{name: "none (baseline)"})
	for _, p := range []float64{0.1, 0.3, 0.5} {
		rows = append(rows, faultRow{name: "RequestLimitExceeded " + pct(p), faults: errs("RequestLimitExceeded", p)})
	}
	rows = append(rows, faultRow{
		name: "real throttling: service allows 40/s, client set to 100/s",
		emu:  func(c *emulator.Config) { c.RateLimit = 40 },
		client: func(c *chainConfig, _ *emutest.Emulator) {
			c.RateLimit = 100
		},
	})
	for _, p := range []float64{0.1, 0.3, 0.5} {
		rows = append(rows, faultRow{name: "InternalError " + pct(p), faults: errs("InternalError", p)})
	}
	rows = append(rows,
		faultRow{name: "ServiceUnavailable 30%", faults: errs("ServiceUnavailable", 0.3)},
		faultRow{name: "InternalServerError 30%", faults: errs("InternalServerError", 0.3)},
	)
	for _, p := range []float64{0.1, 0.3, 0.5} {
		rows = append(rows, faultRow{name: "HTTP 502, HTML body " + pct(p), faults: emulator.Faults{HTTP502: p}})
	}
	rows = append(rows, faultRow{name: "HTTP 504, HTML body 30%", faults: emulator.Faults{HTTP504: 0.3}})
	for _, p := range []float64{0.1, 0.3, 0.5} {
		rows = append(rows, faultRow{name: "connection reset " + pct(p), faults: emulator.Faults{Reset: p}})
	}
	for _, p := range []float64{0.1, 0.3, 0.5} {
		rows = append(rows, faultRow{name: "truncated body " + pct(p), faults: emulator.Faults{Truncate: p}})
	}
	slowClient := func(c *chainConfig, _ *emutest.Emulator) { c.RequestTimeout = 250 * time.Millisecond }
	for _, p := range []float64{0.1, 0.3} {
		rows = append(rows, faultRow{
			name:   "answer 2s late, request timeout 250ms, " + pct(p),
			faults: emulator.Faults{Slow: p, SlowDelay: emulator.Duration(2 * time.Second)},
			client: slowClient, scale: 0.5,
		})
	}
	everything := emulator.Faults{
		Errors:  map[string]float64{"RequestLimitExceeded": 0.15, "InternalError": 0.1, "ServiceUnavailable": 0.05},
		HTTP502: 0.05, HTTP504: 0.05, Reset: 0.05, Truncate: 0.1,
		Slow: 0.03, SlowDelay: emulator.Duration(2 * time.Second), Jitter: emulator.Duration(5 * time.Millisecond),
	}
	rows = append(rows,
		faultRow{name: "all of the above at once", faults: everything, client: slowClient},
		faultRow{name: "all of the above, 8 reads at once through one client", faults: everything, client: slowClient, parallel: 8},
	)

	// Churn: the inventory changes between the pages of a listing.
	for _, p := range []float64{0.05, 0.2} {
		rows = append(rows,
			faultRow{name: "instances appear between pages " + pct(p), faults: emulator.Faults{Appear: p}, listOnly: true, instances: 777, scale: 2},
			faultRow{name: "instances disappear between pages " + pct(p), faults: emulator.Faults{Disappear: p}, listOnly: true, instances: 777, scale: 2},
		)
	}
	for _, p := range []float64{0.02, 0.05, 0.2} {
		rows = append(rows, faultRow{
			name:   "instances appear and disappear " + pct(p) + " each (TotalCount can stay put)",
			faults: emulator.Faults{Appear: p, Disappear: p}, listOnly: true, instances: 777, scale: 2,
		})
	}

	// Churn at the pace of a busy account, in regions of 20,000 instances:
	// one launch or termination a second (autoscaling), and ten.
	for _, every := range []time.Duration{time.Second, 100 * time.Millisecond} {
		rows = append(rows, faultRow{
			name:      "one launch or termination every " + every.String() + ", 20,000 instances",
			faults:    emulator.Faults{ChurnEvery: emulator.Duration(every), Latency: emulator.Duration(pacedLatency), Jitter: emulator.Duration(10 * time.Millisecond)},
			emu:       func(c *emulator.Config) { c.RateLimit = pacedRate },
			client:    func(c *chainConfig, _ *emutest.Emulator) { c.RateLimit = pacedRate },
			instances: 20_000, listOnly: true, paced: true, scale: 0.25,
		})
	}

	// Clocks.
	for _, d := range []time.Duration{4 * time.Minute, -4 * time.Minute} {
		rows = append(rows, faultRow{name: "clock skew " + d.String() + " (within the 5 minutes allowed)", setup: func(e *emutest.Emulator) { e.SetClockOffset(d) }})
	}
	for _, d := range []time.Duration{6 * time.Minute, -10 * time.Minute} {
		rows = append(rows, faultRow{name: "clock skew " + d.String() + ": AuthFailure.SignatureExpire", setup: func(e *emutest.Emulator) { e.SetClockOffset(d) }, failsWith: "AuthFailure.SignatureExpire"})
	}

	// Temporary credentials.
	assumeRole := func(c *chainConfig, e *emutest.Emulator) {
		c.STSEndpoint = e.URL
		c.AssumeRole = &credentials.AssumeRole{RoleARN: suiteARN, SessionName: "fault-suite", DurationSeconds: 3600}
	}
	camRole := func(c *chainConfig, e *emutest.Emulator) {
		c.Credentials = credentials.CAMRoleCredentials(emulator.DefaultCAMRoleName, e.URL, &http.Client{Timeout: 5 * time.Second}, c.Now)
	}
	// A web identity: each renewal asks for a token, minted on the clock the
	// client reads (which the expiring rows move).
	issuer := emutest.NewOIDCIssuer(t, "fault-suite")
	trustIssuer := func(c *emulator.Config) {
		c.Identity.OIDCProviders = append(c.Identity.OIDCProviders, issuer.Provider)
	}
	webIdentity := func(c *chainConfig, e *emutest.Emulator) {
		now := c.Now
		if now == nil {
			now = time.Now
		}
		c.STSEndpoint = e.URL
		c.Credentials = nil
		c.WebIdentity = &credentials.WebIdentity{ProviderID: "fault-suite", RoleARN: suiteARN, SessionName: "fault-suite", DurationSeconds: 3600,
			Token: func(context.Context) (string, error) {
				at := now()
				return issuer.Mint(map[string]any{"iss": issuer.Provider.Issuer, "aud": emutest.STSAudience, "sub": "ci",
					"iat": at.Unix(), "exp": at.Add(time.Hour).Unix()}), nil
			}}
	}
	// Revoke on every seventh CVM request: several times in each ten-page read.
	const revokeEvery = 7
	rows = append(rows,
		faultRow{name: "assume-role credentials revoked mid-read", client: assumeRole, revokeEvery: revokeEvery, sts: true},
		faultRow{name: "CAM-role credentials revoked mid-read", client: camRole, revokeEvery: revokeEvery},
		faultRow{name: "web identity credentials revoked mid-read", emu: trustIssuer, client: webIdentity, revokeEvery: revokeEvery, sts: true},
	)
	// A clock both sides share, moving 20 s with every CVM request: a read
	// of ten pages spans more than the credentials' five-minute life.
	expiring := func(name string, creds func(*chainConfig, *emutest.Emulator), sts bool) faultRow {
		clock := emutest.NewClock() // shared by the client and the emulator: credentials expire mid-read
		return faultRow{
			name: name, sts: sts,
			emu: func(c *emulator.Config) {
				c.Now = clock.Now
				c.TempCredentialTTL = 5 * time.Minute
				trustIssuer(c)
			},
			client: func(c *chainConfig, e *emutest.Emulator) {
				c.Now = clock.Now
				creds(c, e)
				if c.AssumeRole != nil {
					c.AssumeRole.DurationSeconds = 300
				}
				if c.WebIdentity != nil {
					c.WebIdentity.DurationSeconds = 300
				}
			},
			onRequest: func(_ *emutest.Emulator, _ int64, r *http.Request) {
				if isDescribe(r) {
					clock.Advance(20 * time.Second)
				}
			},
		}
	}
	rows = append(rows,
		expiring("assume-role credentials (5 min) expire mid-read", assumeRole, true),
		expiring("CAM-role credentials (5 min) expire mid-read", camRole, false),
		expiring("web identity credentials (5 min) expire mid-read, a fresh token each time", webIdentity, true),
		faultRow{
			name:   "assume-role revoked mid-read, InternalError 20% on CVM and STS",
			faults: errs("InternalError", 0.2), client: assumeRole, revokeEvery: revokeEvery, sts: true,
		},
	)

	// Cancellation (Ctrl-C): the read must stop within a second.
	rows = append(rows, readinessFaultRows(everything, slowClient)...)

	rows = append(rows, faultRow{
		name:   "read cancelled part-way (latency 40-80ms, 20% throttled)",
		faults: emulator.Faults{Latency: emulator.Duration(40 * time.Millisecond), Jitter: emulator.Duration(40 * time.Millisecond), Errors: map[string]float64{"RequestLimitExceeded": 0.2}},
		cancel: true, instances: 3000,
	})
	return rows
}

func TestFaultSuite(t *testing.T) {
	reads, full := faultReads(t)
	rows := faultRows(t)
	results := make([]rowResult, len(rows))
	// The paced rows spend their time waiting for the emulator's rate and
	// run side by side, once the others (which watch for leaked goroutines
	// and must run alone) are done; the group returns when all have.
	t.Run("rows", func(t *testing.T) {
		for i, row := range rows {
			t.Run(row.name, func(t *testing.T) {
				if row.paced {
					t.Parallel()
				}
				n := max(1, int(float64(reads)*orOne(row.scale)))
				res := runFaultRow(t, row, n)
				results[i] = res
				for _, e := range res.badErrors {
					t.Errorf("an error that does not say what happened: %s", e)
				}
				if res.wrong > 0 {
					t.Errorf("%d wrong-but-silent reads", res.wrong)
				}
				if len(res.lost) > res.allowed {
					t.Errorf("%d of %d reads failed to the faults; a client with the default %d retries loses at most %d here (emutest.AllowedFailures): %s",
						len(res.lost), res.reads, DefaultMaxRetries, res.allowed, strings.Join(res.lost, "; "))
				}
				if row.failsWith != "" && res.kinds[row.failsWith] != res.reads {
					t.Errorf("errors by kind %v in %d reads; every read must fail with %s", res.kinds, res.reads, row.failsWith)
				}
			})
		}
	})
	ran := results[:0]
	for _, r := range results {
		if r.name != "" { // not filtered out by -run
			ran = append(ran, r)
		}
	}
	table := renderFaultTable("Client (`internal/cvm`), against the in-process emulator", ran, full)
	emutest.Report(t, table)
}

// The survival emutest's TestAllowedFailures holds, and RELIABILITY.md
// quotes, is worked out for this suite's reads: a listing of 950 instances
// in 10 requests, by a client with 8 retries by default.
func TestSurvivalFiguresAreTheSuites(t *testing.T) {
	t.Parallel()
	if got := ListingRequests(suiteInstances); got != 10 {
		t.Errorf("a listing of %d instances takes %d requests; emutest.TestAllowedFailures counts 10", suiteInstances, got)
	}
	if DefaultMaxRetries != 8 {
		t.Errorf("DefaultMaxRetries is %d; emutest.TestAllowedFailures counts 8", DefaultMaxRetries)
	}
}

func orOne(f float64) float64 {
	if f == 0 {
		return 1
	}
	return f
}

func runFaultRow(t *testing.T, row faultRow, reads int) rowResult {
	if row.cancel {
		// Registered first, so it runs after the emulator and the client's
		// connections are gone.
		ignore := goleak.IgnoreCurrent()
		t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	}
	n := row.instances
	if n == 0 {
		n = suiteInstances
	}
	seeded := emulator.GenerateInstances(n, int64(len(row.name)))
	if row.checks.Any() {
		seeded = readinessFleet(seeded, row.manyTasks)
	}
	cfg := emulator.Config{
		Regions:     regionOf(seeded),
		Seed:        int64(len(row.name)) * 7919,
		Credentials: []emulator.Credential{{SecretID: testSecretID, SecretKey: testSecretKey}},
	}
	if row.emu != nil {
		row.emu(&cfg)
	}
	var e *emutest.Emulator
	e = emutest.Start(t, cfg, emutest.Options{OnRequest: func(n int64, r *http.Request) {
		if row.revokeEvery > 0 && isDescribe(r) && n%row.revokeEvery == 0 {
			e.RevokeTemporaryCredentials()
		}
		if row.onRequest != nil {
			row.onRequest(e, n, r)
		}
	}})
	if err := e.SetFaults(row.faults); err != nil {
		t.Fatal(err)
	}
	if row.setup != nil {
		row.setup(e)
	}
	ccfg := chainConfig{Config: Config{
		Endpoint:       e.URL,
		Credentials:    testCredentials,
		RateLimit:      1000,
		RetryBaseDelay: time.Millisecond,
		RetryMaxDelay:  5 * time.Millisecond,
		RequestTimeout: 2 * time.Second,
		HTTPClient:     &http.Client{Transport: &http.Transport{}},
	}}
	if row.client != nil {
		row.client(&ccfg, e)
	}
	c, err := newChained(ccfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ccfg.HTTPClient.CloseIdleConnections)

	seededStates := emutest.Snapshot{}
	seededReadiness := map[string]emulator.Readiness{}
	for _, in := range seeded {
		seededStates[in.InstanceId] = in.InstanceState
		seededReadiness[in.InstanceId] = in.Readiness
	}
	// 240 known IDs in a scrambled order, 10 unknown ones, and duplicates.
	var askIDs []string
	for i := range min(240, n) {
		askIDs = append(askIDs, seeded[(i*37)%n].InstanceId)
	}
	for i := range 10 {
		askIDs = append(askIDs, fmt.Sprintf("ins-zz%06d", i))
	}
	askIDs = append(askIDs, askIDs[0], askIDs[len(askIDs)-1])

	res := rowResult{name: row.name, kinds: map[string]int{}, failsWith: row.failsWith, cancel: row.cancel}
	// What a client that works survives: each read's chance of failing to
	// the faults, from the requests it sends, the rate at which an attempt
	// fails and the default retry budget (not ccfg's: the suite holds the
	// client to what it promises).
	p := row.attemptFailure(ccfg.RequestTimeout)
	unique, _ := uniqueIDs(askIDs)
	byIDRequests := (len(unique) + PageSize - 1) / PageSize
	readFails := make([]float64, reads)
	for i := range readFails {
		requests := ListingRequests(n)
		if !row.lists(i) {
			requests = byIDRequests
		}
		if row.checks.Any() {
			requests = row.readinessRequests(row.lists(i), n, len(unique))
		}
		readFails[i] = emutest.ReadFailure(p, DefaultMaxRetries, requests)
	}
	res.allowed = emutest.AllowedFailures(readFails)
	var mu sync.Mutex
	record := func(ok bool, wrong bool, err error, stop time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		res.reads++
		res.maxStop = max(res.maxStop, stop)
		switch {
		case err != nil:
			res.errors++
			kind, explained := errorKind(err)
			res.kinds[kind]++
			if !explained {
				res.badErrors = append(res.badErrors, err.Error())
			}
			if kind != row.failsWith && (kind != "cancelled" || !row.cancel) {
				res.lost = append(res.lost, err.Error())
			}
		case ok:
			res.correct++
		case wrong:
			res.wrong++
		}
	}

	readOnce := func(i int, rng *rand.Rand) {
		listing := row.lists(i)
		var ids []string
		if !listing {
			ids = askIDs
		}
		if !row.concurrentReads() {
			e.Inventory.Mark(testRegion)
		}
		before := e.Inventory.Current(testRegion)
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		var cancelledAt time.Time
		if row.cancel {
			delay := time.Duration(rng.IntN(200)) * time.Millisecond
			timer := time.AfterFunc(delay, func() {
				mu.Lock()
				cancelledAt = time.Now()
				mu.Unlock()
				cancel()
			})
			defer timer.Stop()
		}
		requestsBefore, called := e.Requests(), time.Now()
		var got *Result
		var err error
		if row.checks.Any() {
			got, err = c.Read(ctx, testRegion, ids, row.checks)
		} else {
			got, err = c.DescribeInstancesStatus(ctx, testRegion, ids)
		}
		returned := time.Now()
		if row.paced {
			_, appeared, disappeared := e.Inventory.Since(testRegion)
			mu.Lock()
			res.paced = append(res.paced, pacedRead{instances: len(before), changes: appeared + disappeared,
				extra: e.Requests() - requestsBefore - int64(ListingRequests(len(before))), took: returned.Sub(called), completed: err == nil})
			mu.Unlock()
		}
		var stop time.Duration
		if row.cancel {
			mu.Lock()
			if !cancelledAt.IsZero() {
				stop = returned.Sub(cancelledAt)
			}
			mu.Unlock()
			if err != nil && !errors.Is(err, context.Canceled) {
				record(false, false, fmt.Errorf("cancelled read: %w", err), stop)
				return
			}
		}
		if err != nil {
			record(false, false, err, stop)
			return
		}
		var states []emutest.Snapshot
		appeared, disappeared := 0, 0
		if row.concurrentReads() {
			states = []emutest.Snapshot{before}
		} else {
			states, appeared, disappeared = e.Inventory.Since(testRegion)
		}
		if !listing {
			why := byIDResultBreaksPromise(got, askIDs, states, seededStates)
			if why == "" && row.checks.Any() {
				why = readinessBreaksTruth(got, row.checks, states, seededReadiness)
			}
			if why == "" {
				record(true, false, nil, stop)
			} else {
				t.Logf("read %d by ID: wrong result: %d found, %d missing: %s", i, len(got.Instances), len(got.Missing), why)
				record(false, true, nil, stop)
			}
			return
		}
		why := listingBreaksGuarantee(got.Instances, states, seededStates)
		if why == "" && row.checks.Any() {
			why = readinessBreaksTruth(got, row.checks, states, seededReadiness)
		}
		if why == "" {
			record(true, false, nil, stop)
			return
		}
		t.Logf("read %d: wrong-but-silent listing: %d instances, inventory went through %d states (%d appeared, %d disappeared): %s",
			i, len(got.Instances), len(states), appeared, disappeared, why)
		record(false, true, nil, stop)
	}

	if row.parallel > 0 {
		var wg sync.WaitGroup
		for w := range row.parallel {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(w), 1))
				for i := w; i < reads; i += row.parallel {
					readOnce(i, rng)
				}
			}()
		}
		wg.Wait()
	} else {
		rng := rand.New(rand.NewPCG(uint64(reads), 2))
		for i := range reads {
			readOnce(i, rng)
		}
	}
	res.requests = e.Requests()
	st := e.Stats().ByAction
	res.credFetches = st["AssumeRole"] + st["AssumeRoleWithWebIdentity"] + e.MetadataFetches()
	if row.cancel && res.maxStop > time.Second {
		t.Errorf("a cancelled read took %s to return; it must stop within a second", res.maxStop)
	}
	if row.name == "none (baseline)" {
		// Exactly ⌈n/100⌉ requests per listing and ⌈unique IDs/100⌉ per
		// read by ID when nothing fails.
		listings, byID := (reads+1)/2, reads/2
		want := int64(listings*((n+PageSize-1)/PageSize) + byID*3)
		if res.requests != want {
			t.Errorf("%d requests for %d listings and %d reads by ID; want exactly %d", res.requests, listings, byID, want)
		}
	}
	return res
}

func (r faultRow) concurrentReads() bool { return r.parallel > 0 }

// lists says whether read i lists the region (else it reads by ID).
func (r faultRow) lists(i int) bool { return r.listOnly || r.parallel > 0 || i%2 == 0 }

// Survival: a row fails when more reads are lost to the faults than a
// client that works loses all but once in a thousand runs
// (emutest.AllowedFailures, which explains the model).

// attemptFailure is the chance that one attempt of the row's requests
// fails: the row's faults (emutest.AttemptAnswered). An attempt that needs
// a credential from STS meets STS's draw as well, and a revocation refuses
// the attempt it lands on.
func (r faultRow) attemptFailure(timeout time.Duration) float64 {
	answered := emutest.AttemptAnswered(r.faults, timeout)
	ok := answered
	if r.sts {
		ok *= answered
	}
	if r.revokeEvery > 0 {
		ok *= 1 - 1/float64(r.revokeEvery)
	}
	return 1 - ok
}

// errorKind names the error for the table and reports whether it says what
// happened: a service or transport code, a changing inventory, a
// credential that could not be obtained, or a cancellation.
func errorKind(err error) (string, bool) {
	var (
		apiErr  *tcapi.APIError
		credErr *tcapi.CredentialError
	)
	switch {
	case errors.Is(err, context.Canceled):
		return "cancelled", true
	case errors.As(err, &credErr):
		if errors.As(err, &apiErr) {
			return "credentials: " + apiErr.Code, apiErr.Code != "" && strings.Contains(err.Error(), apiErr.Code)
		}
		return "credentials", err.Error() != ""
	case errors.As(err, &apiErr):
		return apiErr.Code, apiErr.Code != "" && strings.Contains(err.Error(), apiErr.Code)
	case errors.Is(err, ErrListingUnstable):
		return "ErrListingUnstable", strings.Contains(err.Error(), ErrListingUnstable.Error())
	}
	return "unclassified", false
}

// listingBreaksGuarantee checks the client's listing against every state
// the inventory went through during the read (emutest.ListingBreaksGuarantee
// says what RELIABILITY.md promises). It returns what is wrong, or "".
func listingBreaksGuarantee(got []InstanceStatus, states []emutest.Snapshot, seeded emutest.Snapshot) string {
	ids := make([]string, len(got))
	read := make([]string, len(got))
	for i, in := range got {
		ids[i], read[i] = in.InstanceID, in.State
	}
	return emutest.ListingBreaksGuarantee(ids, read, states, seeded)
}

func stateMatches(in InstanceStatus, want string, seeded emutest.Snapshot) bool {
	return emutest.StateMatches(in.InstanceID, in.State, want, seeded)
}

// byIDResultBreaksPromise checks a read by ID against every state the
// inventory went through during it (one state when nothing changed): the
// IDs found in the order asked for, each once, and the others missing; an
// instance present in every state must be found, in its state, one absent
// from every state missing, and one that came or went meanwhile may be
// either. When nothing changes, that is the inventory exactly. It returns
// what is wrong, or "".
func byIDResultBreaksPromise(got *Result, ask []string, states []emutest.Snapshot, seeded emutest.Snapshot) string {
	if len(states) == 0 {
		return "no inventory to check against"
	}
	found := make(map[string]int, len(got.Instances))
	for i, in := range got.Instances {
		found[in.InstanceID] = i
	}
	missing := make(map[string]bool, len(got.Missing))
	for _, id := range got.Missing {
		missing[id] = true
	}
	seen := map[string]bool{}
	var order, missOrder []string
	for _, id := range ask {
		if seen[id] {
			continue
		}
		seen[id] = true
		i, isFound := found[id]
		switch {
		case isFound && missing[id]:
			return id + " both found and missing"
		case !isFound && !missing[id]:
			return id + " neither found nor missing"
		}
		everywhere, held := true, false
		for _, s := range states {
			want, ok := s[id]
			if ok {
				if isFound && stateMatches(got.Instances[i], want, seeded) {
					held = true
				}
			} else {
				everywhere = false
			}
		}
		switch {
		case isFound && !held:
			return fmt.Sprintf("%s read as %s, a state it never had during the read", id, got.Instances[i].State)
		case !isFound && everywhere:
			return id + " missing, though it existed throughout the read"
		}
		if isFound {
			order = append(order, id)
		} else {
			missOrder = append(missOrder, id)
		}
	}
	if len(order) != len(got.Instances) || len(missOrder) != len(got.Missing) {
		return fmt.Sprintf("%d found and %d missing, for %d IDs asked for", len(got.Instances), len(got.Missing), len(seen))
	}
	for i, in := range got.Instances {
		if in.InstanceID != order[i] {
			return "found instances not in the order asked for, or twice"
		}
	}
	if !slices.Equal(got.Missing, missOrder) {
		return "missing IDs not in the order asked for, or twice"
	}
	return ""
}

func renderFaultTable(title string, rows []rowResult, full bool) string {
	var b strings.Builder
	mode := "quick subset (`make test`)"
	if full {
		mode = "full run (`make faults`)"
	}
	fmt.Fprintf(&b, "### %s — %s\n\n", title, mode)
	b.WriteString("| faults injected | reads | correct | must be correct | errors | wrong-but-silent | errors by kind | requests |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---|---:|\n")
	for _, r := range rows {
		kinds := make([]string, 0, len(r.kinds))
		for k, n := range r.kinds {
			kinds = append(kinds, fmt.Sprintf("%s ×%d", k, n))
		}
		sort.Strings(kinds)
		note := strings.Join(kinds, ", ")
		if r.credFetches > 0 {
			note += fmt.Sprintf(" (temporary credentials fetched %d times)", r.credFetches)
		}
		if r.maxStop > 0 {
			note += fmt.Sprintf(" (slowest stop after cancel: %s)", r.maxStop.Round(time.Millisecond))
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %s | %d | %d | %s | %d |\n", r.name, r.reads, r.correct, r.mustBeCorrect(), r.errors, r.wrong, note, r.requests)
	}
	renderPacedTable(&b, rows)
	return b.String()
}

// mustBeCorrect is what the row asserts, for the table.
func (r rowResult) mustBeCorrect() string {
	switch {
	case r.failsWith != "":
		return "0, all " + r.failsWith
	case r.cancel:
		return fmt.Sprintf("%d, or cancelled", r.reads-r.allowed)
	}
	return strconv.Itoa(r.reads - r.allowed)
}

// renderPacedTable adds the paced rows' own table: reads completed, the
// requests churn cost beyond a quiet listing's, and time against T*.
func renderPacedTable(b *strings.Builder, rows []rowResult) {
	header := false
	for _, r := range rows {
		if len(r.paced) == 0 {
			continue
		}
		if !header {
			fmt.Fprintf(b, "\nListings under churn, at the bench's conditions (latency %s + up to 10ms, %d requests/s, the client at %d/s); T* = L + ⌈n/100⌉ / R for the region's size when the read began.\n\n",
				pacedLatency, pacedRate, pacedRate)
			b.WriteString("| churn | reads | completed | wrong-but-silent | changes per read | extra requests per read (mean / max) | time per read (median / max) | T* | max / T* |\n")
			b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
			header = true
		}
		completed, changes := 0, 0
		var extra, maxExtra int64
		var took []time.Duration
		for _, p := range r.paced {
			changes += p.changes
			if !p.completed {
				continue
			}
			completed++
			extra += p.extra
			maxExtra = max(maxExtra, p.extra)
			took = append(took, p.took)
		}
		slices.Sort(took)
		ts := bench.TStar(r.paced[0].instances)
		mean, med, slowest, ratio := "—", "—", "—", "—"
		if completed > 0 {
			mean = fmt.Sprintf("%.1f / %d", float64(extra)/float64(completed), maxExtra)
			med, slowest = took[len(took)/2].Round(10*time.Millisecond).String(), took[len(took)-1].Round(10*time.Millisecond).String()
			ratio = fmt.Sprintf("%.2f", took[len(took)-1].Seconds()/ts.Seconds())
		}
		fmt.Fprintf(b, "| %s | %d | %d | %d | %.1f | %s | %s / %s | %s | %s |\n", r.name, len(r.paced), completed, r.wrong,
			float64(changes)/float64(len(r.paced)), mean, med, slowest, ts.Round(10*time.Millisecond), ratio)
	}
}
