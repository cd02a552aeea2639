// Package clock holds the emulator's time: the service's clock, which an
// operator can shift (Shifted, behind PUT /_emulator/clock), and the
// settable clock tests drive (Settable, passed as Config.Now).
//
// It is a leaf package, so that package emulator, its tests (package
// emulator_test) and emutest all use the one implementation.
package clock

import (
	"sync"
	"sync/atomic"
	"time"
)

// Shifted is a base clock moved by an offset that can change at any time.
type Shifted struct {
	base   func() time.Time
	offset atomic.Int64 // nanoseconds
}

// NewShifted is base with no offset yet; base nil is time.Now.
func NewShifted(base func() time.Time) *Shifted {
	if base == nil {
		base = time.Now
	}
	return &Shifted{base: base}
}

// Now is the base clock's time plus the offset.
func (c *Shifted) Now() time.Time { return c.base().Add(c.Offset()) }

// Offset is how far the clock is shifted from its base.
func (c *Shifted) Offset() time.Duration { return time.Duration(c.offset.Load()) }

// SetOffset shifts the clock to d from its base (not by d from now).
func (c *Shifted) SetOffset(d time.Duration) { c.offset.Store(int64(d)) }

// Settable is a clock that starts at the real time and moves only when
// advanced, so that requests signed with the real clock stay within the
// emulator's five-minute window while a test moves the emulator's time
// (expiry, transitions, TOTP steps, rate-limit refills).
type Settable struct {
	mu sync.Mutex
	t  time.Time
}

// NewSettable is a Settable at the real time now.
func NewSettable() *Settable { return &Settable{t: time.Now()} }

// Now is the clock's time; pass the method as Config.Now.
func (c *Settable) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock d forward.
func (c *Settable) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
