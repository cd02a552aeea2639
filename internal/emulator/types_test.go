package emulator_test

import (
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
)

func TestDurationJSON(t *testing.T) {
	b, err := emulator.Duration(1500 * time.Millisecond).MarshalJSON()
	if err != nil || string(b) != `"1.5s"` {
		t.Fatalf("%s %v", b, err)
	}
	var d emulator.Duration
	if err := d.UnmarshalJSON([]byte(`"250ms"`)); err != nil || d != emulator.Duration(250*time.Millisecond) {
		t.Fatalf("%v %v", d, err)
	}
	if err := d.UnmarshalJSON([]byte(`3`)); err == nil {
		t.Fatal("a bare number was accepted")
	}
}
