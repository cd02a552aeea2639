// Package emutest serves the emulator for tests that need to see more than
// its Stats: every request as it arrives (to count, time, inspect or act on
// it), every answer's body when asked for, and the history of the inventory
// while fault injection makes instances appear and disappear.
//
// It also drives the emulator's STS credential sources end to end: an OIDC
// issuer that signs web identity tokens (NewOIDCIssuer), a SAML identity
// provider and response builder (NewSAMLIdP, SAMLResponse), TOTP codes for
// MFA devices (TOTPCode, MFASerial), and Call, which sends one signed (or
// unsigned) API request so that a test can see what a credential is
// (GetCallerIdentity) without the project's client.
//
// Listen serves the emulator with its own listener instead, without the
// tap, and Clock is a settable Config.Now.
//
// For the fault suites (internal/cvm's through the client, internal/e2e's
// through terraform) it holds what both judge by: the listing guarantee
// (ListingBreaksGuarantee) and the survival rule, how many reads a client
// that works may lose to random faults (AllowedFailures). LockedBuffer is
// a buffer one goroutine writes while the test reads it.
//
// It is test support only: nothing outside _test.go files imports it.
package emutest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/clock"
)

// Clock is a settable clock for Config.Now: clock.Settable, named here for
// the tests that already import emutest.
type Clock = clock.Settable

// NewClock is a Clock at the real time now.
func NewClock() *Clock { return clock.NewSettable() }

// Options change how Start serves the emulator.
type Options struct {
	// TLS serves https with httptest's self-signed certificate for
	// 127.0.0.1; CAFile is then a PEM file holding it.
	TLS bool
	// OnRequest is called with every API request (paths / and
	// /v2/index.php) before the emulator sees it; n counts from 1.
	OnRequest func(n int64, r *http.Request)
	// OnAnswer is called with every answer of the API and of the metadata
	// endpoint that the emulator wrote in full.
	OnAnswer func(r *http.Request, body []byte)
}

// Emulator is an emulator served behind a tap.
type Emulator struct {
	*emulator.Server
	URL       string
	CAFile    string // with Options.TLS
	Inventory *Inventory

	requests atomic.Int64
	metadata atomic.Int64
	last     atomic.Int64 // unix nanoseconds of the last API request
	opts     Options
}

// StartTapped is Start with a tap that also hands onRequest the emulator,
// so that it can change what the emulator serves (instances, faults) at
// the nth request, before that request is answered.
func StartTapped(t testing.TB, cfg emulator.Config, onRequest func(e *Emulator, n int64, r *http.Request)) *Emulator {
	t.Helper()
	var e *Emulator
	e = Start(t, cfg, Options{OnRequest: func(n int64, r *http.Request) {
		if onRequest != nil {
			onRequest(e, n, r)
		}
	}})
	return e
}

// Start serves cfg on 127.0.0.1 until the test ends. cfg.Logger, if set,
// still receives every log line.
func Start(t testing.TB, cfg emulator.Config, opts Options) *Emulator {
	t.Helper()
	inv := newInventory(cfg.Regions, cfg.Logger)
	cfg.Logger = slog.New(inv)
	s, err := emulator.New(cfg)
	if err != nil {
		t.Fatalf("emutest: %v", err)
	}
	e := &Emulator{Server: s, Inventory: inv, opts: opts}
	srv := httptest.NewUnstartedServer(e)
	if opts.TLS {
		srv.StartTLS()
		e.CAFile = filepath.Join(t.TempDir(), "ca.pem")
		pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
		if err := os.WriteFile(e.CAFile, pemBytes, 0o600); err != nil {
			t.Fatal(err)
		}
	} else {
		srv.Start()
	}
	e.URL = srv.URL
	// Cleanups run last-in first-out: the emulator first, so that answers
	// still waiting out a latency give up, then the listener.
	t.Cleanup(srv.Close)
	t.Cleanup(func() { _ = s.Close() })
	return e
}

// Listen serves cfg with the emulator's own listener (emulator.Start) on
// 127.0.0.1 until the test ends, as the cvm-emulator command serves it,
// without Start's tap; the test fails if Close does. It is for tests of the
// emulator's own serving, such as the official SDK's cross-check; the
// server's URL method gives its address.
func Listen(t testing.TB, cfg emulator.Config) *emulator.Server {
	t.Helper()
	s, err := emulator.Start(cfg)
	if err != nil {
		t.Fatalf("emutest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("emutest: Close: %v", err)
		}
	})
	return s
}

// Requests is the number of API requests received so far, faults included.
func (e *Emulator) Requests() int64 { return e.requests.Load() }

// MetadataFetches is the number of credentials asked of the metadata
// endpoint (requests for a role's credential, not for the role name).
func (e *Emulator) MetadataFetches() int64 { return e.metadata.Load() }

// LastRequest is when the last API request arrived (zero before the first).
func (e *Emulator) LastRequest() time.Time {
	n := e.last.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p := r.URL.Path; p == "/" || p == "" || p == "/v2/index.php" {
		n := e.requests.Add(1)
		e.last.Store(time.Now().UnixNano())
		if e.opts.OnRequest != nil {
			e.opts.OnRequest(n, r)
		}
	} else if rest, ok := strings.CutPrefix(r.URL.Path, "/latest/meta-data/cam/security-credentials/"); ok && rest != "" {
		e.metadata.Add(1)
	}
	if e.opts.OnAnswer == nil {
		e.Server.ServeHTTP(w, r)
		return
	}
	tee := &teeWriter{ResponseWriter: w}
	e.Server.ServeHTTP(tee, r)
	if !tee.hijacked {
		e.opts.OnAnswer(r, tee.body.Bytes())
	}
}

// teeWriter keeps a copy of the body; it passes hijacking through, so that
// the emulator's connection faults behave as without it.
type teeWriter struct {
	http.ResponseWriter
	body     bytes.Buffer
	hijacked bool
}

func (w *teeWriter) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *teeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("emutest: the connection cannot be hijacked")
	}
	w.hijacked = true
	return hj.Hijack()
}

func (w *teeWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Snapshot is a region's inventory at one moment: instance ID → state.
type Snapshot map[string]string

// Inventory follows each region's instances through the emulator's churn
// faults ("fault: instance appeared / disappeared" log lines, which the
// emulator writes in the order it applies them, under its inventory lock).
type Inventory struct {
	next slog.Handler

	mu      sync.Mutex
	current map[string]Snapshot
	history map[string][]Snapshot // every state since the last Mark
	churn   map[string][2]int     // appeared, disappeared since the last Mark
}

func newInventory(regions map[string][]emulator.Instance, next *slog.Logger) *Inventory {
	inv := &Inventory{current: map[string]Snapshot{}, history: map[string][]Snapshot{}, churn: map[string][2]int{}}
	if next != nil {
		inv.next = next.Handler()
	}
	for region, list := range regions {
		snap := Snapshot{}
		for _, in := range list {
			snap[in.InstanceId] = in.InstanceState
		}
		inv.current[region] = snap
	}
	return inv
}

// Current is a copy of the region's inventory now.
func (inv *Inventory) Current(region string) Snapshot {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return maps.Clone(inv.current[region])
}

// Mark starts a new history for region: the states it goes through from
// now on, starting with the current one.
func (inv *Inventory) Mark(region string) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.history[region] = []Snapshot{maps.Clone(inv.current[region])}
	inv.churn[region] = [2]int{}
}

// Since returns every state region was in since Mark, oldest first, and
// how many instances appeared and disappeared meanwhile.
func (inv *Inventory) Since(region string) (states []Snapshot, appeared, disappeared int) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	c := inv.churn[region]
	return slices.Clone(inv.history[region]), c[0], c[1]
}

func (inv *Inventory) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || (inv.next != nil && inv.next.Enabled(ctx, l))
}

func (inv *Inventory) Handle(ctx context.Context, r slog.Record) error {
	var region, id string
	if r.Message == "fault: instance appeared" || r.Message == "fault: instance disappeared" {
		r.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "region":
				region = a.Value.String()
			case "instance_id":
				id = a.Value.String()
			}
			return true
		})
		inv.mu.Lock()
		snap := inv.current[region]
		if snap == nil {
			snap = Snapshot{}
			inv.current[region] = snap
		}
		c := inv.churn[region]
		if r.Message == "fault: instance appeared" {
			snap[id] = "PENDING"
			c[0]++
		} else {
			delete(snap, id)
			c[1]++
		}
		inv.churn[region] = c
		if h, ok := inv.history[region]; ok {
			inv.history[region] = append(h, maps.Clone(snap))
		}
		inv.mu.Unlock()
	}
	if inv.next != nil && inv.next.Enabled(ctx, r.Level) {
		return inv.next.Handle(ctx, r)
	}
	return nil
}

func (inv *Inventory) WithAttrs([]slog.Attr) slog.Handler { return inv }
func (inv *Inventory) WithGroup(string) slog.Handler      { return inv }

// EnvFaultsReport names the file `make faults` collects the fault suites'
// tables in; unset, the tables go to the test log only.
const EnvFaultsReport = "CVM_FAULTS_REPORT"

// Report logs a fault suite's table and appends it to the file
// EnvFaultsReport names, if any.
func Report(t testing.TB, table string) {
	t.Helper()
	t.Log("\n" + table)
	path := os.Getenv(EnvFaultsReport)
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString(table + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}
