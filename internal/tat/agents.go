package tat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// Agent is an instance's TAT agent, as DescribeAutomationAgentStatus
// reports it.
type Agent struct {
	Status        string // Online or Offline
	Version       string
	LastHeartbeat string // LastHeartbeatTime, as the service writes it
	Environment   string // such as Linux
}

// agentsRequest is DescribeAutomationAgentStatus's request by ID. Filters
// is never sent: the service refuses it together with InstanceIds.
type agentsRequest struct {
	InstanceIds []string `json:"InstanceIds"`
	Offset      int      `json:"Offset"`
	Limit       int      `json:"Limit"`
}

// agentsAnswer is DescribeAutomationAgentStatus's answer envelope. asked
// and limit are the request's, kept across Reset so that Check can hold the
// answer to them.
type agentsAnswer struct {
	Response struct {
		tcapi.ResponseHeader
		TotalCount         *int64 `json:"TotalCount"`
		AutomationAgentSet []struct {
			InstanceID        string  `json:"InstanceId"`
			Version           *string `json:"Version"`
			LastHeartbeatTime *string `json:"LastHeartbeatTime"`
			AgentStatus       string  `json:"AgentStatus"`
			Environment       *string `json:"Environment"`
		} `json:"AutomationAgentSet"`
	} `json:"Response"`

	asked map[string]struct{}
	limit int
	page  page // what Check found in Response
}

// page is one validated answer.
type page struct {
	total  int
	agents map[string]Agent
	ids    []string // the agents' IDs in the answer's order
}

func (a *agentsAnswer) Header() *tcapi.ResponseHeader { return &a.Response.ResponseHeader }
func (a *agentsAnswer) Reset()                        { *a = agentsAnswer{asked: a.asked, limit: a.limit} }

// Check holds a successful answer to what the read relies on: a TotalCount
// no larger than the IDs asked for (each instance has at most one agent), at
// most a page of agents, each of an instance asked for, once, with a
// status. An answer that fails is retried by Send like a truncated one.
func (a *agentsAnswer) Check() error {
	r := &a.Response
	if r.TotalCount == nil || *r.TotalCount < 0 || *r.TotalCount > int64(len(a.asked)) {
		return fmt.Errorf("the answer has no valid TotalCount for %d instance IDs", len(a.asked))
	}
	if len(r.AutomationAgentSet) > a.limit {
		return fmt.Errorf("the answer holds %d agents, more than the Limit of %d", len(r.AutomationAgentSet), a.limit)
	}
	p := page{total: int(*r.TotalCount), agents: make(map[string]Agent, len(r.AutomationAgentSet))}
	for i, s := range r.AutomationAgentSet {
		if _, ok := a.asked[s.InstanceID]; !ok || !validInstanceID(s.InstanceID) {
			return fmt.Errorf("the answer's AutomationAgentSet[%d] is not the agent of an instance asked for", i)
		}
		if _, dup := p.agents[s.InstanceID]; dup {
			return fmt.Errorf("the answer's AutomationAgentSet[%d] repeats instance %s", i, s.InstanceID)
		}
		if s.AgentStatus == "" {
			return fmt.Errorf("the answer's AutomationAgentSet[%d] has no AgentStatus", i)
		}
		p.agents[s.InstanceID] = Agent{Status: s.AgentStatus, Version: deref(s.Version), LastHeartbeat: deref(s.LastHeartbeatTime), Environment: deref(s.Environment)}
		p.ids = append(p.ids, s.InstanceID)
	}
	a.page = p
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// validInstanceID is "ins-" followed by 8 lowercase letters or digits.
func validInstanceID(id string) bool {
	if len(id) != 12 || id[:4] != "ins-" {
		return false
	}
	for _, r := range id[4:] {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// AutomationAgents reads the TAT agents of the instances ids in region. An
// instance whose agent never reported is absent from the map: the service
// leaves it out of AutomationAgentSet, and that never means "online".
//
// IDs are read by InstanceIds in chunks of PageSize, concurrently, each
// request through the action's limiter and with the client's retries; a
// chunk whose answer counts more agents than one page holds is paged with
// Offset. It reads every chunk or fails: one failed chunk fails the call.
// An empty ids sends no request. IDs must be well-formed; duplicates are
// read once.
func (c *Client) AutomationAgents(ctx context.Context, region string, ids []string) (map[string]Agent, error) {
	if region == "" {
		return nil, errors.New("TAT DescribeAutomationAgentStatus needs a region")
	}
	unique := make([]string, 0, len(ids))
	seen := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		if !validInstanceID(id) {
			return nil, fmt.Errorf("%q is not a valid instance ID: expected \"ins-\" followed by 8 lowercase letters or digits", id)
		}
		if _, dup := seen[id]; !dup {
			seen[id] = struct{}{}
			unique = append(unique, id)
		}
	}
	agents := make(map[string]Agent, len(unique))
	var mu sync.Mutex
	chunks := (len(unique) + PageSize - 1) / PageSize
	err := tcapi.Parallel(ctx, c.cfg.Concurrency, chunks, func(ctx context.Context, i int) error {
		chunk := unique[i*PageSize : min((i+1)*PageSize, len(unique))]
		found, err := c.chunk(ctx, region, chunk)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		for id, a := range found {
			agents[id] = a
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return agents, nil
}

// chunk reads the agents of at most PageSize IDs, page by page.
func (c *Client) chunk(ctx context.Context, region string, chunk []string) (map[string]Agent, error) {
	asked := make(map[string]struct{}, len(chunk))
	for _, id := range chunk {
		asked[id] = struct{}{}
	}
	found := make(map[string]Agent, len(chunk))
	for offset := 0; ; {
		// Limit must be sent: its default of 20 applies to ID lookups too.
		req := agentsRequest{InstanceIds: chunk, Offset: offset, Limit: len(chunk)}
		a := agentsAnswer{asked: asked, limit: req.Limit}
		err := c.send(ctx, region, ActionDescribeAgents, req, &a,
			slog.Int("offset", req.Offset), slog.Int("limit", req.Limit), slog.Int("instance_id_count", len(chunk)))
		if err != nil {
			return nil, err
		}
		for _, id := range a.page.ids {
			if _, dup := found[id]; dup {
				return nil, fmt.Errorf("%s in %s answered instance %s's agent on two pages: %w", ActionDescribeAgents, region, id, ErrInconsistentAnswer)
			}
			found[id] = a.page.agents[id]
		}
		offset += len(a.page.ids)
		if offset >= a.page.total {
			return found, nil
		}
		if len(a.page.ids) == 0 {
			return nil, fmt.Errorf("%s in %s counted %d agents for %d IDs but answered none from offset %d: %w",
				ActionDescribeAgents, region, a.page.total, len(chunk), offset, ErrInconsistentAnswer)
		}
	}
}

// ErrInconsistentAnswer is wrapped by the error of a read whose pages do
// not add up: the same agent twice, or fewer agents than counted.
var ErrInconsistentAnswer = errors.New("the service's pages do not add up")
