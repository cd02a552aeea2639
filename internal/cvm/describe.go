package cvm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// InstanceStatus is the state of one instance.
type InstanceStatus struct {
	InstanceID string
	State      string
	// Details holds what the read's readiness checks found; nil when it
	// included none.
	Details *Details
	// Reasons says why the instance is not ready, as a person would write
	// it ("state STOPPED", "TAT agent Offline since …"); empty when it is.
	// Filled by reads that judge readiness (Read, and waits).
	Reasons []string
}

// Ready reports whether the read found nothing that keeps s from being
// ready. It means something only for reads that judge readiness.
func (s InstanceStatus) Ready() bool { return s.State == "RUNNING" && len(s.Reasons) == 0 }

// Result is the answer to one read.
type Result struct {
	// Instances holds, for a read by ID, the instances found in the order
	// asked for (each once); for a listing, every instance sorted by ID.
	Instances []InstanceStatus
	// Missing holds the IDs asked for that the service does not know, in
	// the order asked for.
	Missing []string
	// Checks are the readiness checks the read included.
	Checks Checks
}

// describeAnswer is DescribeInstancesStatus's answer envelope.
type describeAnswer struct {
	Response struct {
		tcapi.ResponseHeader
		TotalCount        *int64 `json:"TotalCount"`
		InstanceStatusSet []struct {
			InstanceID    string `json:"InstanceId"`
			InstanceState string `json:"InstanceState"`
		} `json:"InstanceStatusSet"`
	} `json:"Response"`

	page page // what check found in Response
}

func (a *describeAnswer) Header() *tcapi.ResponseHeader { return &a.Response.ResponseHeader }
func (a *describeAnswer) Reset()                        { *a = describeAnswer{} }
func (a *describeAnswer) Check() (err error)            { a.page, err = decodePage(a); return err }

type describeRequest struct {
	InstanceIds []string `json:"InstanceIds,omitempty"`
	Offset      int      `json:"Offset"`
	Limit       int      `json:"Limit"`
}

// page is one validated answer.
type page struct {
	total     int
	instances []InstanceStatus
}

// maxTotalCount bounds the TotalCount an answer may claim. It is far above
// any account's quota of instances, and keeps a corrupt answer from making a
// listing allocate (or request) without end.
const maxTotalCount = 10_000_000

// decodePage checks a successful answer for what the rest of the client
// relies on: a plausible TotalCount, and well-formed IDs and states.
func decodePage(a *describeAnswer) (page, error) {
	r := &a.Response
	if r.TotalCount == nil || *r.TotalCount < 0 || *r.TotalCount > maxTotalCount {
		return page{}, errors.New("the answer has no valid TotalCount")
	}
	if len(r.InstanceStatusSet) > PageSize {
		return page{}, fmt.Errorf("the answer holds %d statuses, more than a page of %d", len(r.InstanceStatusSet), PageSize)
	}
	p := page{total: int(*r.TotalCount), instances: make([]InstanceStatus, len(r.InstanceStatusSet))}
	for i, s := range r.InstanceStatusSet {
		if !ValidInstanceID(s.InstanceID) || s.InstanceState == "" {
			return page{}, fmt.Errorf("the answer's InstanceStatusSet[%d] is not a valid instance status", i)
		}
		p.instances[i] = InstanceStatus{InstanceID: s.InstanceID, State: s.InstanceState}
	}
	return p, nil
}

// describe sends one DescribeInstancesStatus request (with retries) and
// returns its validated page. An answer that does not decode as a page is
// retried by send like a truncated one.
func (c *Client) describe(ctx context.Context, region string, req describeRequest) (page, error) {
	var a describeAnswer
	err := c.send(ctx, region, actionDescribe, req, &a,
		slog.Int("offset", req.Offset), slog.Int("limit", req.Limit), slog.Int("instance_id_count", len(req.InstanceIds)))
	return a.page, err
}

// DescribeInstancesStatus reads the states of the given instances, or of
// every instance in the region when ids is nil. An empty, non-nil ids reads
// nothing and sends no request: the service would take an empty list to
// mean "all". IDs must be well-formed (ValidInstanceID); duplicates are read
// once.
func (c *Client) DescribeInstancesStatus(ctx context.Context, region string, ids []string) (*Result, error) {
	if ids == nil {
		instances, err := c.listAll(ctx, region)
		if err != nil {
			return nil, err
		}
		return &Result{Instances: instances}, nil
	}
	unique, err := uniqueIDs(ids)
	if err != nil {
		return nil, err
	}
	return c.byIDs(ctx, region, unique)
}

// byIDs reads the states of unique, checked IDs (uniqueIDs), 100 a request.
func (c *Client) byIDs(ctx context.Context, region string, unique []string) (*Result, error) {
	seen := make(map[string]struct{}, len(unique))
	for _, id := range unique {
		seen[id] = struct{}{}
	}
	states := make(map[string]string, len(unique))
	var mu sync.Mutex
	chunks := (len(unique) + PageSize - 1) / PageSize
	err := c.parallel(ctx, chunks, func(ctx context.Context, i int) error {
		chunk := unique[i*PageSize : min((i+1)*PageSize, len(unique))]
		// Limit must be sent: its default of 20 applies to ID lookups too.
		p, err := c.describe(ctx, region, describeRequest{InstanceIds: chunk, Limit: len(chunk)})
		if err != nil {
			return err
		}
		if len(p.instances) != p.total {
			return fmt.Errorf("DescribeInstancesStatus in %s answered %d of the %d instances it counted for %d IDs: %w",
				region, len(p.instances), p.total, len(chunk), ErrListingUnstable)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, s := range p.instances {
			if _, asked := seen[s.InstanceID]; !asked {
				return fmt.Errorf("DescribeInstancesStatus in %s answered instance %s, which was not asked for", region, s.InstanceID)
			}
			states[s.InstanceID] = s.State
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res := &Result{Instances: make([]InstanceStatus, 0, len(states))}
	for _, id := range unique {
		if state, ok := states[id]; ok {
			res.Instances = append(res.Instances, InstanceStatus{InstanceID: id, State: state})
		} else {
			res.Missing = append(res.Missing, id)
		}
	}
	return res, nil
}

// uniqueIDs checks ids and drops their duplicates, keeping the first of each.
func uniqueIDs(ids []string) ([]string, error) {
	unique := make([]string, 0, len(ids))
	seen := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		if !ValidInstanceID(id) {
			return nil, fmt.Errorf("%q is not a valid instance ID: expected \"ins-\" followed by 8 lowercase letters or digits", id)
		}
		if _, dup := seen[id]; !dup {
			seen[id] = struct{}{}
			unique = append(unique, id)
		}
	}
	return unique, nil
}
