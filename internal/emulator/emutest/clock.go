package emutest

import "github.com/cvmkit/terraform-provider-cvm/internal/emulator/clock"

// Clock is a settable clock for Config.Now: clock.Settable, named here for
// the tests that already import emutest.
type Clock = clock.Settable

// NewClock is a Clock at the real time now.
func NewClock() *Clock { return clock.NewSettable() }
