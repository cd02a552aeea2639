package emulator_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/clock"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

func admin(t *testing.T, s *emulator.Server, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer closeQuietly(resp.Body)
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s: Content-Type %q", method, path, ct)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: %v: %s", method, path, err, b)
	}
	return resp.StatusCode, out
}

func TestAdminStatsAndReset(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances()})
	do(t, listing(t, s))
	do(t, tc3Call{action: "Nope", version: cvmVersion, region: testRegion, body: `{}`}.request(t, s))
	code, st := admin(t, s, "GET", "/_emulator/stats", "")
	if code != 200 || st["requests"] != 2.0 {
		t.Fatalf("stats %d %v", code, st)
	}
	byCode, _ := st["by_code"].(map[string]any)
	byAction, _ := st["by_action"].(map[string]any)
	if byCode["Success"] != 1.0 || byCode["InvalidAction"] != 1.0 || byAction["DescribeInstancesStatus"] != 1.0 || byAction["(unknown)"] != 1.0 {
		t.Fatalf("stats %v", st)
	}
	if code, _ := admin(t, s, "POST", "/_emulator/reset", ""); code != 200 {
		t.Fatalf("reset: %d", code)
	}
	if st := s.Stats(); st.Requests != 0 || len(st.ByCode) != 0 || st.ByAction == nil {
		t.Fatalf("after reset %+v", st)
	}
	if code, out := admin(t, s, "POST", "/_emulator/stats", ""); code != 405 || out["error"] == nil {
		t.Fatalf("POST stats: %d %v", code, out)
	}
	if code, _ := admin(t, s, "GET", "/_emulator/nothing", ""); code != 404 {
		t.Fatalf("unknown admin path: %d", code)
	}
}

func TestAdminInstances(t *testing.T) {
	clock := clock.NewSettable()
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances(), Now: clock.Now})
	code, out := admin(t, s, "PUT", "/_emulator/instances", `{"ap-tokyo": [
		{"InstanceId": "ins-aaaaaaaa", "InstanceState": "STARTING", "Transitions": [{"After": "2s", "InstanceState": "RUNNING"}]},
		{"InstanceId": "ins-bbbbbbbb", "InstanceState": "STOPPED"}]}`)
	if code != 200 {
		t.Fatalf("PUT instances: %d %v", code, out)
	}
	a := do(t, tc3Call{action: cvmAction, version: cvmVersion, region: "ap-tokyo", body: `{}`}.request(t, s))
	if *a.Response.TotalCount != 2 || a.Response.InstanceStatusSet[0].InstanceState != "STARTING" {
		t.Fatalf("tokyo: %+v", a.Response)
	}
	clock.Advance(2 * time.Second)
	a = do(t, tc3Call{action: cvmAction, version: cvmVersion, region: "ap-tokyo", body: `{}`}.request(t, s))
	if a.Response.InstanceStatusSet[0].InstanceState != "RUNNING" {
		t.Fatalf("tokyo after 2s: %+v", a.Response)
	}
	// Guangzhou is untouched; a new region becomes supported.
	if a := do(t, listing(t, s)); *a.Response.TotalCount != 2 {
		t.Fatalf("guangzhou changed: %+v", a.Response)
	}
	if code, _ := admin(t, s, "PUT", "/_emulator/instances", `{"xx-lab-1": []}`); code != 200 {
		t.Fatal("new region refused")
	}
	wantCode(t, do(t, tc3Call{action: cvmAction, version: cvmVersion, region: "xx-lab-1", body: `{}`}.request(t, s)), "Success")

	for _, tc := range []struct{ body, want string }{
		{`{"ap-tokyo": [{"InstanceId": "ins-aaaaaaaa", "InstanceState": "RUNING"}]}`, `["ap-tokyo"][0].InstanceState (line 1, column 63): invalid state "RUNING"; valid states are PENDING`},
		{`{"ap-tokyo": [{"InstanceId": "ins-1122", "InstanceState": "RUNNING"}]}`, `["ap-tokyo"][0].InstanceId`},
		{`{"ap-tokyo": [{"InstanceId": "ins-r8hr2upy", "InstanceState": "RUNNING"}]}`, `duplicate instance ID "ins-r8hr2upy" (already in region ap-guangzhou)`},
		{`{"ap-tokyo": [{"InstanceId": "ins-aaaaaaaa", "InstanceState": "RUNNING", "Zone": "x"}]}`, `unknown field "Zone"`},
		{`{"ap-tokyo": [}`, `line 1, column 15: syntax error`},
	} {
		code, out := admin(t, s, "PUT", "/_emulator/instances", tc.body)
		if msg, _ := out["error"].(string); code != 400 || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %d %v, want 400 containing %q", tc.body, code, out, tc.want)
		}
	}
}

func TestAdminFaults(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances()})
	code, out := admin(t, s, "PUT", "/_emulator/faults", `{"latency":"1ms","errors":{"InternalError":1},"actions":["DescribeInstancesStatus"]}`)
	if code != 200 || out["latency"] != "1ms" {
		t.Fatalf("PUT faults: %d %v", code, out)
	}
	wantCode(t, do(t, listing(t, s)), "InternalError")
	_, out = admin(t, s, "GET", "/_emulator/faults", "")
	if errs, _ := out["errors"].(map[string]any); errs["InternalError"] != 1.0 {
		t.Fatalf("GET faults: %v", out)
	}
	for _, tc := range []struct{ body, want string }{
		{`{"latency": 5}`, "duration"},
		{`{"http_502": 2}`, "http_502"},
		{`{"flakiness": 1}`, `unknown field "flakiness"`},
		{`{"errors": {"InternalError": 0.7, "ServiceUnavailable": 0.7}}`, "sum"},
		{`{`, "syntax error"},
	} {
		code, out := admin(t, s, "PUT", "/_emulator/faults", tc.body)
		if msg, _ := out["error"].(string); code != 400 || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %d %v, want 400 containing %q", tc.body, code, out, tc.want)
		}
	}
	if code, _ := admin(t, s, "PUT", "/_emulator/faults", `{}`); code != 200 {
		t.Fatal("clearing faults refused")
	}
	wantCode(t, do(t, listing(t, s)), "Success")
}

func TestAdminClockAndRevoke(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances()})
	tmp := assumeRoleRaw(t, s)
	wantCode(t, do(t, tmp.listing().request(t, s)), "Success")
	if code, _ := admin(t, s, "POST", "/_emulator/revoke", ""); code != 200 {
		t.Fatal("revoke refused")
	}
	wantCode(t, do(t, tmp.listing().request(t, s)), "AuthFailure.TokenFailure")
	if code, out := admin(t, s, "PUT", "/_emulator/clock", `{"offset":"10m"}`); code != 200 || out["offset"] != "10m0s" {
		t.Fatalf("clock: %d %v", code, out)
	}
	wantCode(t, do(t, listing(t, s)), "AuthFailure.SignatureExpire")
	admin(t, s, "PUT", "/_emulator/clock", `{"offset":"0s"}`)
	wantCode(t, do(t, listing(t, s)), "Success")
}
