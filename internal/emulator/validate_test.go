package emulator_test

import (
	"strings"
	"testing"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
)

// Each problem an instance can have is named with the field at fault.
func TestInstanceProblem(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in           emulator.Instance
		field, about string // about: a piece of the problem; "" for none
	}{
		{emulator.Instance{InstanceId: "ins-r8hr2upy", InstanceState: "RUNNING"}, "", ""},
		{emulator.Instance{InstanceState: "RUNNING"}, "InstanceId", "missing"},
		{emulator.Instance{InstanceId: "ins-R8HR2UPY", InstanceState: "RUNNING"}, "InstanceId", "ins-R8HR2UPY"},
		{emulator.Instance{InstanceId: "ins-r8hr2upy"}, "InstanceState", "missing"},
		{emulator.Instance{InstanceId: "ins-r8hr2upy", InstanceState: "running"}, "InstanceState", "running"},
		{emulator.Instance{InstanceId: "ins-r8hr2upy", InstanceState: "RUNNING",
			Transitions: []emulator.Transition{{After: -1, InstanceState: "STOPPED"}}}, "Transitions[0].After", "negative"},
		{emulator.Instance{InstanceId: "ins-r8hr2upy", InstanceState: "RUNNING",
			Transitions: []emulator.Transition{{After: 1, InstanceState: "STOPPED"}, {After: 2, InstanceState: "GONE"}}}, "Transitions[1].InstanceState", "GONE"},
	} {
		field, problem, ok := emulator.InstanceProblem(tc.in)
		if ok != (tc.field == "") || field != tc.field || !strings.Contains(problem, tc.about) {
			t.Errorf("%+v: %q %q %v, want field %q about %q", tc.in, field, problem, ok, tc.field, tc.about)
		}
	}
}
