package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
	"github.com/cvmkit/terraform-provider-cvm/internal/provider"
)

// The cvm_instances_wait action's wait is the data source's
// (cvm.Client.WaitForStates) with progress messages on top. BenchmarkWait
// runs one wait of WaitSize instances both ways, through the provider's
// protocol server as Terraform drives it, against a service that answers
// from memory and moves WaitSize/WaitPolls more instances to RUNNING at
// each poll, so that every poll changes something and would, unthrottled,
// be a message. It reports what a poll costs each way (allocated bytes and
// CPU, the service's share included and equal for both) and how the
// action's messages were spaced: cvm-bench holds the action's cost per
// poll to the data source's, and its messages to one a second at most.
//
// waitPoll is the client's poll interval here: short, so that the polls
// come far faster than the one message a second allowed.
const waitPoll = 20 * time.Millisecond

// waitService answers DescribeInstancesStatus by ID for the instances of
// one region: instance i is STARTING until poll number i*WaitPolls/n + 1,
// then RUNNING. A poll is n/100 requests; reset starts a new wait.
type waitService struct {
	index    map[string]int
	perPoll  int64
	requests atomic.Int64
}

func newWaitService(ids []string) *waitService {
	s := &waitService{index: make(map[string]int, len(ids)), perPoll: int64((len(ids) + cvm.PageSize - 1) / cvm.PageSize)}
	for i, id := range ids {
		s.index[id] = i
	}
	return s
}

func (s *waitService) reset() { s.requests.Store(0) }

// polls is how many polls the service has answered since reset.
func (s *waitService) polls() int64 { return s.requests.Load() / s.perPoll }

func (s *waitService) RoundTrip(req *http.Request) (*http.Response, error) {
	var params struct{ InstanceIds []string }
	body, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(body, &params); err != nil || len(params.InstanceIds) == 0 {
		return nil, fmt.Errorf("waitService serves reads by ID only, not %s", body)
	}
	poll := int((s.requests.Add(1)-1)/s.perPoll) + 1
	type status struct {
		InstanceID    string `json:"InstanceId"`
		InstanceState string `json:"InstanceState"`
	}
	set := make([]status, 0, len(params.InstanceIds))
	for _, id := range params.InstanceIds {
		state := "STARTING"
		if s.index[id]*WaitPolls/len(s.index)+1 <= poll {
			state = "RUNNING"
		}
		set = append(set, status{id, state})
	}
	page, err := json.Marshal(map[string]any{"Response": map[string]any{
		"TotalCount": len(set), "InstanceStatusSet": set, "RequestId": fmt.Sprintf("wait-%d", poll),
	}})
	if err != nil {
		return nil, err
	}
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(page)),
		ContentLength: int64(len(page)),
		Request:       req,
	}, nil
}

// actionServer is the provider's server, which serves actions.
type actionServer interface {
	tfprotov6.ProviderServer
	tfprotov6.ActionServer
}

// providerWait is a configured provider server and the two configurations
// of one wait: the data source's and the action's.
type providerWait struct {
	srv          actionServer
	service      *waitService
	dataConfig   *tfprotov6.DynamicValue
	actionConfig *tfprotov6.DynamicValue
}

func newProviderWait(ctx context.Context, tb testing.TB, n int) *providerWait {
	tb.Helper()
	instances := Instances(n)
	ids := make([]string, n)
	idValues := make([]tftypes.Value, n)
	for i, in := range instances {
		ids[i] = in.InstanceId
		idValues[i] = tftypes.NewValue(tftypes.String, in.InstanceId)
	}
	service := newWaitService(ids)
	served, err := provider.NewServer("bench",
		provider.WithHTTPClient(&http.Client{Transport: service}),
		provider.WithClientConfig(func(c *cvm.Config) { c.RateLimit, c.PollInterval, c.MaxPoll = 1e6, waitPoll, waitPoll }),
	)()
	if err != nil {
		tb.Fatal(err)
	}
	srv, ok := served.(actionServer)
	if !ok {
		tb.Fatalf("the provider's server (%T) serves no actions", served)
	}
	schemas, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || hasError(schemas.Diagnostics) {
		tb.Fatalf("GetProviderSchema: %v %s", err, diagText(schemas.Diagnostics))
	}
	conf, err := srv.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{TerraformVersion: "1.15.0", Config: configValue(tb, schemas.Provider, map[string]tftypes.Value{
		"endpoint":   tftypes.NewValue(tftypes.String, "http://127.0.0.1:9"), // never dialled: the service answers
		"region":     tftypes.NewValue(tftypes.String, Region(n)),
		"secret_id":  tftypes.NewValue(tftypes.String, SecretID),
		"secret_key": tftypes.NewValue(tftypes.String, SecretKey),
	})})
	if err != nil || hasError(conf.Diagnostics) {
		tb.Fatalf("ConfigureProvider: %v %s", err, diagText(conf.Diagnostics))
	}
	list := tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, idValues)
	running := tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, []tftypes.Value{tftypes.NewValue(tftypes.String, "RUNNING")})
	set := map[string]tftypes.Value{"instance_ids": list, "wait_for_states": running}
	return &providerWait{
		srv:          srv,
		service:      service,
		dataConfig:   configValue(tb, schemas.DataSourceSchemas[dataSourceType], set),
		actionConfig: configValue(tb, schemas.ActionSchemas["cvm_instances_wait"].Schema, set),
	}
}

// read waits as the data source does.
func (p *providerWait) read(ctx context.Context) error {
	r, err := p.srv.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{TypeName: dataSourceType, Config: p.dataConfig})
	if err != nil || hasError(r.Diagnostics) {
		return fmt.Errorf("ReadDataSource: %v %s", err, diagText(r.Diagnostics))
	}
	return nil
}

// invoke waits as the action does, and returns when each progress message
// arrived and the last one.
func (p *providerWait) invoke(ctx context.Context) (at []time.Time, last string, err error) {
	stream, err := p.srv.InvokeAction(ctx, &tfprotov6.InvokeActionRequest{ActionType: "cvm_instances_wait", Config: p.actionConfig})
	if err != nil {
		return nil, "", err
	}
	for ev := range stream.Events {
		switch e := ev.Type.(type) {
		case tfprotov6.ProgressInvokeActionEventType:
			at = append(at, time.Now())
			last = e.Message
		case tfprotov6.CompletedInvokeActionEventType:
			if hasError(e.Diagnostics) {
				return at, last, fmt.Errorf("InvokeAction: %s", diagText(e.Diagnostics))
			}
		}
	}
	return at, last, nil
}

// usage is the process's allocated bytes and CPU time so far.
type usage struct {
	alloc uint64
	cpu   time.Duration
}

func usageNow() usage {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return usage{alloc: m.TotalAlloc, cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano())}
}

// BenchmarkWait is one wait of WaitSize instances through WaitPolls polls,
// as the data source reads it and as the action runs it.
func BenchmarkWait(b *testing.B) {
	p := newProviderWait(b.Context(), b, WaitSize)
	perPoll := func(b *testing.B, run func() error) {
		var polls int64
		before := usageNow()
		for b.Loop() {
			p.service.reset()
			if err := run(); err != nil {
				b.Fatal(err)
			}
			polls += p.service.polls()
		}
		after := usageNow()
		b.ReportMetric(float64(polls)/float64(b.N), "polls/op")
		b.ReportMetric(float64(after.alloc-before.alloc)/float64(polls), "B/poll")
		b.ReportMetric(float64(after.cpu-before.cpu)/float64(time.Millisecond)/float64(polls), "cpu-ms/poll")
	}
	b.Run(fmt.Sprintf("data-source/n=%d", WaitSize), func(b *testing.B) {
		perPoll(b, func() error { return p.read(b.Context()) })
	})
	b.Run(fmt.Sprintf("action/n=%d", WaitSize), func(b *testing.B) {
		messages, minGap, span := 0, time.Duration(1<<62), time.Duration(0)
		perPoll(b, func() error {
			start := time.Now()
			at, last, err := p.invoke(b.Context())
			if err == nil && last != fmt.Sprintf("all %d RUNNING", WaitSize) {
				err = fmt.Errorf("the last message is %q", last)
			}
			messages += len(at)
			span += time.Since(start)
			for i := 1; i < len(at); i++ {
				minGap = min(minGap, at[i].Sub(at[i-1]))
			}
			return err
		})
		b.ReportMetric(float64(messages)/float64(b.N), "messages/op")
		b.ReportMetric(float64(messages)/span.Seconds(), "messages/s")
		b.ReportMetric(float64(minGap)/float64(time.Millisecond), "min-gap-ms")
	})
}

// TestWaitHarness checks that the benchmark's wait takes the polls it
// claims, both ways, and that the action speaks about once a second.
func TestWaitHarness(t *testing.T) {
	const n = 1_000
	p := newProviderWait(t.Context(), t, n)
	p.service.reset()
	if err := p.read(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := p.service.polls(); got != WaitPolls {
		t.Errorf("the data source's wait took %d polls, want %d", got, WaitPolls)
	}
	p.service.reset()
	at, last, err := p.invoke(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := p.service.polls(); got != WaitPolls || last != fmt.Sprintf("all %d RUNNING", n) || len(at) < 2 {
		t.Errorf("the action's wait took %d polls (want %d), sent %d messages, the last %q", got, WaitPolls, len(at), last)
	}
}
