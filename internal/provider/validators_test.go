package provider

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/path"
)

// A duration is written with its unit; a bare number gets the two ways it
// was most likely meant, and a value out of range the range.
func TestDurationRange(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]time.Duration{"30s": 30 * time.Second, "10m": 10 * time.Minute, " 1h30m ": 90 * time.Minute} {
		if got, msg := readTimeoutRange.parse(s); msg != "" || got != want {
			t.Errorf("parse(%q) = %s, %q; want %s", s, got, msg, want)
		}
	}
	for s, want := range map[string]string{
		"5":     `"5" has no unit: write "5s" for 5 seconds or "5m" for 5 minutes`,
		"soon":  `"soon" is not a duration between "1s" and "24h"`,
		"0s":    `"0s" is not a duration between "1s" and "24h"`,
		"25h":   `"25h" is not a duration between`,
		"-5m":   `"-5m" is not a duration between`,
		"":      `"" is not a duration`,
		"1.5.5": `is not a duration`,
	} {
		if _, msg := readTimeoutRange.parse(s); !strings.Contains(msg, want) {
			t.Errorf("parse(%q): %q, want it to contain %q", s, msg, want)
		}
	}
}

// Error titles name the attribute; an attribute of a timeouts block is
// named as the timeout it is.
func TestAttributeTitle(t *testing.T) {
	t.Parallel()
	cases := map[string]path.Path{
		"Role Arn":           path.Root("assume_role").AtName("role_arn"),
		"Read Timeout":       path.Root("timeouts").AtName("read"),
		"Instance Ids":       path.Root("instance_ids").AtListIndex(3),
		"Request Timeout":    path.Root("request_timeout"),
		"Web Identity Token": path.Root("assume_role_with_web_identity").AtName("web_identity_token"),
	}
	for want, p := range cases {
		if got := attributeTitle(p); got != want {
			t.Errorf("attributeTitle(%s) = %q, want %q", p, got, want)
		}
	}
}
