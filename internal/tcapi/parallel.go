package tcapi

import (
	"cmp"
	"context"

	"golang.org/x/sync/errgroup"
)

// Parallel runs fn for 0 ≤ i < n, at most limit at a time (at least one):
// the requests of one read, each a chunk or a page. The first error
// cancels the rest and no more start; Parallel returns it once all have
// stopped. A read cancelled before (or while) its requests start fails
// with the context's error: it never passes for one that read nothing.
func Parallel(ctx context.Context, limit, n int, fn func(ctx context.Context, i int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(limit, 1))
	for i := 0; i < n && gctx.Err() == nil; i++ {
		g.Go(func() error { return fn(gctx, i) })
	}
	return cmp.Or(g.Wait(), ctx.Err())
}
