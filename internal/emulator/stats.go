package emulator

import (
	"maps"
	"strings"
	"sync"
)

// statsCollector is the mutable side of Stats.
type statsCollector struct {
	mu        sync.Mutex
	requests  int64
	throttled int64
	byAction  map[string]int64
	byCode    map[string]int64
}

func (c *statsCollector) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests, c.throttled = 0, 0
	c.byAction = map[string]int64{}
	c.byCode = map[string]int64{}
}

func (c *statsCollector) request() {
	c.mu.Lock()
	c.requests++
	c.mu.Unlock()
}

func (c *statsCollector) record(action, code string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byAction[action]++
	c.byCode[code]++
	if strings.HasPrefix(code, "RequestLimitExceeded") {
		c.throttled++
	}
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	return Stats{
		Requests:  s.stats.requests,
		Throttled: s.stats.throttled,
		ByAction:  maps.Clone(s.stats.byAction),
		ByCode:    maps.Clone(s.stats.byCode),
	}
}

// ResetStats zeroes the counters.
func (s *Server) ResetStats() { s.stats.reset() }
