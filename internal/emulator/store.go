package emulator

import (
	"slices"
	"sort"
	"strings"
	"time"
)

// instanceRecord is an instance as stored: its state at load time and the
// absolute times at which its transitions take effect. The current state is
// computed when asked, so time passing costs nothing.
type instanceRecord struct {
	id        string
	state     string
	readiness *Readiness // defaults filled in; nil: all defaults, as most are
	loaded    time.Time
	steps     []timedState // sorted by at
}

type timedState struct {
	at    time.Time
	state string     // "": unchanged
	patch *Readiness // nil: nothing else changes
}

func newRecord(in Instance, loaded time.Time) *instanceRecord {
	rec := &instanceRecord{id: in.InstanceId, state: in.InstanceState, loaded: loaded}
	if !in.changesNothing() {
		rd := in.withDefaults()
		rec.readiness = &rd
	}
	if len(in.Transitions) > 0 {
		rec.steps = make([]timedState, len(in.Transitions))
		for i, t := range in.Transitions {
			rec.steps[i] = timedState{at: loaded.Add(time.Duration(t.After)), state: t.InstanceState}
			if !t.changesNothing() {
				rec.steps[i].patch = &t.Readiness
			}
		}
		// Stable, so two transitions with the same delay apply in file order.
		sort.SliceStable(rec.steps, func(i, j int) bool { return rec.steps[i].at.Before(rec.steps[j].at) })
	}
	return rec
}

// stateAt is the state at now: the last transition due, else the load state.
func (r *instanceRecord) stateAt(now time.Time) string {
	s := r.state
	for _, st := range r.steps {
		if now.Before(st.at) {
			break
		}
		if st.state != "" {
			s = st.state
		}
	}
	return s
}

// readinessAt is the Readiness at now: the load-time fields with every due
// transition's changes applied in order.
func (r *instanceRecord) readinessAt(now time.Time) Readiness {
	rd := defaultReadiness
	if r.readiness != nil {
		rd = *r.readiness
	}
	for _, st := range r.steps {
		if now.Before(st.at) {
			break
		}
		if st.patch != nil {
			rd = rd.apply(st.patch)
		}
	}
	return rd
}

// regionStore keeps one region's instances sorted by ID for paging, plus an
// index by ID for lookups. Both point at the same records.
type regionStore struct {
	sorted []*instanceRecord
	byID   map[string]*instanceRecord
}

func newRegionStore(list []Instance, loaded time.Time) *regionStore {
	rs := &regionStore{
		sorted: make([]*instanceRecord, 0, len(list)),
		byID:   make(map[string]*instanceRecord, len(list)),
	}
	for _, in := range list {
		rec := newRecord(in, loaded)
		rs.sorted = append(rs.sorted, rec)
		rs.byID[rec.id] = rec
	}
	slices.SortFunc(rs.sorted, func(a, b *instanceRecord) int { return strings.Compare(a.id, b.id) })
	return rs
}

func (rs *regionStore) insert(rec *instanceRecord) {
	i, _ := slices.BinarySearchFunc(rs.sorted, rec.id, func(r *instanceRecord, id string) int { return strings.Compare(r.id, id) })
	rs.sorted = slices.Insert(rs.sorted, i, rec)
	rs.byID[rec.id] = rec
}

func (rs *regionStore) removeAt(i int) {
	delete(rs.byID, rs.sorted[i].id)
	rs.sorted = slices.Delete(rs.sorted, i, i+1)
}
