package emulator_test

import (
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/clock"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// An instance moves through its transitions on the emulator's clock,
// counted from when it was loaded, and a listing stays sorted by ID.
func TestTransitionsFollowTheClock(t *testing.T) {
	t.Parallel()
	c := clock.NewSettable()
	s := emutest.Listen(t, emulator.Config{Now: c.Now, Regions: map[string][]emulator.Instance{testRegion: {
		{InstanceId: "ins-zzzzzzzz", InstanceState: "RUNNING"},
		{InstanceId: "ins-aaaaaaaa", InstanceState: "PENDING", Transitions: []emulator.Transition{
			{After: emulator.Duration(10 * time.Second), InstanceState: "RUNNING"},
			{After: emulator.Duration(time.Minute), InstanceState: "STOPPING"},
		}},
	}}})
	states := func() []string {
		var out []string
		for _, st := range do(t, tc3Call{action: cvmAction, version: cvmVersion, region: testRegion, body: `{}`}.request(t, s)).Response.InstanceStatusSet {
			out = append(out, st.InstanceId+" "+st.InstanceState)
		}
		return out
	}
	for _, step := range []struct {
		advance time.Duration
		want    string
	}{
		{0, "ins-aaaaaaaa PENDING"},
		{10 * time.Second, "ins-aaaaaaaa RUNNING"},
		{time.Minute, "ins-aaaaaaaa STOPPING"},
	} {
		c.Advance(step.advance)
		got := states()
		if len(got) != 2 || got[0] != step.want || got[1] != "ins-zzzzzzzz RUNNING" {
			t.Fatalf("after %s more: %v, want [%s ins-zzzzzzzz RUNNING]", step.advance, got, step.want)
		}
	}
}
