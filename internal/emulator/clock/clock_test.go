package clock_test

import (
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/clock"
)

func TestSettableMovesOnlyWhenAdvanced(t *testing.T) {
	c := clock.NewSettable()
	start := c.Now()
	if d := time.Since(start); d < 0 || d > time.Minute {
		t.Fatalf("NewSettable starts %s from the real time", d)
	}
	time.Sleep(2 * time.Millisecond)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now moved by itself: %s → %s", start, got)
	}
	c.Advance(90 * time.Second)
	if got := c.Now().Sub(start); got != 90*time.Second {
		t.Fatalf("after Advance(90s), Now is %s later, want 90s", got)
	}
}

func TestShiftedSetsTheOffsetFromItsBase(t *testing.T) {
	base := clock.NewSettable()
	c := clock.NewShifted(base.Now)
	if got := c.Now(); !got.Equal(base.Now()) {
		t.Fatalf("no offset: Now %s, base %s", got, base.Now())
	}
	c.SetOffset(10 * time.Minute)
	c.SetOffset(10 * time.Minute) // set, not added
	if got := c.Now().Sub(base.Now()); got != 10*time.Minute || c.Offset() != 10*time.Minute {
		t.Fatalf("offset 10m: Now is %s from the base, Offset %s", got, c.Offset())
	}
	base.Advance(time.Hour)
	if got := c.Now().Sub(base.Now()); got != 10*time.Minute {
		t.Fatalf("the offset must follow the base: %s", got)
	}
	if d := time.Since(clock.NewShifted(nil).Now()); d < 0 || d > time.Minute {
		t.Fatalf("NewShifted(nil) is %s from time.Now", d)
	}
}
