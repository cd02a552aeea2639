package emutest

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// CountingServer serves every request with h, on 127.0.0.1 until the test
// ends, and counts the requests: a stand-in for an endpoint that answers
// what the emulator never would (an HTML error page, a half-written body).
func CountingServer(t testing.TB, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}
