package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/credentials"
	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
	"github.com/cvmkit/terraform-provider-cvm/internal/tat"
	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// tatAgents is the TAT client as the CVM client's agent source, as the
// provider joins them.
type tatAgents struct{ client *tat.Client }

func (a tatAgents) Agents(ctx context.Context, region string, ids []string) (map[string]cvm.Agent, error) {
	found, err := a.client.AutomationAgents(ctx, region, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]cvm.Agent, len(found))
	for id, ag := range found {
		out[id] = cvm.Agent{Status: ag.Status, Version: ag.Version, LastHeartbeat: ag.LastHeartbeat}
	}
	return out, nil
}

// newReadinessClient is newClient with the TAT client the provider would
// add for the agent check, at TAT's default rate.
func newReadinessClient(tb testing.TB, s *emulator.Server) *cvm.Client {
	tb.Helper()
	creds := credentials.StaticCredentials("bench", tcapi.Credential{SecretID: SecretID, SecretKey: SecretKey})
	agents, err := tat.New(tat.Config{Endpoint: s.URL(), Credentials: creds})
	if err != nil {
		tb.Fatalf("tat.New: %v", err)
	}
	c, err := cvm.New(cvm.Config{Endpoint: s.URL(), Credentials: creds, RateLimit: RateLimit, Agents: tatAgents{agents}})
	if err != nil {
		tb.Fatalf("cvm.New: %v", err)
	}
	return c
}

var allChecks = cvm.Checks{Operation: true, Restriction: true, Maintenance: true, Agent: true}

// BenchmarkReadiness reads ReadinessIDs IDs with every readiness check
// against the emulator with its latency and every action's own limit; it
// reports the wall per read against ReadinessTStar, the slowest action's
// T*, and the requests (4 actions × ⌈n/100⌉ when no instance has more
// than a page of tasks) and throttled answers per read.
func BenchmarkReadiness(b *testing.B) {
	instances := emutest.WithReadiness(Instances(IDSource))
	b.Run(fmt.Sprintf("ids=%d", ReadinessIDs), func(b *testing.B) {
		s := startEmulator(b, map[string][]emulator.Instance{Region(IDSource): instances}, true)
		c := newReadinessClient(b, s)
		ids := SpreadIDs(instances, ReadinessIDs)
		s.ResetStats()
		ops := 0
		for b.Loop() {
			res, err := c.Read(b.Context(), Region(IDSource), ids, allChecks)
			if err != nil {
				b.Fatalf("read: %v", err)
			}
			if len(res.Instances) != len(ids) || len(res.Missing) != 0 {
				b.Fatalf("read %d instances (%d missing), want %d", len(res.Instances), len(res.Missing), len(ids))
			}
			ops++
		}
		st := s.Stats()
		best, _ := ReadinessTStar(ReadinessIDs)
		perOp := b.Elapsed() / time.Duration(ops)
		b.ReportMetric(float64(st.Requests)/float64(ops), "requests/op")
		b.ReportMetric(float64(st.Throttled)/float64(ops), "throttled/op")
		b.ReportMetric(float64(best)/float64(time.Millisecond), "T*-ms")
		b.ReportMetric(float64(perOp)/float64(best), "wall/T*")
	})
}

// The bound is DescribeTaskInfo's: 10 requests at 20/s after one round trip.
func TestReadinessTStarIsTheSlowestActions(t *testing.T) {
	got, action := ReadinessTStar(ReadinessIDs)
	if got != 600*time.Millisecond || action != "DescribeTaskInfo" {
		t.Errorf("ReadinessTStar(%d) = %s (%s), want 600ms (DescribeTaskInfo)", ReadinessIDs, got, action)
	}
}
