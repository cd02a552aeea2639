package cvm

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
)

// listStride is how far each page of a listing starts after the previous
// one: one instance less than a page, so that consecutive pages of a list
// that does not change share an instance. See listAll.
const listStride = PageSize - 1

// ListingRequests is the number of requests a listing of n instances sends
// when nothing changes during it: the first page, then pages overlapping by
// one instance until the last. It is ⌈n/100⌉ for most n, and at most 1% more.
func ListingRequests(n int) int {
	if n <= PageSize {
		return 1
	}
	return 1 + (n-PageSize+listStride-1)/listStride
}

// listAll pages through every instance of the region. Its answer holds every
// instance that existed throughout the read, once, in a state it was in
// during the read, and nothing that never existed; instances launched or
// terminated during the read may or may not be in it. The inventory may
// change while it pages: a change costs extra requests in proportion, not a
// new listing.
//
// # The rule
//
// Read page 0 (Offset 0); it gives TotalCount n. Read pages at offsets 99,
// 198, … up to the one that holds the n-th instance, in parallel, as when
// nothing changes. Then, until a page at offset 0 and a terminal page are
// connected, read more pages in parallel rounds:
//
//   - between two pages, neighbours in offset order, that share no instance,
//     a bridge page centred on where they should have met;
//   - when no page is terminal, pages past the last one read, up to the
//     latest TotalCount (the list grew), or one page ending at the latest
//     TotalCount (it shrank).
//
// A page is terminal when it is not empty and ends the list as it was when
// it was read: Offset + its length = its answer's TotalCount. Two pages are
// connected when a chain of pages leads from one to the other, each sharing
// at least one instance with the next; where the instance sits in either
// page does not matter. Pages are merged: an instance seen on several pages
// is reported once, with the state of the page answered last.
//
// # Why the answer holds every instance that existed throughout
//
// It rests on two properties of offset paging, which the emulator has and
// which paging itself presupposes: the service lists instances in an order
// that does not change (the emulator's is by InstanceId; an instance keeps
// its place relative to the others, whatever is launched or terminated),
// and an answer is the slice [Offset, Offset+Limit) of the list as it was at
// one moment t, its TotalCount the list's length at that moment.
//
// Write ≤ for the service's order, L(t) for the list at t, and I(p) for the
// interval [first, last] of page p's instances, read at t(p). Let x be an
// instance that existed throughout the read: x is in L(t(p)) for every p.
//
//  1. If first(p) ≤ x ≤ last(p), then x is in p: p is a contiguous slice of
//     L(t(p)), which holds x, so it holds everything of L(t(p)) between its
//     first and last instance.
//  2. The union of the intervals of a connected set of pages is an interval.
//     Take its pages in an order where each after the first shares an
//     instance with an earlier one (a connected set has one: add any page
//     linked to those taken). By induction the union of the pages taken so
//     far is an interval J; the next page q shares an instance s with one of
//     them, so s is in both J and I(q), and two intervals with a common
//     point make an interval.
//  3. A page p0 at offset 0 that is not empty starts at the least instance of
//     L(t(p0)), so x ≥ first(p0). A terminal page pe ends at the greatest
//     instance of L(t(pe)), so x ≤ last(pe).
//  4. If p0 and pe are connected, their set's union is an interval that holds
//     first(p0) and last(pe) (2), so it holds x (3): x is in the interval of
//     one of its pages q, and so in q (1).
//
// A page at offset 0 that is empty, and whose TotalCount agrees, shows L(t)
// empty at one moment: nothing existed throughout, and whatever was seen may
// be reported. Every instance
// reported was in an answer, so it existed, in that state, at that moment.
//
// When nothing changes, consecutive pages share their boundary instance and
// the last page is terminal: ListingRequests(n) requests. A launch or a
// termination before a boundary, between the reads of the two pages around
// it, shifts the later page: a launch makes the pages share two instances,
// harmless; a termination makes them share none, and one bridge read joins
// them. An instance deleted before a boundary and another launched after it,
// which leave TotalCount as it was, are such a termination: the instance at
// the boundary, which a listing of disjoint pages would silently miss, is in
// the bridge (TestListingDetectsNetZeroChurnAcrossAPageBoundary).
//
// # The budget
//
// Extra reads are bounded by what was seen to move: listSlack + 2 per change
// seen — each pair of neighbours that did not meet, each unit by which
// TotalCount moved between answers, each answer that contradicts its own
// TotalCount — and never more than ListRestarts times the listing's planned
// requests, the cost of that many fresh listings. Churn faster than that
// fails the read with ErrListingUnstable rather than paging on without end.
func (c *Client) listAll(ctx context.Context, region string) ([]InstanceStatus, error) {
	l := &listing{c: c, region: region}
	if err := l.read(ctx, []int{0}); err != nil {
		return nil, err
	}
	first := l.pages[0]
	next := make([]int, 0, ListingRequests(first.total))
	if len(first.instances) > 0 && !first.terminal() {
		for k := 1; k < ListingRequests(first.total); k++ {
			next = append(next, k*listStride)
		}
	}
	planned := 1 + len(next)
	limit := max(c.cfg.ListRestarts, 1) * planned
	extra, gaps := 0, 0
	for {
		if len(next) > 0 {
			if err := l.read(ctx, next); err != nil {
				return nil, err
			}
		}
		merged, links := l.merge()
		step := l.plan(links)
		if step.done {
			if extra > 0 {
				c.cfg.Logger.LogAttrs(ctx, slog.LevelDebug, "CVM listing followed changes",
					slog.String("region", region), slog.Int("instances", len(merged)), slog.Int("planned_requests", planned),
					slog.Int("extra_requests", extra), slog.Int("gaps", gaps))
			}
			return merged, nil
		}
		gaps += step.gaps
		allowed := min(listSlack+2*(gaps+l.changes()), limit)
		if extra+len(step.next) > allowed {
			return nil, fmt.Errorf("listing the instances of %s: %w, faster than the listing could follow: after %d requests beyond the %d planned, "+
				"%d pairs of neighbouring pages still did not meet; retry when the inventory is stable, or read by instance_ids, which changes do not disturb",
				region, ErrListingUnstable, extra, planned, step.gaps)
		}
		extra += len(step.next)
		next = step.next
	}
}

// listSlack is the extra reads a listing may always spend, on top of two per
// change seen: a few reads to find the end of a list that moved by less
// than a page.
const listSlack = 2

// listPage is one answer of a listing.
type listPage struct {
	page
	offset int
	seq    int // order in which the answers came in: its index in listing.pages
}

// terminal reports whether p ends the list as it was when p was read.
func (p *listPage) terminal() bool {
	return len(p.instances) > 0 && p.offset+len(p.instances) == p.total
}

// consistent reports whether p holds as many instances as its TotalCount
// says the slice it was cut from held.
func (p *listPage) consistent() bool {
	return len(p.instances) == min(PageSize, max(p.total-p.offset, 0))
}

// listing is the pages one listAll has read so far.
type listing struct {
	c      *Client
	region string

	mu    sync.Mutex
	pages []*listPage
}

// read reads the pages at offsets, in parallel.
func (l *listing) read(ctx context.Context, offsets []int) error {
	return l.c.parallel(ctx, len(offsets), func(ctx context.Context, i int) error {
		offset := offsets[i]
		p, err := l.c.describe(ctx, l.region, describeRequest{Offset: offset, Limit: PageSize})
		if err != nil {
			return err
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		l.pages = append(l.pages, &listPage{page: p, offset: offset, seq: len(l.pages)})
		return nil
	})
}

// merge returns every instance seen, sorted by ID, each once with the state
// of the latest answer that held it, and the pages linked by sharing an
// instance (a union-find forest over l.pages).
func (l *listing) merge() ([]InstanceStatus, *pageLinks) {
	type entry struct {
		InstanceStatus
		page int32 // index in l.pages: the higher, the later the answer
	}
	byOffset := slices.Clone(l.pages)
	slices.SortFunc(byOffset, func(a, b *listPage) int { return cmp.Or(a.offset-b.offset, a.seq-b.seq) })
	n := 0
	for _, p := range byOffset {
		n += len(p.instances)
	}
	entries := make([]entry, 0, n)
	for _, p := range byOffset {
		for _, in := range p.instances {
			entries = append(entries, entry{in, int32(p.seq)})
		}
	}
	// By ID alone: a service that lists in ID order then hands over entries
	// already in order, which the sort notices in one pass.
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.InstanceID, b.InstanceID) })
	links := newPageLinks(len(l.pages))
	out := make([]InstanceStatus, 0, n)
	latest := int32(-1) // page of out's last instance
	for i, e := range entries {
		if i > 0 && entries[i-1].InstanceID == e.InstanceID {
			links.union(int(entries[i-1].page), int(e.page))
			if e.page > latest {
				out[len(out)-1], latest = e.InstanceStatus, e.page
			}
			continue
		}
		out, latest = append(out, e.InstanceStatus), e.page
	}
	return out, links
}

// pageLinks is a union-find forest: pages in one tree are connected.
type pageLinks struct{ parent []int }

func newPageLinks(n int) *pageLinks {
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	return &pageLinks{parent: parent}
}

func (f *pageLinks) find(i int) int {
	for f.parent[i] != i {
		f.parent[i] = f.parent[f.parent[i]]
		i = f.parent[i]
	}
	return i
}

func (f *pageLinks) union(a, b int) { f.parent[f.find(a)] = f.find(b) }

// listStep is what plan decides after a round of reads.
type listStep struct {
	done bool
	next []int // offsets to read next, in increasing order
	gaps int   // neighbouring pages, up to the first terminal one, that do not meet
}

// plan says whether the pages read so far prove the listing complete (see
// listAll) and, if not, which pages to read next.
func (l *listing) plan(links *pageLinks) listStep {
	var read []*listPage // the pages that hold instances, by offset, then by arrival
	starts, ends := map[int]bool{}, map[int]bool{}
	terminal := false
	for _, p := range l.pages {
		switch {
		case len(p.instances) == 0 && p.offset == 0 && p.total == 0:
			// The list was empty at one moment: nothing existed
			// throughout, and what was seen may be reported.
			return listStep{done: true}
		case len(p.instances) == 0:
			continue
		case p.offset == 0:
			starts[links.find(p.seq)] = true
		}
		if p.terminal() {
			ends[links.find(p.seq)] = true
			terminal = true
		}
		read = append(read, p)
	}
	for root := range starts {
		if ends[root] {
			return listStep{done: true}
		}
	}

	var step listStep
	want := map[int]bool{}
	if len(starts) == 0 {
		want[0] = true
	}
	slices.SortFunc(read, func(a, b *listPage) int { return cmp.Or(a.offset-b.offset, a.seq-b.seq) })
	// Bridge the neighbours that do not meet, up to the first terminal page:
	// pages past it were read when the list was longer and are not needed.
	for i := 1; i < len(read) && !read[i-1].terminal(); i++ {
		prev, cur := read[i-1], read[i]
		if links.find(prev.seq) == links.find(cur.seq) {
			continue
		}
		step.gaps++
		// Where prev's last instance and cur's first were when each was
		// read: a page centred between them holds both unless one of them
		// moved by half a page since.
		meet := (prev.offset + len(prev.instances) - 1 + cur.offset) / 2
		want[max(meet-PageSize/2+1, 0)] = true
	}
	if !terminal && len(read) > 0 {
		// No page ends the list: it grew past the last page read, or it
		// shrank and the pages that would have ended it came back empty.
		lastPage := read[len(read)-1]
		total := l.pages[len(l.pages)-1].total // the latest count
		if end := lastPage.offset + len(lastPage.instances); total > end {
			for off := lastPage.offset + listStride; off < total; off += listStride {
				want[off] = true
				if off+PageSize >= total {
					break
				}
			}
		} else {
			want[max(total-PageSize/2, 0)] = true
		}
	}
	if len(want) == 0 {
		// Every neighbour meets and a page ends the list, yet no start
		// reaches an end: start again from the beginning (within the
		// budget).
		want[0] = true
	}
	step.next = slices.Sorted(maps.Keys(want))
	return step
}

// changes counts what the answers show of the list's changes: how much
// TotalCount moved from answer to answer, in the order they came in (at
// least the launches and terminations between them), and the answers that
// contradict their own TotalCount.
func (l *listing) changes() int {
	n := 0
	for i, p := range l.pages {
		if i > 0 {
			prev := l.pages[i-1].total
			n += max(p.total-prev, prev-p.total)
		}
		if !p.consistent() {
			n++
		}
	}
	return n
}
