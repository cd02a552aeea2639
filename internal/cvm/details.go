package cvm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// The detail actions' names, and their documented rates (requests a second,
// per account).
const (
	actionDescribeInstances = "DescribeInstances"
	actionDescribeTaskInfo  = "DescribeTaskInfo"

	DescribeInstancesRate = 40
	DescribeTaskInfoRate  = 20
)

// taskInfoRegion is the one region DescribeTaskInfo is served in; it answers
// the tasks of every region.
const taskInfoRegion = "ap-guangzhou"

// taskSearchFrom is DescribeTaskInfo's StartDate. Left out, it is today
// 00:00:00, and a task scheduled last week would pass unseen; the service
// filters on CreateTime, so a date before any task finds all that are open.
const taskSearchFrom = "2000-01-01 00:00:00"

// openTaskStatuses are the TaskStatus values of a task that has not ended,
// and the words Details gives them. 3 (ended), 5 (cancelled) and 6 (avoided)
// are closed.
var openTaskStatuses = map[int64]string{1: "PENDING_AUTHORIZATION", 2: "PROCESSING", 4: "SCHEDULED"}

// taskTypes names DescribeTaskInfo's TaskTypeId values in English, for
// reasons; the service's own TaskTypeName is Chinese.
var taskTypes = map[int64]string{
	101: "run risk", 102: "run error", 103: "disk error", 104: "network error",
	105: "run warning", 106: "disk warning", 107: "maintenance upgrade",
}

// instanceDetailsAnswer is DescribeInstances's answer, the fields the
// operation and restriction checks read.
type instanceDetailsAnswer struct {
	Response struct {
		tcapi.ResponseHeader
		TotalCount  *int64 `json:"TotalCount"`
		InstanceSet []struct {
			InstanceID               string  `json:"InstanceId"`
			LatestOperation          *string `json:"LatestOperation"`
			LatestOperationState     *string `json:"LatestOperationState"`
			LatestOperationErrorMsg  *string `json:"LatestOperationErrorMsg"`
			LatestOperationRequestID *string `json:"LatestOperationRequestId"`
			RestrictState            *string `json:"RestrictState"`
			IsolatedSource           *string `json:"IsolatedSource"`
			ExpiredTime              *string `json:"ExpiredTime"`
		} `json:"InstanceSet"`
	} `json:"Response"`
}

func (a *instanceDetailsAnswer) Header() *tcapi.ResponseHeader { return &a.Response.ResponseHeader }
func (a *instanceDetailsAnswer) Reset()                        { *a = instanceDetailsAnswer{} }
func (a *instanceDetailsAnswer) Check() error {
	r := &a.Response
	if r.TotalCount == nil || *r.TotalCount < 0 || *r.TotalCount > maxTotalCount {
		return errors.New("the answer has no valid TotalCount")
	}
	if len(r.InstanceSet) > PageSize {
		return fmt.Errorf("the answer holds %d instances, more than a page of %d", len(r.InstanceSet), PageSize)
	}
	for i, s := range r.InstanceSet {
		if !ValidInstanceID(s.InstanceID) {
			return fmt.Errorf("the answer's InstanceSet[%d] has no valid InstanceId", i)
		}
	}
	return nil
}

// taskInfoAnswer is DescribeTaskInfo's answer.
type taskInfoAnswer struct {
	Response struct {
		tcapi.ResponseHeader
		TotalCount        *int64 `json:"TotalCount"`
		RepairTaskInfoSet []struct {
			TaskID       string  `json:"TaskId"`
			InstanceID   string  `json:"InstanceId"`
			TaskTypeID   int64   `json:"TaskTypeId"`
			TaskTypeName string  `json:"TaskTypeName"`
			TaskStatus   int64   `json:"TaskStatus"`
			CreateTime   string  `json:"CreateTime"`
			AuthTime     *string `json:"AuthTime"`
		} `json:"RepairTaskInfoSet"`
	} `json:"Response"`
}

func (a *taskInfoAnswer) Header() *tcapi.ResponseHeader { return &a.Response.ResponseHeader }
func (a *taskInfoAnswer) Reset()                        { *a = taskInfoAnswer{} }
func (a *taskInfoAnswer) Check() error {
	r := &a.Response
	if r.TotalCount == nil || *r.TotalCount < 0 || *r.TotalCount > maxTotalCount {
		return errors.New("the answer has no valid TotalCount")
	}
	if len(r.RepairTaskInfoSet) > PageSize {
		return fmt.Errorf("the answer holds %d tasks, more than a page of %d", len(r.RepairTaskInfoSet), PageSize)
	}
	for i, t := range r.RepairTaskInfoSet {
		if t.TaskID == "" || !ValidInstanceID(t.InstanceID) {
			return fmt.Errorf("the answer's RepairTaskInfoSet[%d] has no valid TaskId or InstanceId", i)
		}
	}
	return nil
}

type taskInfoRequest struct {
	InstanceIds []string `json:"InstanceIds"`
	TaskStatus  []int64  `json:"TaskStatus"`
	StartDate   string   `json:"StartDate"`
	OrderField  string   `json:"OrderField"`
	Order       int      `json:"Order"`
	Offset      int      `json:"Offset"`
	Limit       int      `json:"Limit"`
}

// detailsTable collects, from several goroutines, what each check found
// about each instance.
type detailsTable struct {
	mu sync.Mutex
	m  map[string]*Details
}

func newDetailsTable(ids []string) *detailsTable {
	t := &detailsTable{m: make(map[string]*Details, len(ids))}
	for _, id := range ids {
		t.m[id] = &Details{}
	}
	return t
}

// update runs f on the details of id, which must be one asked for.
func (t *detailsTable) update(action, id string, f func(*Details)) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	d, ok := t.m[id]
	if !ok {
		return fmt.Errorf("%s answered instance %s, which was not asked for", action, id)
	}
	f(d)
	return nil
}

// readDetails reads what checks include about the instances ids (unique,
// well-formed), every check's action at once, into table. It reads all of
// them or fails.
func (c *Client) readDetails(ctx context.Context, region string, ids []string, checks Checks, table *detailsTable) error {
	described := checks.Operation || checks.Restriction
	var reads []func(context.Context) error
	switch {
	case checks.Maintenance:
		reads = append(reads, func(ctx context.Context) error { return c.readMaintenanceTasks(ctx, region, ids, described, table) })
	case described:
		reads = append(reads, func(ctx context.Context) error { return c.readInstanceDetails(ctx, region, ids, table) })
	}
	if checks.Agent {
		reads = append(reads, func(ctx context.Context) error { return c.readAgents(ctx, region, ids, table) })
	}
	return runAll(ctx, reads)
}

// readInstanceDetails reads the operation and restriction fields with
// DescribeInstances, 100 IDs a request.
func (c *Client) readInstanceDetails(ctx context.Context, region string, ids []string, table *detailsTable) error {
	chunks := (len(ids) + PageSize - 1) / PageSize
	return c.parallel(ctx, chunks, func(ctx context.Context, i int) error {
		return c.readInstanceDetailsChunk(ctx, region, ids[i*PageSize:min((i+1)*PageSize, len(ids))], table)
	})
}

// readInstanceDetailsChunk reads the operation and restriction fields of
// at most 100 instances in one DescribeInstances request. Every instance it
// reports exists, which also confirms an absence of open tasks read before
// (Details.seenAfterTasks).
func (c *Client) readInstanceDetailsChunk(ctx context.Context, region string, chunk []string, table *detailsTable) error {
	var a instanceDetailsAnswer
	// Limit must be sent: its default of 20 applies to ID lookups too.
	err := c.send(ctx, region, actionDescribeInstances, describeRequest{InstanceIds: chunk, Limit: len(chunk)}, &a,
		slog.Int("instance_id_count", len(chunk)))
	if err != nil {
		return err
	}
	r := &a.Response
	if int64(len(r.InstanceSet)) != *r.TotalCount {
		return fmt.Errorf("DescribeInstances in %s answered %d of the %d instances it counted for %d IDs: %w",
			region, len(r.InstanceSet), *r.TotalCount, len(chunk), ErrListingUnstable)
	}
	for _, s := range r.InstanceSet {
		err := table.update(actionDescribeInstances, s.InstanceID, func(d *Details) {
			d.Described, d.seenAfterTasks = true, d.tasksRead
			d.LatestOperation = deref(s.LatestOperation)
			d.LatestOperationState = deref(s.LatestOperationState)
			d.LatestOperationError = deref(s.LatestOperationErrorMsg)
			d.LatestOperationRequestID = deref(s.LatestOperationRequestID)
			d.RestrictState = deref(s.RestrictState)
			d.IsolatedSource = deref(s.IsolatedSource)
			d.ExpiredTime = deref(s.ExpiredTime)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// readMaintenanceTasks reads the open maintenance tasks of ids with
// DescribeTaskInfo, 100 IDs a request. A request whose tasks do not fit in
// one answer is split in two, down to single instances, whose tasks are
// then paged (taskPages).
//
// DescribeTaskInfo is silent both about an instance without open tasks and
// about one that no longer exists, so its silence is evidence only for an
// instance that still existed once it had answered: each chunk's tasks are
// read first, and the chunk is then read again by an action that reports
// the instances themselves, DescribeInstances when the operation or
// restriction check reads it anyway (described: no request more), else
// DescribeInstancesStatus. An instance terminated in between is not ready
// for want of that evidence (Checks.reasons), rather than ready without its
// tasks. Chunk by chunk, the second action follows the first at once, and
// a read still takes about what DescribeTaskInfo alone does at its rate.
func (c *Client) readMaintenanceTasks(ctx context.Context, region string, ids []string, described bool, table *detailsTable) error {
	chunks := (len(ids) + PageSize - 1) / PageSize
	return c.parallel(ctx, chunks, func(ctx context.Context, i int) error {
		chunk := ids[i*PageSize : min((i+1)*PageSize, len(ids))]
		if err := c.readTaskChunk(ctx, chunk, table); err != nil {
			return err
		}
		for _, id := range chunk {
			if err := table.update(actionDescribeTaskInfo, id, func(d *Details) { d.tasksRead = true }); err != nil {
				return err
			}
		}
		if described {
			return c.readInstanceDetailsChunk(ctx, region, chunk, table)
		}
		return c.confirmAfterTasks(ctx, region, chunk, table)
	})
}

// confirmAfterTasks reads the states of chunk (at most 100 instances) after
// their tasks were read, to mark those that still exist.
func (c *Client) confirmAfterTasks(ctx context.Context, region string, chunk []string, table *detailsTable) error {
	p, err := c.describe(ctx, region, describeRequest{InstanceIds: chunk, Limit: len(chunk)})
	if err != nil {
		return err
	}
	for _, s := range p.instances {
		if err := table.update(actionDescribe, s.InstanceID, func(d *Details) { d.seenAfterTasks = true }); err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) readTaskChunk(ctx context.Context, ids []string, table *detailsTable) error {
	a, err := c.taskPage(ctx, ids, 0)
	if err != nil {
		return err
	}
	r := &a.Response
	if *r.TotalCount > int64(len(r.RepairTaskInfoSet)) {
		if len(ids) > 1 {
			half := len(ids) / 2
			return runAll(ctx, []func(context.Context) error{
				func(ctx context.Context) error { return c.readTaskChunk(ctx, ids[:half], table) },
				func(ctx context.Context) error { return c.readTaskChunk(ctx, ids[half:], table) },
			})
		}
		return c.taskPages(ctx, ids[0], a, table)
	}
	return addTasks(a, table)
}

// taskPages reads every open task of one instance whose first page, first,
// did not hold them all. Pages overlap by one task, and each must share its
// first task with the end of the one before and count the same total: a
// task that opens or closes meanwhile shifts the pages, which would
// otherwise hide a task, so the instance is read again (ErrListingUnstable
// after DefaultListRestarts tries).
func (c *Client) taskPages(ctx context.Context, id string, first *taskInfoAnswer, table *detailsTable) error {
	for try := 0; ; try++ {
		pages, err := c.overlappingTaskPages(ctx, id, first)
		if err == nil {
			for _, p := range pages {
				if err := addTasks(p, table); err != nil {
					return err
				}
			}
			return nil
		}
		if !errors.Is(err, ErrListingUnstable) || try == c.cfg.ListRestarts {
			return err
		}
		if first, err = c.taskPage(ctx, []string{id}, 0); err != nil {
			return err
		}
	}
}

func (c *Client) overlappingTaskPages(ctx context.Context, id string, first *taskInfoAnswer) ([]*taskInfoAnswer, error) {
	pages := []*taskInfoAnswer{first}
	total := *first.Response.TotalCount
	for offset := int64(listStride); offset+1 < total; offset += listStride {
		p, err := c.taskPage(ctx, []string{id}, int(offset))
		if err != nil {
			return nil, err
		}
		prev := pages[len(pages)-1].Response.RepairTaskInfoSet
		set := p.Response.RepairTaskInfoSet
		if *p.Response.TotalCount != total || len(set) == 0 || len(prev) == 0 || set[0].TaskID != prev[len(prev)-1].TaskID {
			return nil, fmt.Errorf("the maintenance tasks of %s changed while they were being read: %w", id, ErrListingUnstable)
		}
		pages = append(pages, p)
	}
	return pages, nil
}

// taskPage sends one DescribeTaskInfo request for the open tasks of ids.
func (c *Client) taskPage(ctx context.Context, ids []string, offset int) (*taskInfoAnswer, error) {
	a := &taskInfoAnswer{}
	req := taskInfoRequest{InstanceIds: ids, TaskStatus: []int64{1, 2, 4}, StartDate: taskSearchFrom,
		OrderField: "CreateTime", Offset: offset, Limit: PageSize}
	err := c.send(ctx, taskInfoRegion, actionDescribeTaskInfo, req, a,
		slog.Int("offset", offset), slog.Int("instance_id_count", len(ids)))
	return a, err
}

// addTasks records a page's open tasks; any other status is one the request
// did not ask for, and is left out.
func addTasks(a *taskInfoAnswer, table *detailsTable) error {
	for _, t := range a.Response.RepairTaskInfoSet {
		status, open := openTaskStatuses[t.TaskStatus]
		if !open {
			continue
		}
		task := MaintenanceTask{TaskID: t.TaskID, TypeID: t.TaskTypeID, TypeName: t.TaskTypeName, Status: status,
			CreatedTime: t.CreateTime, AuthTime: deref(t.AuthTime)}
		err := table.update(actionDescribeTaskInfo, t.InstanceID, func(d *Details) {
			for _, seen := range d.MaintenanceTasks {
				if seen.TaskID == task.TaskID {
					return // on two overlapping pages
				}
			}
			d.MaintenanceTasks = append(d.MaintenanceTasks, task)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// readAgents reads the TAT agents through Config.Agents.
func (c *Client) readAgents(ctx context.Context, region string, ids []string, table *detailsTable) error {
	if c.cfg.Agents == nil {
		return errors.New("the agent check needs a TAT client, and none was configured")
	}
	agents, err := c.cfg.Agents.Agents(ctx, region, ids)
	if err != nil {
		return err
	}
	for id, agent := range agents {
		if err := table.update("DescribeAutomationAgentStatus", id, func(d *Details) { d.Agent = &agent }); err != nil {
			return err
		}
	}
	return nil
}

// runAll runs fns at once; the first error cancels the others, and is
// returned once all have stopped.
func runAll(ctx context.Context, fns []func(context.Context) error) error {
	g, gctx := errgroup.WithContext(ctx)
	for _, fn := range fns {
		g.Go(func() error { return fn(gctx) })
	}
	return g.Wait()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
