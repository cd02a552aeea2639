package provider

import (
	"encoding/json"
	"maps"
	"math/big"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

func TestDuplicateIDsWarnOnce(t *testing.T) {
	t.Parallel()
	var diags diag.Diagnostics
	warnDuplicates(&diags, []string{"ins-aaaaaaaa", "ins-bbbbbbbb", "ins-aaaaaaaa", "ins-aaaaaaaa", "ins-bbbbbbbb"})
	if diags.HasError() || diags.WarningsCount() != 1 {
		t.Fatalf("diagnostics = %v; want exactly one warning", diags)
	}
	if detail := diags.Warnings()[0].Detail(); !strings.Contains(detail, `"ins-aaaaaaaa", "ins-bbbbbbbb" more than once`) {
		t.Fatalf("warning %q must name each duplicated ID once", detail)
	}
	diags = nil
	warnDuplicates(&diags, []string{"ins-aaaaaaaa", "ins-bbbbbbbb"})
	if len(diags) != 0 {
		t.Fatalf("diagnostics = %v; want none without duplicates", diags)
	}
}

// readState is the data source's state after a read, as Go values.
type readState struct {
	id, region string
	instances  []cvm.InstanceStatus
	states     map[string]string
	counts     map[string]int64
	missing    []string
}

func decodeState(t *testing.T, v tftypes.Value) readState {
	t.Helper()
	var attrs map[string]tftypes.Value
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("decoding the state %s: %v", v, err)
		}
	}
	must(v.As(&attrs))
	s := readState{states: map[string]string{}, counts: map[string]int64{}}
	must(attrs["id"].As(&s.id))
	must(attrs["region"].As(&s.region))
	var list, missing []tftypes.Value
	must(attrs["instances"].As(&list))
	for _, e := range list {
		var obj map[string]tftypes.Value
		var in cvm.InstanceStatus
		must(e.As(&obj))
		must(obj["instance_id"].As(&in.InstanceID))
		must(obj["state"].As(&in.State))
		s.instances = append(s.instances, in)
	}
	var states, counts map[string]tftypes.Value
	must(attrs["states"].As(&states))
	for id, e := range states {
		var state string
		must(e.As(&state))
		s.states[id] = state
	}
	must(attrs["state_counts"].As(&counts))
	for state, e := range counts {
		var n big.Float
		must(e.As(&n))
		s.counts[state], _ = n.Int64()
	}
	must(attrs["missing_instance_ids"].As(&missing))
	for _, e := range missing {
		var id string
		must(e.As(&id))
		s.missing = append(s.missing, id)
	}
	return s
}

func statuses(pairs ...string) []cvm.InstanceStatus {
	out := make([]cvm.InstanceStatus, 0, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, cvm.InstanceStatus{InstanceID: pairs[i], State: pairs[i+1]})
	}
	return out
}

// Reads through the provider's protocol server, as Terraform makes them,
// in process: what a read returns, how many requests it takes, how waits
// end, and the errors a user is shown. TestAccInstancesStatus_* show the
// same state through terraform itself.
func TestReadsThroughTheProtocol(t *testing.T) {
	t.Parallel()
	region := emulator.GenerateInstances(1234, 5)
	regionCounts := map[string]int64{}
	for _, in := range region {
		regionCounts[in.InstanceState]++
	}
	cases := []struct {
		name      string
		regions   map[string][]emulator.Instance
		faults    *emulator.Faults
		provider  map[string]any // over a working provider block
		data      map[string]any
		wantStage string
		wantError *regexp.Regexp // on the error's summary and detail
		requests  int64          // -1: any number
		check     func(t *testing.T, got readState, e *emutest.Emulator)
	}{
		{name: "the whole region", regions: seeded(region...), data: map[string]any{}, requests: -1,
			check: func(t *testing.T, got readState, _ *emutest.Emulator) {
				if len(got.instances) != 1234 || len(got.states) != 1234 || !maps.Equal(got.counts, regionCounts) || len(got.missing) != 0 || got.id != "ap-guangzhou/all" {
					t.Errorf("%d instances, %d states, counts %v (want %v), missing %v, id %q", len(got.instances), len(got.states), got.counts, regionCounts, got.missing, got.id)
				}
			}},
		{name: "empty list reads nothing", regions: seeded(emulator.GenerateInstances(20, 1)...), data: map[string]any{"instance_ids": []string{}}, requests: 0,
			check: func(t *testing.T, got readState, _ *emutest.Emulator) {
				if len(got.instances) != 0 || len(got.states) != 0 || len(got.counts) != 0 {
					t.Errorf("instance_ids = [] read %+v", got)
				}
			}},
		{name: "null list reads the region", regions: seeded(inst("ins-bbbbbbbb", "STOPPED"), inst("ins-aaaaaaaa", "RUNNING")),
			data: map[string]any{"instance_ids": nil}, requests: -1,
			check: func(t *testing.T, got readState, _ *emutest.Emulator) {
				if want := statuses("ins-aaaaaaaa", "RUNNING", "ins-bbbbbbbb", "STOPPED"); !reflect.DeepEqual(got.instances, want) {
					t.Errorf("instances %v, want %v", got.instances, want)
				}
			}},
		{name: "region override", regions: map[string][]emulator.Instance{DefaultRegion: {inst("ins-aaaaaaaa", "RUNNING")}, "ap-shanghai": {inst("ins-cccccccc", "STOPPED")}},
			data: map[string]any{"region": "ap-shanghai"}, requests: -1,
			check: func(t *testing.T, got readState, _ *emutest.Emulator) {
				if want := statuses("ins-cccccccc", "STOPPED"); got.region != "ap-shanghai" || !reflect.DeepEqual(got.instances, want) {
					t.Errorf("region %q, instances %v; want ap-shanghai, %v", got.region, got.instances, want)
				}
			}},
		{name: "wait succeeds after transitions", regions: seeded(inst("ins-aaaaaaaa", "RUNNING"), inst("ins-bbbbbbbb", "PENDING",
			emulator.Transition{After: emulator.Duration(time.Second), InstanceState: "STARTING"},
			emulator.Transition{After: emulator.Duration(2 * time.Second), InstanceState: "RUNNING"})),
			data:     map[string]any{"instance_ids": []string{"ins-aaaaaaaa", "ins-bbbbbbbb"}, "wait_for_states": []string{"RUNNING"}, "timeouts": map[string]any{"read": "1m"}},
			requests: -1,
			check: func(t *testing.T, got readState, _ *emutest.Emulator) {
				if want := map[string]int64{"RUNNING": 2}; !maps.Equal(got.counts, want) {
					t.Errorf("state counts %v, want %v", got.counts, want)
				}
			}},
		{name: "wait times out", regions: seeded(inst("ins-aaaaaaaa", "RUNNING"), inst("ins-bbbbbbbb", "STOPPED")),
			data:      map[string]any{"instance_ids": []string{"ins-aaaaaaaa", "ins-bbbbbbbb", "ins-cccccccc"}, "wait_for_states": []string{"RUNNING"}, "timeouts": map[string]any{"read": "2s"}},
			wantStage: "read", requests: -1,
			wantError: regexp.MustCompile(`Timed Out Waiting For Instance States[\s\S]*ins-bbbbbbbb \(STOPPED\),[\s\S]*ins-cccccccc \(not found\)`)},
		{name: "wait fails fast on LAUNCH_FAILED", regions: seeded(inst("ins-aaaaaaaa", "PENDING"), inst("ins-bbbbbbbb", "LAUNCH_FAILED")),
			data:      map[string]any{"instance_ids": []string{"ins-aaaaaaaa", "ins-bbbbbbbb"}, "wait_for_states": []string{"RUNNING"}, "timeouts": map[string]any{"read": "10m"}},
			wantStage: "read", requests: 1, // LAUNCH_FAILED ends the wait on the first read
			wantError: regexp.MustCompile(`Instances Cannot Reach The Wanted State[\s\S]*ins-bbbbbbbb\s+\(LAUNCH_FAILED\)`)},
		{name: "authentication failure shows the code and RequestId", regions: seeded(inst("ins-aaaaaaaa", "RUNNING")),
			provider: map[string]any{"secret_key": "not-the-right-key"}, data: map[string]any{}, wantStage: "read", requests: -1,
			wantError: regexp.MustCompile(`Cannot Read Instance States[\s\S]*Code: AuthFailure\.SignatureFailure[\s\S]*RequestId: [0-9a-f-]{36}[\s\S]*secret key does not match`)},
		{name: "survives throttling and internal errors", regions: seeded(emulator.GenerateInstances(800, 21)...),
			faults:   &emulator.Faults{Errors: map[string]float64{"RequestLimitExceeded": 0.3, "InternalError": 0.2}},
			provider: map[string]any{"max_retries": 30}, data: map[string]any{}, requests: -1,
			check: func(t *testing.T, got readState, e *emutest.Emulator) {
				if len(got.instances) != 800 {
					t.Errorf("%d instances, want 800", len(got.instances))
				}
				if st := e.Stats(); st.Throttled == 0 || st.ByCode["InternalError"] == 0 {
					t.Errorf("stats = %+v: the faults were never injected", st)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := emutest.Start(t, emulator.Config{
				Credentials: []emulator.Credential{{SecretID: accSecretID, SecretKey: accSecretKey}},
				Regions:     tc.regions,
			}, emutest.Options{})
			if tc.faults != nil {
				if err := e.SetFaults(*tc.faults); err != nil {
					t.Fatal(err)
				}
			}
			pcfg := map[string]any{"endpoint": e.URL, "region": DefaultRegion, "secret_id": accSecretID, "secret_key": accSecretKey}
			maps.Copy(pcfg, tc.provider)
			out := runProtocol(t, pcfg, tc.data, fastClient)
			if out.stage != tc.wantStage {
				t.Fatalf("stopped at %q, want %q:%s", out.stage, tc.wantStage, out)
			}
			if tc.requests >= 0 && e.Requests() != tc.requests {
				t.Errorf("%d requests, want %d", e.Requests(), tc.requests)
			}
			if tc.wantError != nil {
				errs := out.errors()
				if len(errs) != 1 || !tc.wantError.MatchString(errs[0].Summary+"\n"+errs[0].Detail) {
					t.Errorf("want one error matching %s:%s", tc.wantError, out)
				}
			}
			if tc.check != nil {
				tc.check(t, decodeState(t, out.state), e)
			}
		})
	}
}

// A wait just after a reboot: the instance reports RUNNING for a moment,
// then REBOOTING, then RUNNING again. wait_stable_for = "5s" waits the
// reboot out; "0s" takes the first RUNNING, as it always has.
//
// The reboot runs on events, not on the wall clock, so that a read slow to
// start on a loaded machine meets the same timeline: the emulator's clock
// stands still, and moves to the reboot when the emulator answers the
// first poll RUNNING, and to its end when it first answers REBOOTING,
// before the client has either answer.
func TestWaitStableForOutlastsAReboot(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		stable     string
		waitsItOut bool
	}{{"5s", true}, {"0s", false}} {
		t.Run(tc.stable, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var seen []string // the state each poll answered
			clock := emutest.NewClock()
			var rebooting, rebooted bool
			e := emutest.Start(t, emulator.Config{
				Credentials: []emulator.Credential{{SecretID: accSecretID, SecretKey: accSecretKey}},
				Regions: seeded(inst("ins-web00001", "RUNNING",
					emulator.Transition{After: emulator.Duration(4 * time.Second), InstanceState: "REBOOTING"},
					emulator.Transition{After: emulator.Duration(6 * time.Second), InstanceState: "RUNNING"})),
				Now: clock.Now,
			}, emutest.Options{OnAnswer: func(r *http.Request, body []byte) {
				var a struct {
					Response struct {
						InstanceStatusSet []struct{ InstanceState string }
					}
				}
				if r.Header.Get("X-TC-Action") != "DescribeInstancesStatus" || json.Unmarshal(body, &a) != nil || len(a.Response.InstanceStatusSet) != 1 {
					return
				}
				state := a.Response.InstanceStatusSet[0].InstanceState
				mu.Lock()
				defer mu.Unlock()
				seen = append(seen, state)
				switch {
				case state == "RUNNING" && !rebooting:
					rebooting = true
					clock.Advance(4 * time.Second) // the reboot begins
				case state == "REBOOTING" && !rebooted:
					rebooted = true
					clock.Advance(2 * time.Second) // and ends
				}
			}})
			out := runProtocol(t,
				map[string]any{"endpoint": e.URL, "region": DefaultRegion, "secret_id": accSecretID, "secret_key": accSecretKey},
				map[string]any{"instance_ids": []string{"ins-web00001"}, "wait_for_states": []string{"RUNNING"}, "wait_stable_for": tc.stable},
				fastClient)
			if out.stage != "" {
				t.Fatalf("stopped at %q:%s", out.stage, out)
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case tc.waitsItOut && (!slices.Contains(seen, "REBOOTING") || seen[len(seen)-1] != "RUNNING"):
				t.Fatalf("the polls saw %v; want the read to wait through the reboot and end on RUNNING", seen)
			case !tc.waitsItOut && (len(seen) != 1 || seen[0] != "RUNNING"):
				t.Fatalf("the polls saw %v; want one poll, RUNNING", seen)
			}
		})
	}
}
