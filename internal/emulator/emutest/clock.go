package emutest

import (
	"sync"
	"time"
)

// Clock is a settable clock for Config.Now. It starts at the real time and
// moves only when advanced, so that requests signed with the real clock
// stay within the emulator's five-minute window while a test moves the
// emulator's time (expiry, transitions, TOTP steps, rate-limit refills).
//
// Package emulator's own tests keep a copy of it: they cannot import
// emutest, which imports emulator.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock is a Clock at the real time now.
func NewClock() *Clock { return &Clock{t: time.Now()} }

// Now is the clock's time; pass the method as Config.Now.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock d forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
