package provider

import (
	"context"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
	"github.com/cvmkit/terraform-provider-cvm/internal/tat"
)

// tatAgents is the TAT client as the CVM client's source of agents: cvm
// and tat do not know each other, and the provider joins them here.
type tatAgents struct{ client *tat.Client }

var _ cvm.AgentSource = tatAgents{}

// newTATAgents builds the TAT client of endpoint with everything else the
// CVM client's configuration c has: credentials, transport, retries,
// timeouts, clock, user agent and logger. Its rate is TAT's own.
func newTATAgents(c cvm.Config, endpoint string) (tatAgents, error) {
	client, err := tat.New(tat.Config{
		Endpoint:       endpoint,
		Credentials:    c.Credentials,
		MaxRetries:     c.MaxRetries,
		Concurrency:    c.Concurrency,
		HTTPClient:     c.HTTPClient,
		RequestTimeout: c.RequestTimeout,
		RetryBaseDelay: c.RetryBaseDelay,
		RetryMaxDelay:  c.RetryMaxDelay,
		Now:            c.Now,
		UserAgent:      c.UserAgent,
		Logger:         c.Logger,
	})
	return tatAgents{client}, err
}

// Agents reads the agents of ids in region; Environment, which no check
// uses, is left behind.
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
