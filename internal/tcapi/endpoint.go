package tcapi

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// DefaultDomain is the root domain of the public Tencent Cloud API.
const DefaultDomain = "tencentcloudapi.com"

// ServiceURL is the endpoint of a service (e.g. "cvm", "sts") under a root
// domain, as the official provider builds it from `domain` and `protocol`.
func ServiceURL(service, domain, protocol string) string {
	if domain == "" {
		domain = DefaultDomain
	}
	scheme := "https"
	if strings.EqualFold(protocol, "http") {
		scheme = "http"
	}
	return scheme + "://" + service + "." + domain
}

// ErrEndpointUserinfo is wrapped by ParseEndpoint's error for a URL that
// carries user information, which credentials must never travel in.
var ErrEndpointUserinfo = errors.New("the endpoint contains user information")

// ParseEndpoint checks an endpoint URL and returns it parsed.
//
// Plain http is accepted only for loopback hosts: the security token travels
// in a header and the request body names the account's instances, so neither
// may cross a network unencrypted.
func ParseEndpoint(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Scheme == "" {
		return nil, fmt.Errorf("%q is not a URL: expected a scheme and a host, such as https://cvm.tencentcloudapi.com or http://127.0.0.1:9100", redactRawUserinfo(raw))
	}
	// Before anything that quotes the endpoint back.
	if u.User != nil {
		return nil, fmt.Errorf("%q: %w; credentials never belong in an endpoint URL", redactUserinfo(u), ErrEndpointUserinfo)
	}
	if err := SecureScheme(u, raw); err != nil {
		return nil, err
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q has a query or fragment; give only the scheme, host, optional port and path", raw)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u, nil
}

// IsLoopback reports whether host (a name or an IP address, without port)
// refers to this machine: localhost, 127.0.0.0/8 or ::1. It is the one
// definition of "local" for plain http here and for whatever else must tell
// a local emulator from a remote service.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func redactUserinfo(u *url.URL) string {
	c := *u
	c.User = url.User("REDACTED")
	return c.String()
}

// redactRawUserinfo hides what may be user information in an endpoint that
// does not even parse: everything between the scheme and the last "@".
func redactRawUserinfo(raw string) string {
	at := strings.LastIndex(raw, "@")
	if at < 0 {
		return raw
	}
	start := 0
	if i := strings.Index(raw, "://"); i >= 0 && i < at {
		start = i + len("://")
	}
	return raw[:start] + "REDACTED" + raw[at:]
}

// SecureScheme accepts https, and plain http only to a loopback host; raw is
// the URL as an error may show it.
func SecureScheme(u *url.URL, raw string) error {
	switch u.Scheme {
	case "https":
	case "http":
		if !IsLoopback(u.Hostname()) {
			return fmt.Errorf("%q uses plain http to %s, which is not a loopback address: credentials and the security token would cross the network unencrypted. Use https, or http only for a local emulator on 127.0.0.1, [::1] or localhost", raw, u.Hostname())
		}
	default:
		return fmt.Errorf("%q uses the unsupported scheme %q: use https (or http for a local emulator on a loopback address)", raw, u.Scheme)
	}
	return nil
}
