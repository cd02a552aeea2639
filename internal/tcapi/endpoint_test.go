package tcapi

import (
	"strings"
	"testing"
)

func TestParseEndpoint(t *testing.T) {
	ok := []string{
		"https://cvm.tencentcloudapi.com",
		"https://cvm.intl.tencentcloudapi.com/",
		"http://127.0.0.1:9100",
		"http://localhost:9100",
		"http://[::1]:9100",
		"http://127.0.0.53",
	}
	for _, raw := range ok {
		if _, err := ParseEndpoint(raw); err != nil {
			t.Errorf("ParseEndpoint(%q) = %v, want it accepted", raw, err)
		}
	}
	bad := map[string]string{
		"cvm.tencentcloudapi.com":              "not a URL",
		"":                                     "not a URL",
		"http://cvm.tencentcloudapi.com":       "not a loopback",
		"http://10.0.0.8:9100":                 "not a loopback",
		"http://localhost.example.com":         "not a loopback",
		"ftp://127.0.0.1":                      "unsupported scheme",
		"https://AKID:secret@cvm.example.com/": "user information",
		"http://AKID:secret@10.0.0.8:9100":     "user information",
		"https://AKID:se cret@cvm.example.com": "not a URL",
		"https://cvm.tencentcloudapi.com/?a=1": "query",
	}
	for raw, want := range bad {
		_, err := ParseEndpoint(raw)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseEndpoint(%q) = %v, want an error saying %q", raw, err, want)
		}
		if err != nil && (strings.Contains(err.Error(), "secret@") || strings.Contains(err.Error(), "cret@")) {
			t.Errorf("ParseEndpoint(%q) repeats the credentials in its error: %v", raw, err)
		}
	}
}

func TestServiceURL(t *testing.T) {
	cases := []struct{ domain, protocol, want string }{
		{"", "", "https://cvm.tencentcloudapi.com"},
		{"internal.tencentcloudapi.com", "HTTPS", "https://cvm.internal.tencentcloudapi.com"},
		{"", "http", "http://cvm.tencentcloudapi.com"},
	}
	for _, tc := range cases {
		if got := ServiceURL("cvm", tc.domain, tc.protocol); got != tc.want {
			t.Errorf("ServiceURL(cvm, %q, %q) = %q, want %q", tc.domain, tc.protocol, got, tc.want)
		}
	}
}
