package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// The go-plugin handshake Terraform uses for protocol 6 providers
// (terraform-plugin-go's tf6server): without the cookie a provider refuses
// to serve.
const (
	magicCookieKey   = "TF_PLUGIN_MAGIC_COOKIE"
	magicCookieValue = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
)

// startup is one measured start of the provider binary.
type startup struct {
	Handshake time.Duration // exec → handshake line on stdout (gRPC server listening)
	Schema    time.Duration // exec → complete GetProviderSchema answer
	Bytes     int           // size of that answer
}

// probeStartup starts the provider as Terraform would (minus AutoMTLS: no
// client certificate is offered, so the provider serves plain gRPC on a Unix
// socket) and times its first GetProviderSchema answer. The call is made
// with the standard library alone: HTTP/2 with prior knowledge and one
// empty gRPC message, so no gRPC client weighs on the measurement.
func probeStartup(ctx context.Context, bin string, env []string) (startup, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = slices.Concat(env, []string{magicCookieKey + "=" + magicCookieValue, "PLUGIN_PROTOCOL_VERSIONS=6"})
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return startup{}, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return startup{}, err
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()

	// CORE-VERSION|APP-VERSION|NETWORK|ADDRESS|PROTOCOL[|CERT]
	line, err := bufio.NewReader(stdout).ReadString('\n')
	var s startup
	s.Handshake = time.Since(start)
	if err != nil {
		return s, fmt.Errorf("no handshake from the provider: %v; stderr: %s", err, stderr.String())
	}
	parts := strings.Split(strings.TrimSpace(line), "|")
	if len(parts) < 5 || parts[1] != "6" || parts[4] != "grpc" {
		return s, fmt.Errorf("unexpected handshake %q", line)
	}
	network, addr := parts[2], parts[3]

	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
		Protocols: new(http.Protocols),
	}
	tr.Protocols.SetUnencryptedHTTP2(true)
	defer tr.CloseIdleConnections()
	// An empty GetProviderSchema.Request: uncompressed, zero bytes long.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://provider/tfplugin6.Provider/GetProviderSchema",
		bytes.NewReader([]byte{0, 0, 0, 0, 0}))
	if err != nil {
		return s, err
	}
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("TE", "trailers")
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return s, fmt.Errorf("GetProviderSchema: %w", err)
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	s.Schema = time.Since(start)
	if err != nil {
		return s, fmt.Errorf("GetProviderSchema: %w", err)
	}
	status := resp.Trailer.Get("Grpc-Status")
	if status == "" { // a trailers-only answer carries it in the headers
		status = resp.Header.Get("Grpc-Status")
	}
	if status != "0" {
		return s, fmt.Errorf("GetProviderSchema: gRPC status %q: %s", status, resp.Trailer.Get("Grpc-Message")+resp.Header.Get("Grpc-Message"))
	}
	if len(body) < 5 {
		return s, errors.New("GetProviderSchema: empty answer")
	}
	s.Bytes = len(body) - 5
	return s, nil
}
