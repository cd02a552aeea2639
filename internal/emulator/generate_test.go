package emulator_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
)

func TestGenerateInstances(t *testing.T) {
	a, b := emulator.GenerateInstances(2000, 1), emulator.GenerateInstances(2000, 1)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different instances")
	}
	if reflect.DeepEqual(a, emulator.GenerateInstances(2000, 2)) {
		t.Fatal("different seeds, same instances")
	}
	seen := map[string]bool{}
	count := map[string]int{}
	for _, in := range a {
		if _, _, ok := emulator.InstanceProblem(in); !ok || seen[in.InstanceId] {
			t.Fatalf("invalid or duplicate %+v", in)
		}
		seen[in.InstanceId] = true
		count[in.InstanceState]++
	}
	if !slices.IsSortedFunc(a, func(x, y emulator.Instance) int {
		if x.InstanceId < y.InstanceId {
			return -1
		}
		return 1
	}) {
		t.Error("not sorted by ID")
	}
	running, stopped := float64(count["RUNNING"])/2000, float64(count["STOPPED"])/2000
	if running < 0.80 || running > 0.90 || stopped < 0.07 || stopped > 0.13 || len(count) < 5 {
		t.Errorf("state mix %v", count)
	}
	if len(emulator.GenerateInstances(0, 1)) != 0 {
		t.Error("n=0")
	}
	// 100,000 instances load into a server.
	if _, err := emulator.New(emulator.Config{Regions: map[string][]emulator.Instance{testRegion: emulator.GenerateInstances(100000, 9)}}); err != nil {
		t.Fatal(err)
	}
}
