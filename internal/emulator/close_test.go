package emulator

import (
	"net"
	"strings"
	"testing"
	"time"
)

// A client that opened a connection and never sent a request (a read
// cancelled while dialling leaves one behind) must not hold up Close:
// http.Server.Shutdown alone waits five seconds for such a connection.
func TestCloseDoesNotWaitForUnusedConnections(t *testing.T) {
	s, err := Start(Config{Regions: seedInstances()})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer closeQuietly(conn)
	time.Sleep(50 * time.Millisecond) // accepted by the server
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("Close took %s with one unused connection open", took)
	}
	waitNoServerGoroutines(t)
}
