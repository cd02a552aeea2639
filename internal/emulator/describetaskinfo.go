package emulator

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// taskZone is the time zone of DescribeTaskInfo's "YYYY-MM-DD hh:mm:ss"
// times and of its "today": the emulator's choice, China Standard Time,
// the service's own (the page gives no zone).
var taskZone = time.FixedZone("UTC+8", 8*60*60)

// taskInfoRegion is the one region the DescribeTaskInfo page lists ("本接口
// 仅支持其中的: ap-guangzhou", https://cloud.tencent.com/document/api/213/87933);
// it answers the tasks of every region, each naming its Region.
const taskInfoRegion = "ap-guangzhou"

// repairTaskInfo is an element of RepairTaskInfoSet (the SDK's
// RepairTaskInfo), the fields the emulator knows; the rest are null.
type repairTaskInfo struct {
	TaskId        string  `json:"TaskId"`
	InstanceId    string  `json:"InstanceId"`
	Alias         string  `json:"Alias"`
	TaskTypeId    int     `json:"TaskTypeId"`
	TaskTypeName  string  `json:"TaskTypeName"`
	TaskStatus    int     `json:"TaskStatus"`
	DeviceStatus  int     `json:"DeviceStatus"`
	OperateStatus int     `json:"OperateStatus"`
	CreateTime    string  `json:"CreateTime"`
	AuthTime      *string `json:"AuthTime"`
	EndTime       *string `json:"EndTime"`
	TaskDetail    *string `json:"TaskDetail"`
	Zone          string  `json:"Zone"`
	Region        string  `json:"Region"`
	Product       string  `json:"Product"`
}

type describeTaskInfoResponse struct {
	TotalCount        int              `json:"TotalCount"`
	RepairTaskInfoSet []repairTaskInfo `json:"RepairTaskInfoSet"`
	RequestId         string           `json:"RequestId"`
}

func (r *describeTaskInfoResponse) setRequestID(id string) { r.RequestId = id }

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// taskQuery is DescribeTaskInfo's request, checked.
type taskQuery struct {
	offset, limit           int64
	statuses, types         []int64
	taskIDs, ids, aliases   []string
	start, end              time.Time
	orderField              string
	descending, noneProduct bool
}

func badTaskValue(format string, args ...any) *apiError {
	return newError("InvalidParameterValue", format, args...)
}

func readTaskQuery(c *call) (taskQuery, *apiError) {
	p := c.params
	q := taskQuery{statuses: p.intList["TaskStatus"], types: p.intList["TaskTypeIds"],
		taskIDs: p.lists["TaskIds"], ids: p.lists["InstanceIds"], aliases: p.lists["Aliases"]}
	q.offset, _ = p.integer("Offset")
	limit, ok := p.integer("Limit")
	if !ok {
		limit = defaultLimit
	}
	switch {
	case q.offset < 0:
		return q, badTaskValue("The value of parameter `Offset` is invalid: %d; it must be 0 or more.", q.offset)
	case limit < 1 || limit > maxLimit:
		return q, badTaskValue("The value of parameter `Limit` is invalid: %d; it must be between 1 and %d.", limit, maxLimit)
	}
	q.limit = limit
	switch product := p.strings["Product"]; product {
	case "", "CVM":
	case "CDH", "CPM2.0":
		q.noneProduct = true // the emulator's instances are all CVM
	default:
		return q, badTaskValue("The value of parameter `Product` is invalid: %q; use CVM, CDH or CPM2.0.", product)
	}
	for _, st := range q.statuses {
		if st < 1 || st > 6 {
			return q, badTaskValue("The value of parameter `TaskStatus` is invalid: %d; task statuses are 1 to 6.", st)
		}
	}
	for _, ty := range q.types {
		if taskTypeNames[int(ty)] == "" {
			return q, badTaskValue("The value of parameter `TaskTypeIds` is invalid: %d; task types are 101 to 107.", ty)
		}
	}
	for _, id := range q.ids {
		if !validInstanceID(id) {
			return q, badTaskValue("The instance ID `%s` is malformed: an instance ID is \"ins-\" followed by 8 lowercase letters or digits.", id)
		}
	}
	local := c.now.In(taskZone)
	q.start = time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, taskZone)
	q.end = c.now
	for name, dst := range map[string]*time.Time{"StartDate": &q.start, "EndDate": &q.end} {
		if v, ok := p.strings[name]; ok {
			t, err := time.ParseInLocation(taskTimeLayout, v, taskZone)
			if err != nil {
				return q, badTaskValue("The value of parameter `%s` is invalid: %q; write YYYY-MM-DD hh:mm:ss.", name, v)
			}
			*dst = t
		}
	}
	switch q.orderField = cmpOr(p.strings["OrderField"], "CreateTime"); q.orderField {
	case "CreateTime", "AuthTime", "EndTime":
	default:
		return q, badTaskValue("The value of parameter `OrderField` is invalid: %q; use CreateTime, AuthTime or EndTime.", q.orderField)
	}
	switch order, _ := p.integer("Order"); order {
	case 0:
	case 1:
		q.descending = true
	default:
		return q, badTaskValue("The value of parameter `Order` is invalid: %d; use 0 (ascending) or 1 (descending).", order)
	}
	return q, nil
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func matchAny[T comparable](list []T, v T) bool { return len(list) == 0 || slices.Contains(list, v) }

func (s *Server) describeTaskInfo(c *call) (answer, *apiError) {
	if c.region != taskInfoRegion {
		return nil, newError("UnsupportedRegion", "DescribeTaskInfo is served in %s only, for the tasks of every region; got `%s`.", taskInfoRegion, c.region)
	}
	q, aerr := readTaskQuery(c)
	if aerr != nil {
		return nil, aerr
	}
	resp := &describeTaskInfoResponse{RepairTaskInfoSet: []repairTaskInfo{}}
	if q.noneProduct {
		return resp, nil
	}
	var found []repairTaskInfo
	s.mu.RLock()
	for _, region := range slices.Sorted(maps.Keys(s.regions)) {
		for _, rec := range s.regions[region].sorted {
			if !matchAny(q.ids, rec.id) || !matchAny(q.aliases, rec.id) {
				continue
			}
			for _, t := range rec.readinessAt(c.now).MaintenanceTasks {
				created, _ := time.ParseInLocation(taskTimeLayout, t.CreateTime, taskZone) // checked at load
				if created.Before(q.start) || created.After(q.end) || !matchAny(q.taskIDs, t.TaskId) ||
					!matchAny(q.statuses, int64(t.TaskStatus)) || !matchAny(q.types, int64(t.TaskTypeId)) {
					continue
				}
				found = append(found, repairTaskInfo{
					TaskId: t.TaskId, InstanceId: rec.id, Alias: rec.id, TaskTypeId: t.TaskTypeId,
					TaskTypeName: taskTypeNames[t.TaskTypeId], TaskStatus: t.TaskStatus,
					DeviceStatus: t.TaskStatus, OperateStatus: t.TaskStatus, // the three enumerations line up
					CreateTime: t.CreateTime, AuthTime: optional(t.AuthTime), EndTime: optional(t.EndTime),
					Zone: region + "-1", Region: region, Product: "CVM",
				})
			}
		}
	}
	s.mu.RUnlock()
	key := func(t repairTaskInfo) string {
		switch q.orderField {
		case "AuthTime":
			return derefOr(t.AuthTime)
		case "EndTime":
			return derefOr(t.EndTime)
		}
		return t.CreateTime
	}
	slices.SortStableFunc(found, func(a, b repairTaskInfo) int {
		if q.descending {
			a, b = b, a
		}
		return cmpStrings(key(a), key(b), a.TaskId, b.TaskId)
	})
	resp.TotalCount = len(found)
	if q.offset < int64(len(found)) {
		resp.RepairTaskInfoSet = found[q.offset:min(int64(len(found)), q.offset+q.limit)]
	}
	return resp, nil
}

func derefOr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// cmpStrings orders by the key, then by task ID so that pages are stable.
func cmpStrings(ka, kb, ia, ib string) int {
	if c := strings.Compare(ka, kb); c != 0 {
		return c
	}
	return strings.Compare(ia, ib)
}
