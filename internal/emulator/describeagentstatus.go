package emulator

import (
	"slices"
	"time"
)

// tatVersion is TAT's API version.
const tatVersion = "2020-10-28"

// automationAgentInfo is an element of AutomationAgentSet (the SDK's
// tat AutomationAgentInfo).
type automationAgentInfo struct {
	InstanceId        string   `json:"InstanceId"`
	Version           string   `json:"Version"`
	LastHeartbeatTime string   `json:"LastHeartbeatTime"`
	AgentStatus       string   `json:"AgentStatus"`
	Environment       string   `json:"Environment"`
	SupportFeatures   []string `json:"SupportFeatures"`
}

type describeAgentStatusResponse struct {
	TotalCount         int                   `json:"TotalCount"`
	AutomationAgentSet []automationAgentInfo `json:"AutomationAgentSet"`
	RequestId          string                `json:"RequestId"`
}

func (r *describeAgentStatusResponse) setRequestID(id string) { r.RequestId = id }

// agentMatcher is DescribeAutomationAgentStatus' Filters as a predicate,
// with TAT's codes (the SDK's list for the action).
func agentFilters(fs []filter) (func(id string, a *Agent) bool, *apiError) {
	if len(fs) > maxFilters {
		return nil, newError("InvalidParameterValue.LimitExceeded", "The parameter `Filters` has %d elements; at most %d are allowed per request.", len(fs), maxFilters)
	}
	var tests []func(id string, a *Agent) bool
	for _, f := range fs {
		values := f.Values
		switch {
		case len(values) == 0:
			return nil, newError("InvalidParameterValue.InvalidFilter", "The filter `%s` has no Values.", f.Name)
		case len(values) > maxFilterValues:
			return nil, newError("InvalidParameterValue.LimitExceeded", "The filter `%s` has %d values; at most %d are allowed.", f.Name, len(values), maxFilterValues)
		}
		switch f.Name {
		case "agent-status":
			tests = append(tests, func(_ string, a *Agent) bool { return slices.Contains(values, a.AgentStatus) })
		case "environment":
			tests = append(tests, func(_ string, a *Agent) bool { return slices.Contains(values, a.Environment) })
		case "instance-id":
			tests = append(tests, func(id string, _ *Agent) bool { return slices.Contains(values, id) })
		default:
			return nil, newError("InvalidParameterValue.InvalidFilter", "The filter `%s` is not supported; use agent-status, environment or instance-id.", f.Name)
		}
	}
	return func(id string, a *Agent) bool {
		for _, t := range tests {
			if !t(id, a) {
				return false
			}
		}
		return true
	}, nil
}

func agentInfo(id string, a *Agent) automationAgentInfo {
	return automationAgentInfo{InstanceId: id, Version: a.Version, LastHeartbeatTime: a.LastHeartbeatTime,
		AgentStatus: a.AgentStatus, Environment: a.Environment, SupportFeatures: []string{}}
}

func (s *Server) describeAutomationAgentStatus(c *call) (answer, *apiError) {
	offset, limit, aerr := pageBounds(c.params)
	if aerr != nil {
		return nil, aerr
	}
	ids, fs := c.params.lists["InstanceIds"], c.params.filters["Filters"]
	if len(ids) > 0 && len(fs) > 0 {
		return nil, newError("InvalidParameter.ConflictParameter", "The parameters `InstanceIds` and `Filters` cannot be specified at the same time.")
	}
	if len(ids) > maxIDs {
		return nil, newError("InvalidParameterValue.LimitExceeded", "The parameter `InstanceIds` has %d elements; at most %d are allowed per request.", len(ids), maxIDs)
	}
	for _, id := range ids {
		if !validInstanceID(id) {
			return nil, newError("InvalidParameterValue.InvalidInstanceId", "The instance ID `%s` is invalid: an instance ID is \"ins-\" followed by 8 lowercase letters or digits.", id)
		}
	}
	match, aerr := agentFilters(fs)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.RLock()
	var recs []*instanceRecord
	if rs := s.regions[c.region]; rs != nil {
		if len(ids) > 0 {
			recs = lookup(rs, ids)
		} else {
			recs = rs.sorted
		}
	}
	found := agentsOf(recs, match, c.now)
	s.mu.RUnlock()
	resp := &describeAgentStatusResponse{TotalCount: len(found), AutomationAgentSet: []automationAgentInfo{}}
	if offset < int64(len(found)) {
		resp.AutomationAgentSet = found[offset:min(int64(len(found)), offset+limit)]
	}
	return resp, nil
}

// agentsOf is the agents of recs that match; an instance without one is
// left out, as the service leaves out an agent that never reported.
func agentsOf(recs []*instanceRecord, match func(string, *Agent) bool, now time.Time) []automationAgentInfo {
	var out []automationAgentInfo
	for _, rec := range recs {
		if a := rec.readinessAt(now).Agent; a != nil && match(rec.id, a) {
			out = append(out, agentInfo(rec.id, a))
		}
	}
	return out
}
