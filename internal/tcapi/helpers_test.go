package tcapi

import (
	"context"
	"testing"
	"time"
)

// testKey is a credential source that never changes.
type testKey struct{}

func (testKey) Credential(context.Context) (Credential, error) {
	return Credential{SecretID: "AKIDtcapitest000000000000000000001", SecretKey: "tcapi-test-key"}, nil
}
func (testKey) Name() string { return "test" }

// testAnswer is an API 3.0 envelope with nothing else in it.
type testAnswer struct {
	Response struct{ ResponseHeader } `json:"Response"`
}

func (a *testAnswer) Header() *ResponseHeader { return &a.Response.ResponseHeader }
func (a *testAnswer) Reset()                  { *a = testAnswer{} }

// sendTo is the one way these tests call an action: DescribeInstancesStatus
// at endpoint with three retries, short delays, after each tune.
func sendTo(ctx context.Context, t *testing.T, endpoint string, tune ...func(*Config)) error {
	t.Helper()
	cfg := Config{MaxRetries: 3, RetryBaseDelay: time.Millisecond, RetryMaxDelay: 5 * time.Millisecond}
	for _, f := range tune {
		f(&cfg)
	}
	u, err := ParseEndpoint(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	req := Request{Endpoint: u, Service: "cvm", Version: "2017-03-12", Action: "DescribeInstancesStatus", Region: "ap-guangzhou", Payload: []byte(`{"Limit": 100}`)}
	return New(cfg).Send(ctx, req, testKey{}, NewRateLimiter(1000), &testAnswer{})
}
