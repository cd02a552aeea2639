package emulator_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/clock"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// freshClient opens a new connection per request, so that no transport
// retry hides a dropped connection.
func freshClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}

func listing(t *testing.T, s *emulator.Server) *http.Request {
	return tc3Call{action: cvmAction, version: cvmVersion, region: testRegion, body: `{"Limit":100}`}.request(t, s)
}

func setFaults(t *testing.T, s *emulator.Server, f emulator.Faults) {
	t.Helper()
	if err := s.SetFaults(f); err != nil {
		t.Fatalf("SetFaults: %v", err)
	}
}

func TestFaultGatewayErrors(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances()})
	for _, tc := range []struct {
		f      emulator.Faults
		status int
		key    string
	}{{emulator.Faults{HTTP502: 1}, 502, "HTTP502"}, {emulator.Faults{HTTP504: 1}, 504, "HTTP504"}} {
		setFaults(t, s, tc.f)
		resp, err := freshClient().Do(listing(t, s))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		closeQuietly(resp.Body)
		if resp.StatusCode != tc.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: HTTP %d %s", tc.key, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if json.Valid(body) {
			t.Errorf("%s: body is JSON: %s", tc.key, body)
		}
		if n := s.Stats().ByCode[tc.key]; n != 1 {
			t.Errorf("ByCode[%s] = %d, want 1", tc.key, n)
		}
	}
}

func TestFaultReset(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances()})
	setFaults(t, s, emulator.Faults{Reset: 1})
	resp, err := freshClient().Do(listing(t, s))
	if err == nil {
		closeQuietly(resp.Body)
		t.Fatalf("got HTTP %d, want a dropped connection", resp.StatusCode)
	}
	if st := s.Stats(); st.ByCode["ConnectionReset"] != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestFaultTruncate(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances()})
	setFaults(t, s, emulator.Faults{Truncate: 1})
	resp, err := freshClient().Do(listing(t, s))
	if err != nil {
		t.Fatal(err)
	}
	defer closeQuietly(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || resp.ContentLength <= 0 {
		t.Fatalf("HTTP %d %s length %d", resp.StatusCode, resp.Header.Get("Content-Type"), resp.ContentLength)
	}
	body, err := io.ReadAll(resp.Body)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("reading a truncated body: %v, want unexpected EOF", err)
	}
	if int64(len(body)) != resp.ContentLength/2 {
		t.Errorf("got %d of %d bytes, want half", len(body), resp.ContentLength)
	}
	var v any
	if err := json.Unmarshal(body, &v); err == nil {
		t.Errorf("the truncated body decodes: %s", body)
	}
	if st := s.Stats(); st.ByCode["Success"] != 1 {
		t.Errorf("a truncated answer counts under its code: %+v", st)
	}
}

func TestFaultErrorsAtRateOne(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances()})
	setFaults(t, s, emulator.Faults{Errors: map[string]float64{"InternalError": 1}})
	for range 3 {
		wantCode(t, do(t, listing(t, s)), "InternalError")
	}
	setFaults(t, s, emulator.Faults{Errors: map[string]float64{"RequestLimitExceeded": 1}})
	wantCode(t, do(t, listing(t, s)), "RequestLimitExceeded")
	// Authentication still comes first.
	wrongKey := tc3Call{action: cvmAction, version: cvmVersion, region: testRegion, secretKey: "wrong", body: `{}`}
	wantCode(t, do(t, wrongKey.request(t, s)), "AuthFailure.SignatureFailure")
	st := s.Stats()
	if st.ByCode["InternalError"] != 3 || st.Throttled != 1 {
		t.Errorf("stats %+v", st)
	}
	// Limited to AssumeRole: DescribeInstancesStatus is spared.
	setFaults(t, s, emulator.Faults{Errors: map[string]float64{"InternalError": 1}, Actions: []string{"AssumeRole"}})
	wantCode(t, do(t, listing(t, s)), "Success")
	wantCode(t, do(t, assumeRoleCall(emulator.DefaultSecretID, emulator.DefaultSecretKey, "").request(t, s)), "InternalError")
	setFaults(t, s, emulator.Faults{})
	wantCode(t, do(t, listing(t, s)), "Success")
}

func TestFaultAppearDisappear(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances()})
	total := func() int {
		a := do(t, listing(t, s))
		wantCode(t, a, "Success")
		return *a.Response.TotalCount
	}
	setFaults(t, s, emulator.Faults{Appear: 1})
	if n := total(); n != 3 {
		t.Fatalf("after one appearance: %d, want 3", n)
	}
	if n := total(); n != 4 {
		t.Fatalf("after two: %d, want 4", n)
	}
	// Requests by ID do not churn.
	byID := tc3Call{action: cvmAction, version: cvmVersion, region: testRegion, body: `{"InstanceIds":["ins-r8hr2upy"]}`}
	if a := do(t, byID.request(t, s)); *a.Response.TotalCount != 1 || total() != 5 {
		t.Fatalf("by ID: %+v", a.Response)
	}
	setFaults(t, s, emulator.Faults{Disappear: 1})
	for want := 4; want >= 0; want-- {
		if n := total(); n != want {
			t.Fatalf("disappearing: %d, want %d", n, want)
		}
	}
	if n := total(); n != 0 {
		t.Fatalf("empty region: %d", n)
	}
}

func TestFaultsReproducible(t *testing.T) {
	run := func(seed int64) string {
		s := emutest.Listen(t, emulator.Config{Regions: seedInstances(), Seed: seed})
		setFaults(t, s, emulator.Faults{Errors: map[string]float64{"InternalError": 0.3, "RequestLimitExceeded": 0.2}, Appear: 0.5})
		var out []string
		for range 40 {
			a := do(t, listing(t, s))
			out = append(out, a.code()+"/"+strings.Join(a.ids(), ","))
		}
		return strings.Join(out, " ")
	}
	a, b, c := run(42), run(42), run(43)
	if a != b {
		t.Fatalf("same seed, different faults:\n%s\n%s", a, b)
	}
	if a == c {
		t.Fatalf("different seeds, same faults")
	}
	if !strings.Contains(a, "InternalError") || !strings.Contains(a, "Success") {
		t.Fatalf("expected a mix of outcomes: %s", a)
	}
}

func TestSetFaultsValidation(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{})
	for name, f := range map[string]emulator.Faults{
		"probability > 1":  {HTTP502: 1.5},
		"negative":         {Truncate: -0.1},
		"sum > 1":          {HTTP502: 0.6, Errors: map[string]float64{"InternalError": 0.6}},
		"bad code":         {Errors: map[string]float64{"Internal Error": 0.1}},
		"unknown action":   {Actions: []string{"RunInstances"}},
		"slow w/o delay":   {Slow: 0.5},
		"negative latency": {Latency: emulator.Duration(-time.Second)},
	} {
		if err := s.SetFaults(f); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// Latency and slow answers end when the client goes away, and Close neither
// hangs nor leaves goroutines behind.
func TestDelaysAbortAndNoLeaks(t *testing.T) {
	s, err := emulator.Start(emulator.Config{Regions: seedInstances(), Latency: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	req := listing(t, s).WithContext(ctx)
	if resp, err := freshClient().Do(req); err == nil {
		closeQuietly(resp.Body)
		t.Fatal("an hour of latency answered")
	}
	cancel()
	setFaults(t, s, emulator.Faults{Latency: emulator.Duration(time.Millisecond), Slow: 1, SlowDelay: emulator.Duration(time.Hour)})
	ctx, cancel = context.WithTimeout(t.Context(), 100*time.Millisecond)
	if resp, err := freshClient().Do(listing(t, s).WithContext(ctx)); err == nil {
		closeQuietly(resp.Body)
		t.Fatal("a slow answer came quickly")
	}
	cancel()
	// A request still waiting when Close is called is abandoned.
	done := make(chan error, 1)
	go func() {
		resp, err := freshClient().Do(listing(t, s))
		if err == nil {
			closeQuietly(resp.Body)
		}
		done <- err
	}()
	for s.Stats().Requests < 3 {
		runtime.Gosched()
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-done; err == nil {
		t.Error("the pending request got an answer")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	waitNoServerGoroutines(t)
}

// waitNoServerGoroutines fails if emulator or HTTP server goroutines remain.
func waitNoServerGoroutines(t *testing.T) {
	t.Helper()
	var leaked string
	for range 200 {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		leaked = ""
		for _, g := range strings.Split(string(buf[:n]), "\n\n") {
			if strings.Contains(g, "emulator.(*Server)") || strings.Contains(g, "net/http.(*conn).serve") || strings.Contains(g, "net/http.(*Server).Serve") {
				leaked = g
				break
			}
		}
		if leaked == "" {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("goroutine left after Close:\n%s", leaked)
}

// churnCounter counts the churn fault's log lines by region, and the
// churn_every intervals skipped.
type churnCounter struct {
	mu      sync.Mutex
	events  map[string]int
	skipped int64
}

func (c *churnCounter) Enabled(context.Context, slog.Level) bool { return true }
func (c *churnCounter) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		switch {
		case a.Key == "region" && strings.HasPrefix(r.Message, "fault: instance "):
			c.events[a.Value.String()]++
		case a.Key == "skipped" && r.Message == "fault: churn_every intervals skipped":
			c.skipped += a.Value.Int64()
		}
		return true
	})
	return nil
}
func (c *churnCounter) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *churnCounter) WithGroup(string) slog.Handler      { return c }

func TestFaultChurnEvery(t *testing.T) {
	run := func(seed int64) (final string) {
		clock := clock.NewSettable()
		counter := &churnCounter{events: map[string]int{}}
		regions := map[string][]emulator.Instance{testRegion: emulator.GenerateInstances(10, 1), "ap-tokyo": emulator.GenerateInstances(10, 2)}
		s := emutest.Listen(t, emulator.Config{Regions: regions, Now: clock.Now, Seed: seed, Logger: slog.New(counter)})
		setFaults(t, s, emulator.Faults{ChurnEvery: emulator.Duration(time.Second)})
		clock.Advance(900 * time.Millisecond)
		if a := do(t, listing(t, s)); *a.Response.TotalCount != 10 || len(counter.events) != 0 {
			t.Fatalf("before the first interval: %d instances, events %v", *a.Response.TotalCount, counter.events)
		}
		// 3.5 s after SetFaults, any request catches up on the three
		// intervals due, in every region.
		clock.Advance(2600 * time.Millisecond)
		do(t, tc3Call{action: cvmAction, version: cvmVersion, region: "ap-tokyo", body: `{"InstanceIds":["ins-r8hr2upy"]}`}.request(t, s))
		if counter.events[testRegion] != 3 || counter.events["ap-tokyo"] != 3 {
			t.Fatalf("after 3.5 s: events %v, want 3 per region", counter.events)
		}
		a := do(t, listing(t, s))
		original := map[string]bool{}
		for _, in := range regions[testRegion] {
			original[in.InstanceId] = true
		}
		for _, st := range a.Response.InstanceStatusSet {
			if !original[st.InstanceId] && st.InstanceState != "PENDING" {
				t.Errorf("launched %s is %s, want PENDING within 5 s", st.InstanceId, st.InstanceState)
			}
		}
		// Turned off: nothing more happens, and the launched instances run
		// 5 s after their interval.
		setFaults(t, s, emulator.Faults{})
		clock.Advance(5 * time.Second)
		a = do(t, listing(t, s))
		for _, st := range a.Response.InstanceStatusSet {
			if !original[st.InstanceId] && st.InstanceState != "RUNNING" {
				t.Errorf("launched %s is %s 5 s later, want RUNNING", st.InstanceId, st.InstanceState)
			}
		}
		if counter.events[testRegion] != 3 {
			t.Errorf("churn went on after the faults were cleared: %v", counter.events)
		}
		return strings.Join(a.ids(), ",")
	}
	a, b, c := run(5), run(5), run(6)
	if a != b {
		t.Fatalf("same seed and timing, different churn:\n%s\n%s", a, b)
	}
	if a == c {
		t.Fatalf("different seeds, same churn: %s", a)
	}
	if err := (&emulator.Server{}).SetFaults(emulator.Faults{ChurnEvery: emulator.Duration(time.Microsecond)}); err == nil || !strings.Contains(err.Error(), "churn_every") {
		t.Errorf("churn_every 1µs: %v", err)
	}
}

// TestFaultChurnEveryOnAnyRequest: churn_every ignores Faults.Actions, and
// any API request catches up, an unknown action included.
func TestFaultChurnEveryOnAnyRequest(t *testing.T) {
	clock := clock.NewSettable()
	counter := &churnCounter{events: map[string]int{}}
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances(), Now: clock.Now, Logger: slog.New(counter)})
	setFaults(t, s, emulator.Faults{ChurnEvery: emulator.Duration(time.Second), Actions: []string{"GetCallerIdentity"}})
	clock.Advance(2500 * time.Millisecond)
	wantCode(t, do(t, tc3Call{action: "NoSuchAction", version: cvmVersion, region: testRegion, body: `{}`}.request(t, s)), "InvalidAction")
	if counter.events[testRegion] != 2 {
		t.Errorf("after 2.5 s and an unknown action: events %v, want 2", counter.events)
	}
}

// TestFaultChurnEveryCatchUpIsBounded: a clock moved far ahead applies at
// most emulator.MaxChurnCatchUp events before the next request, and logs how many
// intervals it skipped; the churn then goes on from the new time.
func TestFaultChurnEveryCatchUpIsBounded(t *testing.T) {
	clock := clock.NewSettable()
	counter := &churnCounter{events: map[string]int{}}
	regions := map[string][]emulator.Instance{testRegion: emulator.GenerateInstances(10, 1), "ap-tokyo": emulator.GenerateInstances(10, 2)}
	s := emutest.Listen(t, emulator.Config{Regions: regions, Now: clock.Now, Logger: slog.New(counter)})
	setFaults(t, s, emulator.Faults{ChurnEvery: emulator.Duration(time.Millisecond)})
	clock.Advance(time.Hour) // 3,600,000 intervals, two regions
	do(t, listing(t, s))
	perRegion := emulator.MaxChurnCatchUp / 2
	if counter.events[testRegion] != perRegion || counter.events["ap-tokyo"] != perRegion {
		t.Errorf("after an hour: events %v, want %d per region", counter.events, perRegion)
	}
	if want := int64(3_600_000 - perRegion); counter.skipped != want {
		t.Errorf("skipped %d intervals, want %d", counter.skipped, want)
	}
	clock.Advance(3 * time.Millisecond)
	do(t, listing(t, s))
	if counter.events[testRegion] != perRegion+3 {
		t.Errorf("3 ms later: events %v, want %d in %s", counter.events, perRegion+3, testRegion)
	}
}
