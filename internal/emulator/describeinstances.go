package emulator

import (
	"slices"
	"time"
)

// DescribeInstances limits (CVM 2017-03-12 page): at most 10 Filters of at
// most 5 Values each.
const (
	maxFilters      = 10
	maxFilterValues = 5
)

// The instance's basic fields the emulator makes up, cheaply and the same
// for all: its data carries states, not machine shapes.
const (
	emulatedInstanceType = "S5.MEDIUM4"
	emulatedCPU          = 2
	emulatedMemory       = 4
)

type placement struct {
	Zone      string `json:"Zone"`
	ProjectId int    `json:"ProjectId"`
}

// instanceDetails is an element of DescribeInstances' InstanceSet: the SDK's
// Instance, the fields the emulator knows. Nil pointers are written as null,
// as the service writes the fields it has no value for.
type instanceDetails struct {
	Placement                placement `json:"Placement"`
	InstanceId               string    `json:"InstanceId"`
	InstanceType             string    `json:"InstanceType"`
	CPU                      int       `json:"CPU"`
	Memory                   int       `json:"Memory"`
	InstanceName             string    `json:"InstanceName"`
	InstanceChargeType       string    `json:"InstanceChargeType"`
	CreatedTime              string    `json:"CreatedTime"`
	ExpiredTime              *string   `json:"ExpiredTime"`
	InstanceState            string    `json:"InstanceState"`
	LatestOperation          *string   `json:"LatestOperation"`
	LatestOperationState     *string   `json:"LatestOperationState"`
	LatestOperationErrorMsg  *string   `json:"LatestOperationErrorMsg"`
	LatestOperationRequestId *string   `json:"LatestOperationRequestId"`
	RestrictState            string    `json:"RestrictState"`
	IsolatedSource           string    `json:"IsolatedSource"`
}

type describeInstancesResponse struct {
	TotalCount  int               `json:"TotalCount"`
	InstanceSet []instanceDetails `json:"InstanceSet"`
	RequestId   string            `json:"RequestId"`
}

func (r *describeInstancesResponse) setRequestID(id string) { r.RequestId = id }

func detailsOf(rec *instanceRecord, region string, now time.Time) instanceDetails {
	rd := rec.readinessAt(now)
	charge := "POSTPAID_BY_HOUR"
	if rd.ExpiredTime != nil {
		charge = "PREPAID"
	}
	return instanceDetails{
		Placement: placement{Zone: region + "-1"}, InstanceId: rec.id,
		InstanceType: emulatedInstanceType, CPU: emulatedCPU, Memory: emulatedMemory,
		InstanceName: rec.id, InstanceChargeType: charge,
		CreatedTime: rec.loaded.UTC().Format("2006-01-02T15:04:05Z"), ExpiredTime: rd.ExpiredTime,
		InstanceState:   rec.stateAt(now),
		LatestOperation: rd.LatestOperation, LatestOperationState: rd.LatestOperationState,
		LatestOperationErrorMsg: rd.LatestOperationErrorMsg, LatestOperationRequestId: rd.LatestOperationRequestId,
		RestrictState: *rd.RestrictState, IsolatedSource: *rd.IsolatedSource,
	}
}

// pageBounds reads Offset and Limit (default 0 and 20, Limit at most 100),
// with DescribeInstancesStatus's errors.
func pageBounds(p *boundParams) (offset, limit int64, err *apiError) {
	offset, _ = p.integer("Offset")
	if offset < 0 {
		return 0, 0, newError("InvalidParameterValue", "The value of parameter `Offset` is invalid: %d; it must be 0 or more.", offset)
	}
	limit, ok := p.integer("Limit")
	if !ok {
		limit = defaultLimit
	}
	if limit > maxLimit {
		return 0, 0, newError("InvalidParameterValue.LimitExceeded", "The value of parameter `Limit` is %d; the maximum is %d.", limit, maxLimit)
	}
	if limit < 1 {
		return 0, 0, newError("InvalidParameterValue", "The value of parameter `Limit` is invalid: %d; it must be between 1 and %d.", limit, maxLimit)
	}
	return offset, limit, nil
}

// instanceMatcher is DescribeInstances' Filters as a predicate.
type instanceMatcher func(rec *instanceRecord, now time.Time) bool

func instanceFilters(fs []filter) (instanceMatcher, *apiError) {
	if len(fs) > maxFilters {
		return nil, newError("InvalidParameterValue.LimitExceeded", "The parameter `Filters` has %d elements; at most %d are allowed per request.", len(fs), maxFilters)
	}
	var tests []instanceMatcher
	for _, f := range fs {
		switch {
		case len(f.Values) == 0:
			return nil, newError("InvalidFilter", "The filter `%s` has no Values.", f.Name)
		case len(f.Values) > maxFilterValues:
			return nil, newError("InvalidFilterValue.LimitExceeded", "The filter `%s` has %d values; at most %d are allowed.", f.Name, len(f.Values), maxFilterValues)
		}
		values := f.Values
		switch f.Name {
		case "instance-id":
			for _, v := range values {
				if !validInstanceID(v) {
					return nil, newError("InvalidParameterValue.InstanceIdMalformed", "The instance ID `%s` in filter instance-id is malformed: an instance ID is \"ins-\" followed by 8 lowercase letters or digits.", v)
				}
			}
			tests = append(tests, func(rec *instanceRecord, _ time.Time) bool { return slices.Contains(values, rec.id) })
		case "instance-state":
			tests = append(tests, func(rec *instanceRecord, now time.Time) bool { return slices.Contains(values, rec.stateAt(now)) })
		default:
			return nil, newError("InvalidFilter", "The filter `%s` is not supported by this emulator; it supports instance-id and instance-state.", f.Name)
		}
	}
	return func(rec *instanceRecord, now time.Time) bool {
		for _, t := range tests {
			if !t(rec, now) {
				return false
			}
		}
		return true
	}, nil
}

func (s *Server) describeInstances(c *call) (answer, *apiError) {
	offset, limit, aerr := pageBounds(c.params)
	if aerr != nil {
		return nil, aerr
	}
	ids, fs := c.params.lists["InstanceIds"], c.params.filters["Filters"]
	if len(ids) > 0 && len(fs) > 0 {
		return nil, newError("InvalidParameter", "The parameters `InstanceIds` and `Filters` cannot be specified at the same time.")
	}
	if len(ids) > maxIDs {
		return nil, newError("InvalidParameterValue.LimitExceeded", "The parameter `InstanceIds` has %d elements; at most %d are allowed per request.", len(ids), maxIDs)
	}
	for _, id := range ids {
		if !validInstanceID(id) {
			return nil, newError("InvalidInstanceId.Malformed", "The instance ID `%s` is malformed: an instance ID is \"ins-\" followed by 8 lowercase letters or digits, such as ins-r8hr2upy.", id)
		}
	}
	match, aerr := instanceFilters(fs)
	if aerr != nil {
		return nil, aerr
	}
	if len(ids) == 0 {
		s.applyChurn(c.region, c.faults)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var matches []*instanceRecord
	if rs := s.regions[c.region]; rs != nil {
		if len(ids) > 0 {
			matches = lookup(rs, ids)
		} else {
			for _, rec := range rs.sorted {
				if match(rec, c.now) {
					matches = append(matches, rec)
				}
			}
		}
	}
	resp := &describeInstancesResponse{TotalCount: len(matches), InstanceSet: []instanceDetails{}}
	if offset < int64(len(matches)) {
		for _, rec := range matches[offset:min(int64(len(matches)), offset+limit)] {
			resp.InstanceSet = append(resp.InstanceSet, detailsOf(rec, c.region, c.now))
		}
	}
	return resp, nil
}

// lookup is the records of ids that exist, in the order given, each once.
func lookup(rs *regionStore, ids []string) []*instanceRecord {
	seen := make(map[string]bool, len(ids))
	var out []*instanceRecord
	for _, id := range ids {
		if rec, ok := rs.byID[id]; ok && !seen[id] {
			seen[id] = true
			out = append(out, rec)
		}
	}
	return out
}
