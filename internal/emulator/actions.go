package emulator

import (
	"maps"
	"slices"
	"time"
)

// call is one authenticated API call on its way to its action.
type call struct {
	action    string
	params    *boundParams
	region    string
	secretID  string
	now       time.Time
	faults    *faultDraw
	auth      *authState // the credentials and identities in force
	caller    principal  // who signed; zero for unsigned actions
	temporary bool       // the caller signed with a temporary credential
	who       *requester // for the log and the stats; unsigned actions fill it in
}

type actionDef struct {
	service string
	version string
	// needsRegion: the action's page marks the common parameter Region
	// required (DescribeInstancesStatus and every STS action, though STS
	// is global).
	needsRegion bool
	unsigned    bool // sent with Authorization: SKIP, as AssumeRoleWithWebIdentity is
	// rateLimit is the action's own documented requests per second, which
	// it keeps whenever rate limiting is on (Config.RateLimit > 0); 0: it
	// takes Config.RateLimit.
	rateLimit float64
	params    paramSpec
	handle    func(s *Server, c *call) (answer, *apiError)
}

// actions are the API actions the emulator serves, by name.
var actions map[string]actionDef

func init() {
	actions = map[string]actionDef{
		"DescribeInstancesStatus": {
			service: "cvm", version: "2017-03-12", needsRegion: true,
			params: paramSpec{"InstanceIds": kindStringList, "Offset": kindInteger, "Limit": kindInteger},
			handle: (*Server).describeInstancesStatus,
		},
		// 40 requests/s: "A maximum of 40 requests can be initiated per
		// second for this API", https://www.tencentcloud.com/document/product/213/33258
		"DescribeInstances": {
			service: "cvm", version: "2017-03-12", needsRegion: true, rateLimit: 40,
			params: paramSpec{"InstanceIds": kindStringList, "Filters": kindFilterList, "Offset": kindInteger, "Limit": kindInteger},
			handle: (*Server).describeInstances,
		},
		// 20 requests/s: "默认接口请求频率限制：20次/秒",
		// https://cloud.tencent.com/document/api/213/87933
		"DescribeTaskInfo": {
			service: "cvm", version: "2017-03-12", needsRegion: true, rateLimit: 20,
			params: paramSpec{
				"Limit": kindInteger, "Offset": kindInteger, "Product": kindString, "TaskStatus": kindIntegerList,
				"TaskTypeIds": kindIntegerList, "TaskIds": kindStringList, "InstanceIds": kindStringList,
				"Aliases": kindStringList, "StartDate": kindString, "EndDate": kindString,
				"OrderField": kindString, "Order": kindInteger,
			},
			handle: (*Server).describeTaskInfo,
		},
		// 60 requests/s, as the current API page gives it (the project's API
		// notes, "Readiness"); older pages, such as the 2023 international
		// https://www.tencentcloud.com/document/product/1147/46698, say 20.
		"DescribeAutomationAgentStatus": {
			service: "tat", version: tatVersion, needsRegion: true, rateLimit: 60,
			params: paramSpec{"InstanceIds": kindStringList, "Filters": kindFilterList, "Offset": kindInteger, "Limit": kindInteger},
			handle: (*Server).describeAutomationAgentStatus,
		},
		"AssumeRole": {
			service: "sts", version: stsVersion, needsRegion: true,
			params: paramSpec{
				"RoleArn": kindString, "RoleSessionName": kindString, "DurationSeconds": kindInteger,
				"Policy": kindString, "ExternalId": kindString, "SourceIdentity": kindString,
				"SerialNumber": kindString, "TokenCode": kindString,
			},
			handle: (*Server).assumeRole,
		},
		"AssumeRoleWithWebIdentity": {
			service: "sts", version: stsVersion, needsRegion: true, unsigned: true,
			params: paramSpec{
				"ProviderId": kindString, "WebIdentityToken": kindString, "RoleArn": kindString,
				"RoleSessionName": kindString, "DurationSeconds": kindInteger,
			},
			handle: (*Server).assumeRoleWithWebIdentity,
		},
		"AssumeRoleWithSAML": {
			service: "sts", version: stsVersion, needsRegion: true, unsigned: true,
			params: paramSpec{
				"SAMLAssertion": kindString, "PrincipalArn": kindString, "RoleArn": kindString,
				"RoleSessionName": kindString, "DurationSeconds": kindInteger,
			},
			handle: (*Server).assumeRoleWithSAML,
		},
		"GetSessionToken": {
			service: "sts", version: stsVersion, needsRegion: true,
			params: paramSpec{"SerialNumber": kindString, "TokenCode": kindString, "DurationSeconds": kindInteger},
			handle: (*Server).getSessionToken,
		},
		"GetCallerIdentity": {
			service: "sts", version: stsVersion, needsRegion: true,
			params: paramSpec{},
			handle: (*Server).getCallerIdentity,
		},
	}
}

// ownRateLimits are the actions that have a rate limit of their own.
func ownRateLimits() map[string]float64 {
	own := map[string]float64{}
	for name, def := range actions {
		if def.rateLimit > 0 {
			own[name] = def.rateLimit
		}
	}
	return own
}

func actionNames() []string { return slices.Sorted(maps.Keys(actions)) }

// answer is an action's successful result; the server stamps its RequestId.
type answer interface{ setRequestID(string) }

func (r *describeInstancesStatusResponse) setRequestID(id string) { r.RequestId = id }
func (r *stsCredentialsResponse) setRequestID(id string)          { r.RequestId = id }
func (r *callerIdentityResponse) setRequestID(id string)          { r.RequestId = id }

// DescribeInstancesStatus limits.
const (
	defaultLimit = 20
	maxLimit     = 100
	maxIDs       = 100
)

type instanceStatus struct {
	InstanceId    string `json:"InstanceId"`
	InstanceState string `json:"InstanceState"`
}

type describeInstancesStatusResponse struct {
	TotalCount        int              `json:"TotalCount"`
	InstanceStatusSet []instanceStatus `json:"InstanceStatusSet"`
	RequestId         string           `json:"RequestId"`
}

func (s *Server) describeInstancesStatus(c *call) (answer, *apiError) {
	offset, hasOffset := c.params.integer("Offset")
	if !hasOffset {
		offset = 0
	}
	if offset < 0 {
		return nil, newError("InvalidParameterValue", "The value of parameter `Offset` is invalid: %d; it must be 0 or more.", offset)
	}
	limit, hasLimit := c.params.integer("Limit")
	if !hasLimit {
		limit = defaultLimit
	}
	if limit > maxLimit {
		return nil, newError("InvalidParameterValue.LimitExceeded", "The value of parameter `Limit` is %d; the maximum is %d.", limit, maxLimit)
	}
	if limit < 1 {
		return nil, newError("InvalidParameterValue", "The value of parameter `Limit` is invalid: %d; it must be between 1 and %d.", limit, maxLimit)
	}
	ids := c.params.lists["InstanceIds"]
	if len(ids) > maxIDs {
		return nil, newError("InvalidParameterValue.LimitExceeded", "The parameter `InstanceIds` has %d elements; at most %d are allowed per request.", len(ids), maxIDs)
	}
	for _, id := range ids {
		if !validInstanceID(id) {
			return nil, newError("InvalidInstanceId.Malformed", "The instance ID `%s` is malformed: an instance ID is \"ins-\" followed by 8 lowercase letters or digits, such as ins-r8hr2upy.", id)
		}
	}

	resp := &describeInstancesStatusResponse{InstanceStatusSet: []instanceStatus{}}
	if len(ids) == 0 {
		// Listing: an empty InstanceIds means all, as the service reads it.
		s.applyChurn(c.region, c.faults)
		s.mu.RLock()
		defer s.mu.RUnlock()
		rs := s.regions[c.region]
		if rs == nil {
			return resp, nil
		}
		resp.TotalCount = len(rs.sorted)
		if offset < int64(len(rs.sorted)) {
			end := min(int64(len(rs.sorted)), offset+limit)
			page := rs.sorted[offset:end]
			resp.InstanceStatusSet = make([]instanceStatus, len(page))
			for i, rec := range page {
				resp.InstanceStatusSet[i] = instanceStatus{rec.id, rec.stateAt(c.now)}
			}
		}
		return resp, nil
	}

	s.mu.RLock()
	defer s.mu.RUnlock()
	rs := s.regions[c.region]
	seen := make(map[string]bool, len(ids))
	var matches []*instanceRecord
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if rs == nil {
			continue
		}
		if rec, ok := rs.byID[id]; ok {
			matches = append(matches, rec)
		}
	}
	resp.TotalCount = len(matches)
	if offset < int64(len(matches)) {
		end := min(int64(len(matches)), offset+limit)
		for _, rec := range matches[offset:end] {
			resp.InstanceStatusSet = append(resp.InstanceStatusSet, instanceStatus{rec.id, rec.stateAt(c.now)})
		}
	}
	return resp, nil
}
