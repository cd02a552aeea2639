package emulator_test

import (
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
)

// A client that opened a connection and never sent a request (a read
// cancelled while dialling leaves one behind) must not hold up Close:
// http.Server.Shutdown alone waits five seconds for such a connection.
func TestCloseDoesNotWaitForUnusedConnections(t *testing.T) {
	s, err := emulator.Start(emulator.Config{Regions: seedInstances()})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer closeQuietly(conn)
	// A connection still in the listener's backlog would not hold Close up
	// either, and would leave the case untested.
	waitAccepted(t, s, conn)
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("Close took %s with one unused connection open", took)
	}
	// Close dropped it rather than left it open.
	if err := conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the unused connection is still open after Close: read %v", err)
	}
	waitNoServerGoroutines(t)
}

// waitAccepted returns once the server has accepted conn: its ConnState
// hook (trackConn) holds the server's end as a connection that has not
// sent a request. It checks the hook's record until then, and fails the
// test if that takes more than 10 s.
func waitAccepted(t *testing.T, s *emulator.Server, conn net.Conn) {
	t.Helper()
	client := conn.LocalAddr().String()
	accepted := func() bool { return s.HasNewConnForTest(client) }
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for !accepted() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("the emulator has not accepted the connection from %s", client)
		}
	}
}
