package emulator

// The request path: ServeHTTP routes each request; serveAPI takes an API
// request through the service's steps, and process runs the checks in the
// service's order before the action.

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// ServeHTTP routes API requests (/ and the legacy /v2/index.php), the admin
// API (/_emulator/…) and the metadata credential endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.lifeMu.RLock()
	if s.closed {
		s.lifeMu.RUnlock()
		writeJSONError(w, http.StatusServiceUnavailable, "the emulator is shutting down")
		return
	}
	s.inflight.Add(1)
	s.lifeMu.RUnlock()
	defer s.inflight.Done()

	switch p := r.URL.Path; {
	case p == "/" || p == "" || p == legacyGatewayPath:
		s.serveAPI(w, r)
	case strings.HasPrefix(p, adminPrefix):
		s.serveAdmin(w, r)
	case p == metadataPrefix || strings.HasPrefix(p, metadataPrefix+"/"):
		s.serveMetadata(w, r)
	default:
		writeJSONError(w, http.StatusNotFound, "no such path %q: the API is served at / (and the legacy gateway at %s), the admin API under %s, credentials under %s/", p, legacyGatewayPath, adminPrefix, metadataPrefix)
	}
}

// serveAPI answers one API request, in the service's steps: take it in
// (parse it, draw its faults), answer it (a fault, an error or the action's
// result), count and log it, wait out the latency, write the answer.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	s.stats.request()
	now := s.now()
	requestID := newRequestID()

	s.applyTimedChurn(now)
	x := s.receive(r, requestID)
	s.answer(x, now)
	s.stats.record(x.statsAction(), x.code, x.who)
	delay := s.delay(x.fx)
	s.logExchange(r, x, delay, started)
	if !s.sleep(r.Context(), delay) {
		// Drop the connection rather than let net/http send an empty 200.
		dropConnection(w)
		return
	}
	x.write(w)
}

// apiExchange is one API request on its way through serveAPI, and the
// answer it gets.
type apiExchange struct {
	requestID string
	req       *apiRequest
	parseErr  *apiError // the request could not be read as an API request
	action    string
	def       actionDef
	known     bool      // the action is one the emulator serves
	fx        faultDraw // the faults drawn for it (none for an unknown action)

	body []byte     // the answer, unless a fault replaces it
	code string     // what the answer was, for the stats and the log
	who  *requester // who sent it, as far as known; nil when a fault answers instead
}

// receive parses r and draws the faults of its action.
func (s *Server) receive(r *http.Request, requestID string) *apiExchange {
	x := &apiExchange{requestID: requestID}
	x.req, x.parseErr = parseRequest(r)
	x.action = x.req.common["Action"]
	x.def, x.known = actions[x.action]
	if x.known {
		x.fx = s.drawFaults(x.action)
	}
	return x
}

// answer decides x's answer: a connection or gateway fault, which no check
// reaches, or what process makes of the request.
func (s *Server) answer(x *apiExchange, now time.Time) {
	switch x.fx.outcome {
	case outcomeReset:
		x.code = "ConnectionReset"
	case outcome502:
		x.code = "HTTP502"
	case outcome504:
		x.code = "HTTP504"
	default:
		x.who = &requester{}
		result, aerr := s.process(x.req, x.parseErr, x.def, x.known, &x.fx, now, x.who)
		if aerr != nil {
			x.code = aerr.Code
			x.body = envelope(errorBody{Error: aerr, RequestId: x.requestID})
		} else {
			x.code = "Success"
			result.setRequestID(x.requestID)
			x.body = envelope(result)
		}
	}
}

// statsAction is the action the stats count x under.
func (x *apiExchange) statsAction() string {
	if !x.known {
		return "(unknown)"
	}
	return x.action
}

// delay is how long the answer waits: the configured latency, or the
// latency fault's, plus any slowness drawn.
func (s *Server) delay(fx faultDraw) time.Duration {
	latency := s.cfg.Latency
	if fx.hasLat {
		latency = fx.latency
	}
	return latency + fx.extra
}

// logExchange writes the "api request" log line.
func (s *Server) logExchange(r *http.Request, x *apiExchange, delay time.Duration, started time.Time) {
	attrs := []slog.Attr{
		slog.String("request_id", x.requestID),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("action", x.action),
		slog.String("region", x.req.common["Region"]),
		slog.String("signature", signatureName(x.req)),
	}
	if x.who != nil {
		attrs = append(attrs, x.who.logAttrs(x.def.unsigned)...)
	}
	attrs = append(attrs,
		slog.String("code", x.code),
		slog.Duration("delay", delay),
		slog.Duration("server_time", time.Since(started)),
	)
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "api request", attrs...)
}

// write sends x's answer, or the fault that replaces it.
func (x *apiExchange) write(w http.ResponseWriter) {
	switch {
	case x.fx.outcome == outcomeReset:
		resetConnection(w)
	case x.fx.outcome == outcome502:
		writeGatewayError(w, http.StatusBadGateway)
	case x.fx.outcome == outcome504:
		writeGatewayError(w, http.StatusGatewayTimeout)
	case x.fx.truncate:
		writeTruncated(w, x.body)
	default:
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", fmt.Sprint(len(x.body)))
		h.Set("X-TC-RequestId", x.requestID)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(x.body)
	}
}

// process runs the checks in the service's order, then the action; it
// fills in who as far as it learns who sent the request.
func (s *Server) process(req *apiRequest, perr *apiError, def actionDef, known bool, fx *faultDraw, now time.Time, who *requester) (answer, *apiError) {
	if perr != nil {
		return nil, perr
	}
	action := req.common["Action"]
	switch {
	case action == "":
		return nil, newError("MissingParameter", "The request is missing the required parameter `Action`.")
	case !known:
		return nil, newError("InvalidAction", "The action `%s` is not found; this emulator serves %s.", action, strings.Join(actionNames(), ", "))
	}
	switch v := req.common["Version"]; {
	case v == "":
		return nil, newError("MissingParameter", "The request is missing the required parameter `Version`.")
	case v != def.version:
		return nil, newError("NoSuchVersion", "The API version `%s` of action %s does not exist; use %s.", v, action, def.version)
	}
	region := req.common["Region"]
	if region == "" && def.needsRegion {
		which := "the region of the instances, such as ap-guangzhou"
		if def.service == "sts" {
			which = "STS is global, so any region, such as ap-guangzhou, will do"
		}
		return nil, newError("MissingParameter", "The request is missing a required parameter `Region`. Send X-TC-Region (or Region) with %s: %s.", action, which)
	}
	if region != "" && !s.regionSupported(region) {
		return nil, newError("UnsupportedRegion", "The region `%s` is not supported by %s.", region, action)
	}
	// One state for the whole request, so that a Reload meanwhile cannot
	// accept a key of the new credentials and charge it to the old accounts.
	auth := s.auth.Load()
	var (
		sec  secret // unsigned actions have none, and share one bucket per action
		aerr *apiError
	)
	if def.unsigned {
		aerr = checkUnsigned(req, now)
	} else {
		who.secretID, sec, aerr = s.authenticate(auth, req, def.service, now)
		if sec.key != "" { // the signature verified, whatever the token
			who.signer = &sec.origin
		}
	}
	if aerr != nil {
		return nil, aerr
	}
	if s.limiter != nil {
		if ok, seen := s.limiter.allow(sec.who.AccountId, action, now); !ok {
			return nil, newError("RequestLimitExceeded", "%s", s.limiter.message(action, seen))
		}
	}
	if fx.outcome == outcomeError {
		return nil, s.injectedError(fx.code, action)
	}
	params, aerr := bindParams(req, def.params)
	if aerr != nil {
		return nil, aerr
	}
	c := &call{action: action, params: params, region: region, secretID: who.secretID, now: now, faults: fx, auth: auth,
		caller: sec.who, temporary: sec.temporary, who: who}
	return def.handle(s, c)
}

func signatureName(req *apiRequest) string {
	if req.authorization == "SKIP" {
		return "SKIP" // unsigned, as AssumeRoleWithWebIdentity is sent
	}
	switch req.kind {
	case signatureTC3:
		return tc3Algorithm
	case signatureV1:
		if req.common["SignatureMethod"] == methodSHA256 {
			return methodSHA256
		}
		return methodSHA1
	}
	return ""
}

// sleep waits d unless the client goes away or the server closes; it reports
// whether the answer should still be written.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.closing:
		return false
	}
}
