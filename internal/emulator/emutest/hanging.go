package emutest

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// Hanging serves an endpoint on 127.0.0.1 that accepts connections and never
// answers, as a hung service or a black-holing proxy does, until the test
// ends. It returns its URL and a count of the connections it accepted.
func Hanging(t testing.TB) (url string, accepted *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("emutest: %v", err)
	}
	accepted = new(atomic.Int64)
	var (
		mu    sync.Mutex
		conns []net.Conn
		done  = make(chan struct{})
	)
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return "http://" + ln.Addr().String(), accepted
}
