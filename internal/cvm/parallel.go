package cvm

import (
	"cmp"
	"context"

	"golang.org/x/sync/errgroup"
)

// parallel runs fn for 0 ≤ i < n, at most Concurrency at a time. The first
// error cancels the rest and no more start; parallel returns it once all
// have stopped. A read cancelled before (or while) its requests start
// fails with the context's error: it never passes for one that read
// nothing.
func (c *Client) parallel(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(c.cfg.Concurrency, 1))
	for i := 0; i < n && gctx.Err() == nil; i++ {
		g.Go(func() error { return fn(gctx, i) })
	}
	return cmp.Or(g.Wait(), ctx.Err())
}
