package emulator

import (
	"bufio"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

type faultOutcome int

const (
	outcomeNormal faultOutcome = iota
	outcomeReset
	outcome502
	outcome504
	outcomeError
)

// faultDraw is what fault injection decided for one request.
type faultDraw struct {
	outcome   faultOutcome
	code      string // outcomeError
	truncate  bool
	latency   time.Duration // replaces Config.Latency when hasLatency
	hasLat    bool
	extra     time.Duration // jitter + slow
	appear    bool
	disappear bool
}

// drawFaults decides the faults for one request of action. The draws come
// from the seeded source in a fixed order, so a given sequence of requests
// meets the same faults on every run with the same Config.Seed.
func (s *Server) drawFaults(action string) faultDraw {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	f := s.faults
	var d faultDraw
	if len(f.Actions) > 0 && !slices.Contains(f.Actions, action) {
		return d
	}
	if f.Latency > 0 {
		d.latency, d.hasLat = time.Duration(f.Latency), true
	}
	// One number picks among the outcomes that replace the answer.
	u := s.rng.Float64()
	acc := 0.0
	pick := func(p float64) bool {
		if p <= 0 {
			return false
		}
		acc += p
		return u < acc
	}
	switch {
	case pick(f.Reset):
		d.outcome = outcomeReset
	case pick(f.HTTP502):
		d.outcome = outcome502
	case pick(f.HTTP504):
		d.outcome = outcome504
	default:
		for _, code := range s.faultCodes {
			if pick(f.Errors[code]) {
				d.outcome, d.code = outcomeError, code
				break
			}
		}
	}
	if f.Truncate > 0 {
		d.truncate = s.rng.Float64() < f.Truncate
	}
	if f.Slow > 0 && s.rng.Float64() < f.Slow {
		d.extra += time.Duration(f.SlowDelay)
	}
	if f.Jitter > 0 {
		d.extra += time.Duration(s.rng.Int64N(int64(f.Jitter) + 1))
	}
	if f.Appear > 0 {
		d.appear = s.rng.Float64() < f.Appear
	}
	if f.Disappear > 0 {
		d.disappear = s.rng.Float64() < f.Disappear
	}
	return d
}

// SetFaults replaces the injected faults; the zero Faults turns them off.
func (s *Server) SetFaults(f Faults) error {
	if err := validateFaults(f); err != nil {
		return err
	}
	f.Errors = maps.Clone(f.Errors)
	f.Actions = slices.Clone(f.Actions)
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.faults = f
	s.churnEvery.Store(int64(f.ChurnEvery))
	s.faultCodes = slices.Sorted(maps.Keys(f.Errors))
	s.churn = churnSchedule{
		start: s.now(),
		rng:   rand.New(rand.NewPCG(uint64(s.cfg.Seed), 0x6368_7572_6e21)),
	}
	s.log.Info("faults set", "faults", faultSummary(f))
	return nil
}

func (s *Server) currentFaults() Faults {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	f := s.faults
	f.Errors = maps.Clone(f.Errors)
	f.Actions = slices.Clone(f.Actions)
	return f
}

func faultSummary(f Faults) string {
	var parts []string
	add := func(name string, p float64) {
		if p > 0 {
			parts = append(parts, name+"="+strconv.FormatFloat(p, 'f', -1, 64))
		}
	}
	if f.Latency > 0 {
		parts = append(parts, "latency="+f.Latency.String())
	}
	if f.Jitter > 0 {
		parts = append(parts, "jitter="+f.Jitter.String())
	}
	for _, c := range slices.Sorted(maps.Keys(f.Errors)) {
		add("errors."+c, f.Errors[c])
	}
	add("http_502", f.HTTP502)
	add("http_504", f.HTTP504)
	add("reset", f.Reset)
	add("truncate", f.Truncate)
	add("slow", f.Slow)
	add("appear", f.Appear)
	add("disappear", f.Disappear)
	if f.ChurnEvery > 0 {
		parts = append(parts, "churn_every="+f.ChurnEvery.String())
	}
	if len(f.Actions) > 0 {
		parts = append(parts, "actions="+strings.Join(f.Actions, ","))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}

// injectedError is the answer for an injected API error code.
func (s *Server) injectedError(code, action string) *apiError {
	switch {
	case strings.HasPrefix(code, "RequestLimitExceeded"):
		rate := 40.0
		if r := actions[action].rateLimit; r > 0 {
			rate = r
		}
		if s.limiter != nil {
			rate, _ = s.limiter.rateOf(action)
		}
		return newError(code, "Your current request times equals to `%s` in a second, which exceeds the frequency limit `%s` for a second. Please reduce the frequency of calls.",
			strconv.FormatFloat(rate+1, 'f', -1, 64), strconv.FormatFloat(rate, 'f', -1, 64))
	case code == "InternalError" || code == "InternalServerError":
		return newError(code, "An internal error has occurred. Retry your request, but if the problem persists, contact us.")
	case code == "ServiceUnavailable":
		return newError(code, "The service is temporarily unavailable. Please try again later.")
	}
	return newError(code, "Injected fault %s.", code)
}

// applyChurn creates or removes an instance in region before a listing, when
// fault injection drew it.
func (s *Server) applyChurn(region string, d *faultDraw) {
	if d == nil || (!d.appear && !d.disappear) {
		return
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.regions[region]
	if rs == nil {
		rs = newRegionStore(nil, now)
		s.regions[region] = rs
	}
	s.faultMu.Lock() // for s.rng
	defer s.faultMu.Unlock()
	if d.appear {
		s.launch(region, rs, s.rng, now)
	}
	if d.disappear {
		s.terminateRandom(region, rs, s.rng)
	}
}

// churnSchedule is the progress of the churn_every fault: the intervals
// applied since the faults were set.
type churnSchedule struct {
	start time.Time  // when the faults were set
	done  int64      // intervals applied so far
	rng   *rand.Rand // its own source, so that other faults' draws do not shift it
}

// maxChurnCatchUp bounds the churn_every events (intervals × regions, each
// a log line) applied before one request, under the inventory lock: a clock
// moved hours ahead costs milliseconds, not a pause of every request while
// hundreds of thousands of events are applied and logged. At least one
// interval is applied, however many regions there are.
const maxChurnCatchUp = 1000

// applyTimedChurn applies every churn_every interval due by now: for each,
// in every region (by name), one instance is launched (PENDING, RUNNING 5 s
// later, counted from the interval's end) or a random one terminated, 50/50.
// It runs before every API request, so without churn_every it takes no lock.
func (s *Server) applyTimedChurn(now time.Time) {
	every := time.Duration(s.churnEvery.Load())
	if every <= 0 {
		return
	}
	s.faultMu.Lock()
	due := int64(now.Sub(s.churn.start)/every) - s.churn.done
	s.faultMu.Unlock()
	if due <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	if time.Duration(s.faults.ChurnEvery) != every { // the faults changed meanwhile
		return
	}
	due = int64(now.Sub(s.churn.start)/every) - s.churn.done
	names := slices.Sorted(maps.Keys(s.regions))
	apply := min(due, max(1, maxChurnCatchUp/int64(max(len(names), 1))))
	for range apply {
		s.churn.done++
		at := s.churn.start.Add(time.Duration(s.churn.done) * every)
		for _, region := range names {
			rs := s.regions[region]
			if s.churn.rng.IntN(2) == 0 {
				s.launch(region, rs, s.churn.rng, at, "fault", "churn_every")
			} else {
				s.terminateRandom(region, rs, s.churn.rng, "fault", "churn_every")
			}
		}
	}
	// Intervals beyond the catch-up bound are skipped, not owed.
	if skipped := due - apply; skipped > 0 {
		s.log.Info("fault: churn_every intervals skipped", "skipped", skipped, "applied", apply, "every", every.String())
	}
	s.churn.done = int64(now.Sub(s.churn.start) / every)
}

// launch adds to rs a new instance, with an ID drawn from rng that no region
// uses: PENDING at at, RUNNING 5 s later, as a freshly created one would be.
// logAttrs are added to its log line. It needs s.mu held, and whatever lock
// guards rng.
func (s *Server) launch(region string, rs *regionStore, rng *rand.Rand, at time.Time, logAttrs ...any) {
	id := s.unusedID(rng)
	rs.insert(newRecord(Instance{
		InstanceId: id, InstanceState: "PENDING",
		Transitions: []Transition{{After: Duration(5 * time.Second), InstanceState: "RUNNING"}},
	}, at))
	s.log.Info("fault: instance appeared", append([]any{"region", region, "instance_id", id}, logAttrs...)...)
}

// terminateRandom removes an instance of rs drawn from rng, if it has any.
// logAttrs are added to its log line. It needs s.mu held, and whatever lock
// guards rng.
func (s *Server) terminateRandom(region string, rs *regionStore, rng *rand.Rand, logAttrs ...any) {
	if len(rs.sorted) == 0 {
		return
	}
	i := rng.IntN(len(rs.sorted))
	id := rs.sorted[i].id
	rs.removeAt(i)
	s.log.Info("fault: instance disappeared", append([]any{"region", region, "instance_id", id}, logAttrs...)...)
}

// unusedID draws from rng a new instance ID no region uses. It needs s.mu
// held.
func (s *Server) unusedID(rng *rand.Rand) string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	for {
		b := []byte("ins-00000000")
		for i := 4; i < len(b); i++ {
			b[i] = chars[rng.IntN(len(chars))]
		}
		id := string(b)
		used := false
		for _, rs := range s.regions {
			if _, ok := rs.byID[id]; ok {
				used = true
				break
			}
		}
		if !used {
			return id
		}
	}
}

// resetConnection drops the connection without an answer: a TCP RST where
// the connection allows it.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// dropConnection closes the connection without an answer, when the
// ResponseWriter allows it.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
		}
	}
}

// writeTruncated announces the full body's length, sends half of it and
// closes the connection.
func writeTruncated(w http.ResponseWriter, body []byte) {
	half := body[:len(body)/2]
	hj, ok := w.(http.Hijacker)
	if !ok {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(half)
		return
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	defer func() { _ = conn.Close() }()
	writeRawResponse(buf, body, half)
}

func writeRawResponse(buf *bufio.ReadWriter, full, half []byte) {
	_, _ = fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\nDate: %s\r\n\r\n",
		len(full), time.Now().UTC().Format(http.TimeFormat))
	_, _ = buf.Write(half)
	_ = buf.Flush()
}

func writeGatewayError(w http.ResponseWriter, status int) {
	body := html502
	if status == http.StatusGatewayTimeout {
		body = html504
	}
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
