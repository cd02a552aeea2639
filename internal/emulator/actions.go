package emulator

import (
	"maps"
	"regexp"
	"slices"
	"time"
)

// call is one authenticated API call on its way to its action.
type call struct {
	params   *boundParams
	region   string
	secretID string
	now      time.Time
	faults   *faultDraw
}

type actionDef struct {
	service     string
	version     string
	needsRegion bool
	params      paramSpec
	handle      func(s *Server, c *call) (answer, *apiError)
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
		"AssumeRole": {
			service: "sts", version: "2018-08-13",
			params: paramSpec{
				"RoleArn": kindString, "RoleSessionName": kindString, "DurationSeconds": kindInteger,
				"Policy": kindString, "ExternalId": kindString,
			},
			handle: (*Server).assumeRole,
		},
	}
}

func actionNames() []string { return slices.Sorted(maps.Keys(actions)) }

// answer is an action's successful result; the server stamps its RequestId.
type answer interface{ setRequestID(string) }

func (r *describeInstancesStatusResponse) setRequestID(id string) { r.RequestId = id }
func (r *assumeRoleResponse) setRequestID(id string)              { r.RequestId = id }

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

type stsCredentials struct {
	Token        string `json:"Token"`
	TmpSecretId  string `json:"TmpSecretId"`
	TmpSecretKey string `json:"TmpSecretKey"`
}

type assumeRoleResponse struct {
	Credentials stsCredentials `json:"Credentials"`
	ExpiredTime int64          `json:"ExpiredTime"`
	Expiration  string         `json:"Expiration"`
	RequestId   string         `json:"RequestId"`
}

var (
	roleArnPattern     = regexp.MustCompile(`^qcs::cam::uin/[0-9]+:roleName/[\w+=,.@-]+$`)
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,128}$`)
)

const (
	defaultAssumeRoleSeconds = 7200
	maxAssumeRoleSeconds     = 43200
)

func (s *Server) assumeRole(c *call) (answer, *apiError) {
	arn, ok := c.params.strings["RoleArn"]
	if !ok {
		return nil, newError("MissingParameter", "The request is missing the required parameter `RoleArn`.")
	}
	if !roleArnPattern.MatchString(arn) {
		return nil, newError("InvalidParameter", "The parameter `RoleArn` is invalid: %q; expected qcs::cam::uin/<account ID>:roleName/<role name>.", arn)
	}
	session, ok := c.params.strings["RoleSessionName"]
	if !ok {
		return nil, newError("MissingParameter", "The request is missing the required parameter `RoleSessionName`.")
	}
	if !sessionNamePattern.MatchString(session) {
		return nil, newError("InvalidParameter", "The parameter `RoleSessionName` is invalid: %q; use 2 to 128 letters, digits or the characters +=,.@-_.", session)
	}
	seconds, ok := c.params.integer("DurationSeconds")
	if !ok {
		seconds = defaultAssumeRoleSeconds
	}
	if seconds <= 0 || seconds > maxAssumeRoleSeconds {
		return nil, newError("InvalidParameterValue", "The value of parameter `DurationSeconds` is %d; it must be between 1 and %d.", seconds, maxAssumeRoleSeconds)
	}
	if p := c.params.strings["Policy"]; len(p) > 2048 {
		return nil, newError("InvalidParameterValue", "The parameter `Policy` is %d characters long; at most 2048 are allowed.", len(p))
	}
	issued := s.temp.issue(c.now, time.Duration(seconds)*time.Second)
	s.log.Info("role assumed", "role_arn", arn, "session", session, "by", c.secretID, "secret_id", issued.id,
		"expires", issued.expires.UTC().Format(time.RFC3339))
	return &assumeRoleResponse{
		Credentials: stsCredentials{Token: issued.token, TmpSecretId: issued.id, TmpSecretKey: issued.key},
		ExpiredTime: issued.expires.Unix(),
		Expiration:  issued.expires.UTC().Format(time.RFC3339),
	}, nil
}
