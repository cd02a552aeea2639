package main

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

func TestHelpAndVersion(t *testing.T) {
	var stdout, stderr emutest.LockedBuffer
	if code := run([]string{"--help"}, &stdout, &stderr, nil); code != 0 {
		t.Fatalf("--help: exit %d", code)
	}
	help := stdout.String()
	// The manual covers every flag, the data file (identity included), the
	// admin API, the default credential and the fault body.
	for _, want := range []string{
		"-listen", "-data", "-instances", "-region", "-secret-id", "-secret-key", "-seed", "-latency", "-rate-limit", "-version",
		`"credentials"`, `"regions"`, `"Transitions"`, `"identity"`, `"accounts"`, `"oidc_providers"`, `"saml_providers"`, `"mfa_devices"`,
		"/_emulator/stats", "/_emulator/instances", "/_emulator/faults", "/_emulator/revoke", "/_emulator/clock",
		"AKIDemulator", "emulator-secret", "100000000001", `"churn_every"`, `"http_502"`, "SIGHUP", "cvm-emulator listening on",
	} {
		if !strings.Contains(help, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	if stderr.String() != "" {
		t.Errorf("--help wrote to stderr: %q", stderr.String())
	}
	stdout.Reset()
	if code := run([]string{"--version"}, &stdout, &stderr, nil); code != 0 || stdout.String() != "cvm-emulator dev\n" {
		t.Errorf("--version: exit %d, %q", code, stdout.String())
	}
}

// TestHelpAgreesWithGuide: the manual (--help) and the guide
// (docs/guides/emulator.md) are written separately; every flag, fault field
// and admin endpoint the manual names must be in the guide, and every field
// of emulator.Faults in the manual.
func TestHelpAgreesWithGuide(t *testing.T) {
	help, guide := helpAndGuide(t)
	section := func(text, from, to string) string {
		t.Helper()
		_, rest, ok := strings.Cut(text, from)
		body, _, ok2 := strings.Cut(rest, to)
		if !ok || !ok2 {
			t.Fatalf("no section from %q to %q", from, to)
		}
		return body
	}

	flags := regexp.MustCompile(`(?m)^  -([a-z-]+)`).FindAllStringSubmatch(section(help, "Flags:", "Default credential:"), -1)
	if len(flags) < 10 {
		t.Fatalf("found %d flags in --help, want every one: %v", len(flags), flags)
	}
	guideFlags := section(guide, "## Flags", "## Defaults")
	for _, m := range flags {
		if !strings.Contains(guideFlags, "`--"+m[1]+"`") && !strings.Contains(guideFlags, "`--"+m[1]+" ") {
			t.Errorf("flag --%s is in --help, not in the guide's flags", m[1])
		}
	}

	helpFaults := section(help, "FAULTS (PUT /_emulator/faults)", "Probabilities")
	guideFaults := section(guide, "## Faults", "Probabilities")
	fields := regexp.MustCompile(`"([a-z][a-z0-9_]*)":`).FindAllStringSubmatch(helpFaults, -1)
	for _, m := range fields {
		if !strings.Contains(guideFaults, "`"+m[1]+"`") {
			t.Errorf("fault field %q is in --help, not in the guide's faults table", m[1])
		}
	}
	ft := reflect.TypeFor[emulator.Faults]()
	for i := range ft.NumField() {
		name, _, _ := strings.Cut(ft.Field(i).Tag.Get("json"), ",")
		if !strings.Contains(helpFaults, `"`+name+`":`) {
			t.Errorf("fault field %q (emulator.Faults.%s) is not in --help", name, ft.Field(i).Name)
		}
	}

	endpoints := regexp.MustCompile(`(GET|PUT|POST|DELETE|PATCH) +(/_emulator/[a-z_]+)`).FindAllStringSubmatch(section(help, "ADMIN API", "FAULTS"), -1)
	if len(endpoints) < 8 {
		t.Fatalf("found %d admin endpoints in --help: %v", len(endpoints), endpoints)
	}
	for _, m := range endpoints {
		if !strings.Contains(guide, "`"+m[1]+" "+m[2]+"`") {
			t.Errorf("admin endpoint %s %s is in --help, not in the guide", m[1], m[2])
		}
	}

	// Every field GET /_emulator/stats answers is explained in both.
	helpAdmin := section(help, "ADMIN API", "FAULTS")
	guideAdmin := section(guide, "## Admin API", "## Faults")
	for _, typ := range []reflect.Type{reflect.TypeFor[emulator.Stats](), reflect.TypeFor[emulator.SignerStats]()} {
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if !strings.Contains(helpAdmin, `"`+name+`"`) {
				t.Errorf("stats field %q (emulator.%s.%s) is not in --help's ADMIN API", name, typ.Name(), typ.Field(i).Name)
			}
			if !strings.Contains(guideAdmin, "`"+name+"`") {
				t.Errorf("stats field %q (emulator.%s.%s) is not in the guide's Admin API", name, typ.Name(), typ.Field(i).Name)
			}
		}
	}
}

// TestHelpAndGuideNameTheReadinessFields: every readiness field an
// instance may carry, and every action served, is in --help's data file
// section and in the guide's, so neither falls behind the data model.
func TestHelpAndGuideNameTheReadinessFields(t *testing.T) {
	help, guide := helpAndGuide(t)
	for _, typ := range []reflect.Type{reflect.TypeFor[emulator.Readiness](), reflect.TypeFor[emulator.Agent](), reflect.TypeFor[emulator.MaintenanceTask]()} {
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if !strings.Contains(help, `"`+name+`"`) {
				t.Errorf("field %q (emulator.%s) is not in --help's data file", name, typ.Name())
			}
			if !strings.Contains(guide, `"`+name+`"`) {
				t.Errorf("field %q (emulator.%s) is not in the guide's data file", name, typ.Name())
			}
		}
	}
	for _, action := range []string{"DescribeInstancesStatus", "DescribeInstances", "DescribeTaskInfo", "DescribeAutomationAgentStatus"} {
		if !strings.Contains(help, action+" ") || !strings.Contains(guide, "`"+action+"`") {
			t.Errorf("action %s is not in both --help and the guide", action)
		}
	}
}

// helpAndGuide returns the two manuals: what --help prints, and the guide
// as the registry renders it (docs/guides/emulator.md).
func helpAndGuide(t *testing.T) (help, guide string) {
	t.Helper()
	var stdout, stderr emutest.LockedBuffer
	if code := run([]string{"--help"}, &stdout, &stderr, nil); code != 0 {
		t.Fatalf("--help: exit %d", code)
	}
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "guides", "emulator.md"))
	if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), string(b)
}
