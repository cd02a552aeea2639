package emulator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Start is New followed by Listen on 127.0.0.1 with a free port.
func Start(cfg Config) (*Server, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if err := s.Listen("127.0.0.1:0"); err != nil {
		return nil, err
	}
	return s, nil
}

// Listen serves the emulator on addr in the background. After it returns
// without error, URL is valid.
func (s *Server) Listen(addr string) error {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.closed {
		return errors.New("emulator: server is closed")
	}
	if s.httpSrv != nil {
		return errors.New("emulator: already listening on " + s.url)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("emulator: listen: %w", err)
	}
	host, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("emulator: listen: %w", err)
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	s.url = "http://" + net.JoinHostPort(host, port)
	s.httpSrv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		ConnState:         s.trackConn,
	}
	srv := s.httpSrv
	s.serveWG.Add(1)
	go func() {
		defer s.serveWG.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve failed", "error", err)
		}
	}()
	s.log.Info("listening", "url", s.url)
	return nil
}

// URL is the base URL, "http://127.0.0.1:PORT", once listening.
func (s *Server) URL() string {
	s.lifeMu.RLock()
	defer s.lifeMu.RUnlock()
	return s.url
}

// Close stops the listener, aborts pending delays and waits for in-flight
// handlers. It is safe to call more than once.
func (s *Server) Close() error {
	s.lifeMu.Lock()
	if s.closed {
		s.lifeMu.Unlock()
		return nil
	}
	s.closed = true
	close(s.closing)
	srv := s.httpSrv
	s.lifeMu.Unlock()

	var err error
	if srv != nil {
		s.closeUnusedConns()
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGracePeriod)
		err = srv.Shutdown(ctx)
		cancel()
		if err != nil {
			err = srv.Close()
		}
		s.serveWG.Wait()
	}
	s.inflight.Wait()
	return err
}

// trackConn follows connections until they send their first request.
func (s *Server) trackConn(c net.Conn, state http.ConnState) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	switch {
	case state == http.StateNew && s.dropNew:
		_ = c.Close()
	case state == http.StateNew:
		s.newConns[c] = struct{}{}
	default:
		delete(s.newConns, c)
	}
}

// closeUnusedConns closes the connections that never sent a request, and
// every one accepted from now on. A client that dialled and then gave up (a
// cancelled read) otherwise holds Close up for five seconds.
func (s *Server) closeUnusedConns() {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	s.dropNew = true
	for c := range s.newConns {
		_ = c.Close()
		delete(s.newConns, c)
	}
}
