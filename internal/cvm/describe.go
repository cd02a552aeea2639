package cvm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
)

// InstanceStatus is the state of one instance.
type InstanceStatus struct {
	InstanceID string
	State      string
}

// Result is the answer to one read.
type Result struct {
	// Instances holds, for a read by ID, the instances found in the order
	// asked for (each once); for a listing, every instance sorted by ID.
	Instances []InstanceStatus
	// Missing holds the IDs asked for that the service does not know, in
	// the order asked for.
	Missing []string
}

// describeAnswer is DescribeInstancesStatus's answer envelope.
type describeAnswer struct {
	Response struct {
		responseHeader
		TotalCount        *int64 `json:"TotalCount"`
		InstanceStatusSet []struct {
			InstanceID    string `json:"InstanceId"`
			InstanceState string `json:"InstanceState"`
		} `json:"InstanceStatusSet"`
	} `json:"Response"`
}

func (a *describeAnswer) header() *responseHeader { return &a.Response.responseHeader }
func (a *describeAnswer) reset()                  { *a = describeAnswer{} }

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
// retried like a truncated one, after the same backoff.
func (c *Client) describe(ctx context.Context, region string, req describeRequest) (page, error) {
	payload, err := json.Marshal(req)
	if err != nil {
		return page{}, err
	}
	attrs := []slog.Attr{slog.Int("offset", req.Offset), slog.Int("limit", req.Limit), slog.Int("instance_id_count", len(req.InstanceIds))}
	for attempt := 1; ; attempt++ {
		var a describeAnswer
		if err := c.send(ctx, region, "DescribeInstancesStatus", payload, &a, attrs...); err != nil {
			return page{}, err
		}
		p, err := decodePage(&a)
		if err == nil {
			return p, nil
		}
		if attempt > c.cfg.MaxRetries {
			return page{}, &APIError{Action: "DescribeInstancesStatus", Region: region, Endpoint: c.endpoint.String(), Cause: CauseBadAnswer,
				Code: CodeBadAnswer, Message: err.Error(), RequestID: a.Response.RequestID, Attempts: attempt}
		}
		if err := sleep(ctx, c.backoff(attempt)); err != nil {
			return page{}, err
		}
	}
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
	return c.byIDs(ctx, region, ids)
}

func (c *Client) byIDs(ctx context.Context, region string, ids []string) (*Result, error) {
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
	states := make(map[string]string, len(unique))
	var mu sync.Mutex
	g, gctx := c.group(ctx)
	for start := 0; start < len(unique) && gctx.Err() == nil; start += PageSize {
		chunk := unique[start:min(start+PageSize, len(unique))]
		g.Go(func() error {
			// Limit must be sent: its default of 20 applies to ID lookups too.
			p, err := c.describe(gctx, region, describeRequest{InstanceIds: chunk, Limit: len(chunk)})
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
	}
	if err := g.Wait(); err != nil {
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

// errChanged means one listing attempt saw the inventory change.
type errChanged struct{ why string }

func (e errChanged) Error() string { return e.why }

// listStride is how far each page of a listing starts after the previous
// one: one instance less than a page, so that consecutive pages share an
// instance. See listOnce.
const listStride = PageSize - 1

// ListingRequests is the number of requests a listing of n instances sends
// when nothing fails: the first page, then pages overlapping by one instance
// until the last. It is ⌈n/100⌉ for most n, and at most 1% more.
func ListingRequests(n int) int {
	if n <= PageSize {
		return 1
	}
	return 1 + (n-PageSize+listStride-1)/listStride
}

// listAll pages through every instance of the region: one request to learn
// TotalCount, then the remaining pages in parallel. If the inventory changes
// meanwhile (TotalCount moves, a page is short, an instance shows up twice,
// consecutive pages do not meet) the listing starts over, at most
// ListRestarts times.
func (c *Client) listAll(ctx context.Context, region string) ([]InstanceStatus, error) {
	var reasons []string
	for try := 0; try <= c.cfg.ListRestarts; try++ {
		instances, err := c.listOnce(ctx, region)
		var changed errChanged
		if !errors.As(err, &changed) {
			return instances, err
		}
		reasons = append(reasons, changed.why)
	}
	return nil, fmt.Errorf("listing the instances of %s: %w %d times in a row (%s); retry when the inventory is stable",
		region, ErrListingUnstable, len(reasons), strings.Join(reasons, "; "))
}

// listOnce reads every page of the region once and checks that they fit.
//
// Consecutive pages overlap by one instance: page k starts at offset 99k, so
// its first instance must be the previous page's last. Without the overlap,
// an instance deleted before a page boundary and another created after it,
// between the reads of the two pages around it, shift every instance in
// between by one place while TotalCount stays put: the instance at the
// boundary is never read, and nothing in the answers shows it. With the
// overlap, any shift at a boundary shows as two different instances at the
// shared offset, and the listing starts over. The price is one request in a
// hundred, only when n is close to a multiple of 100 (ListingRequests).
func (c *Client) listOnce(ctx context.Context, region string) ([]InstanceStatus, error) {
	first, err := c.describe(ctx, region, describeRequest{Offset: 0, Limit: PageSize})
	if err != nil {
		return nil, err
	}
	total := first.total
	if want := min(PageSize, total); len(first.instances) != want {
		return nil, errChanged{fmt.Sprintf("the first page held %d instances of a TotalCount of %d", len(first.instances), total)}
	}
	pages := make([][]InstanceStatus, ListingRequests(total))
	pages[0] = first.instances
	g, gctx := c.group(ctx)
	for k := 1; k < len(pages) && gctx.Err() == nil; k++ {
		g.Go(func() error {
			offset := k * listStride
			p, err := c.describe(gctx, region, describeRequest{Offset: offset, Limit: PageSize})
			if err != nil {
				return err
			}
			if p.total != total {
				return errChanged{fmt.Sprintf("TotalCount moved from %d to %d", total, p.total)}
			}
			if want := min(PageSize, total-offset); len(p.instances) != want {
				return errChanged{fmt.Sprintf("the page at offset %d held %d instances instead of %d", offset, len(p.instances), want)}
			}
			pages[k] = p.instances
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	all := make([]InstanceStatus, 0, total)
	all = append(all, pages[0]...)
	for k := 1; k < len(pages); k++ {
		prev, cur := pages[k-1][len(pages[k-1])-1], pages[k][0]
		if prev.InstanceID != cur.InstanceID {
			return nil, errChanged{fmt.Sprintf("the instance at offset %d was %s on one page and %s on the next", k*listStride, prev.InstanceID, cur.InstanceID)}
		}
		// The shared instance is reported once. If its state changed
		// between the two reads, either held during the read; take page k's.
		all[len(all)-1] = cur
		all = append(all, pages[k][1:]...)
	}
	slices.SortFunc(all, func(a, b InstanceStatus) int { return strings.Compare(a.InstanceID, b.InstanceID) })
	for i := 1; i < len(all); i++ {
		if all[i].InstanceID == all[i-1].InstanceID {
			return nil, errChanged{fmt.Sprintf("instance %s appeared on two pages", all[i].InstanceID)}
		}
	}
	return all, nil
}

// group runs a read's requests, at most Concurrency at a time. The first
// error cancels the others, and Wait returns it once they have all stopped.
func (c *Client) group(ctx context.Context) (*errgroup.Group, context.Context) {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(c.cfg.Concurrency, 1))
	return g, gctx
}
