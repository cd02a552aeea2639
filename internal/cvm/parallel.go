package cvm

import (
	"context"

	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// parallel runs fn for 0 ≤ i < n, at most Concurrency at a time
// (tcapi.Parallel).
func (c *Client) parallel(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	return tcapi.Parallel(ctx, c.cfg.Concurrency, n, fn)
}
