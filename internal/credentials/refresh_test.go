package credentials

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// startTapped serves instances in testRegion, calling onRequest (if any)
// with every API request before the emulator answers it.
func startTapped(t *testing.T, instances []emulator.Instance, onRequest func(e *emutest.Emulator, n int64, r *http.Request)) *emutest.Emulator {
	t.Helper()
	cfg := emulator.Config{Regions: regionOf(instances), Credentials: []emulator.Credential{{SecretID: testSecretID, SecretKey: testSecretKey}}}
	return emutest.StartTapped(t, cfg, onRequest)
}

func tappedClient(t *testing.T, e *emutest.Emulator, tune ...func(*readerConfig)) *reader {
	t.Helper()
	return clientFor(t, e.URL, tune...)
}

func withAssumeRole(c *readerConfig) {
	c.AssumeRole = &AssumeRole{RoleARN: suiteARN, SessionName: "refresh-test"}
}

// Found by the fault suite: a request whose fresh credential was revoked
// too (a second rotation during its retries) failed the read, because a
// rejected token was replaced only once per request.
func TestCredentialRevokedTwiceWithinOneRequestIsReplacedTwice(t *testing.T) {
	var cvmRequests atomic.Int64
	e := startTapped(t, emulator.GenerateInstances(50, 3), func(e *emutest.Emulator, _ int64, r *http.Request) {
		if isDescribe(r) && cvmRequests.Add(1) <= 2 {
			e.RevokeTemporaryCredentials()
		}
	})
	res, err := tappedClient(t, e, withAssumeRole).DescribeInstancesStatus(t.Context(), testRegion, nil)
	if err != nil {
		t.Fatalf("the credential was revoked twice, each time before a request; it must be replaced both times: %v", err)
	}
	if len(res.Instances) != 50 {
		t.Fatalf("got %d instances, want 50", len(res.Instances))
	}
	if st := e.Stats(); st.ByAction["AssumeRole"] != 3 || st.ByCode["AuthFailure.TokenFailure"] != 2 {
		t.Fatalf("stats %v; want 3 AssumeRole calls and 2 rejected tokens", st)
	}
}

// Found by the fault suite: STS throttling or failing for a moment while a
// credential was refreshed failed the read, though the same fault on the
// CVM API is retried.
func TestTransientSTSFailureIsRetried(t *testing.T) {
	var stsRequests atomic.Int64
	e := startTapped(t, emulator.GenerateInstances(50, 3), func(e *emutest.Emulator, _ int64, r *http.Request) {
		if r.Header.Get("X-TC-Action") == "AssumeRole" && stsRequests.Add(1) == 3 {
			_ = e.SetFaults(emulator.Faults{})
		}
	})
	if err := e.SetFaults(emulator.Faults{Errors: map[string]float64{"RequestLimitExceeded": 0.5, "InternalError": 0.5}, Actions: []string{"AssumeRole"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := tappedClient(t, e, withAssumeRole).DescribeInstancesStatus(t.Context(), testRegion, nil); err != nil {
		t.Fatalf("two transient STS failures must be retried: %v", err)
	}
	if got := e.Stats().ByAction["AssumeRole"]; got != 3 {
		t.Fatalf("AssumeRole called %d times, want 3", got)
	}
}

// STS failing for good is still reported, after max_retries, as a
// credential error carrying STS's code.
func TestPersistentSTSFailureIsReported(t *testing.T) {
	e := startTapped(t, emulator.GenerateInstances(5, 3), nil)
	if err := e.SetFaults(emulator.Faults{Errors: map[string]float64{"InternalError": 1}, Actions: []string{"AssumeRole"}}); err != nil {
		t.Fatal(err)
	}
	_, err := tappedClient(t, e, withAssumeRole, func(c *readerConfig) { c.MaxRetries = new(3) }).DescribeInstancesStatus(t.Context(), testRegion, nil)
	var credErr *tcapi.CredentialError
	var apiErr *tcapi.APIError
	if !errors.As(err, &credErr) || !errors.As(err, &apiErr) || apiErr.Code != "InternalError" {
		t.Fatalf("err = %v; want a credential error with STS's InternalError", err)
	}
	if st := e.Stats(); st.ByAction["AssumeRole"] != 4 || st.ByAction["DescribeInstancesStatus"] != 0 {
		t.Fatalf("stats %v; want 1 + 3 AssumeRole attempts and no CVM request", st.ByAction)
	}
}

// refetching is a temporary-credential source whose every fetch gives a new
// credential the service does not know.
func refetching(fetches *atomic.Int64, fresh bool) tcapi.CredentialSource {
	src := &refreshingSource{name: "test source", now: time.Now}
	src.fetch = func(context.Context) (tcapi.Credential, error) {
		fetches.Add(1)
		id := "AKIDunknowntemporary"
		if fresh {
			id += rand.Text()
		}
		return tcapi.Credential{SecretID: id, SecretKey: "k", Token: "t", Expiration: time.Now().Add(time.Hour)}, nil
	}
	return src
}

// The same credential refused twice is not a matter of its age: reported
// after one replacement, as before.
func TestSameCredentialRejectedTwiceIsReported(t *testing.T) {
	e := startTapped(t, emulator.GenerateInstances(5, 3), nil)
	var fetches atomic.Int64
	_, err := tappedClient(t, e, func(c *readerConfig) { c.Credentials = refetching(&fetches, false) }).DescribeInstancesStatus(t.Context(), testRegion, nil)
	var apiErr *tcapi.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "AuthFailure.SecretIdNotFound" {
		t.Fatalf("err = %v; want AuthFailure.SecretIdNotFound", err)
	}
	if e.Requests() != 2 || fetches.Load() != 2 {
		t.Fatalf("%d requests and %d fetches; want 2 of each", e.Requests(), fetches.Load())
	}
}

// Fresh credentials refused every time: bounded by max_retries.
func TestEveryFreshCredentialRejectedIsBounded(t *testing.T) {
	e := startTapped(t, emulator.GenerateInstances(5, 3), nil)
	var fetches atomic.Int64
	_, err := tappedClient(t, e, func(c *readerConfig) {
		c.Credentials = refetching(&fetches, true)
		c.MaxRetries = new(3)
	}).DescribeInstancesStatus(t.Context(), testRegion, nil)
	var apiErr *tcapi.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "AuthFailure.SecretIdNotFound" {
		t.Fatalf("err = %v; want AuthFailure.SecretIdNotFound", err)
	}
	if got := e.Requests(); got != 4 {
		t.Fatalf("%d requests; want 1 + max_retries (3)", got)
	}
}

// A request refused with an old credential must not discard the new one
// another request already fetched.
func TestInvalidateIfKeepsANewerCredential(t *testing.T) {
	var n atomic.Int64
	src := &refreshingSource{name: "test", now: time.Now}
	src.fetch = func(context.Context) (tcapi.Credential, error) {
		i := n.Add(1)
		return tcapi.Credential{SecretID: fmt.Sprint("AKID", i), SecretKey: "k", Token: "t", Expiration: time.Now().Add(time.Hour)}, nil
	}
	old, _ := src.Credential(t.Context())
	src.InvalidateIf(old)
	fresh, _ := src.Credential(t.Context())
	src.InvalidateIf(old) // a late rejection of the old one
	again, _ := src.Credential(t.Context())
	if fresh.SecretID == old.SecretID || again.SecretID != fresh.SecretID || n.Load() != 2 {
		t.Fatalf("old %s, fresh %s, then %s after %d fetches; the fresh one must be kept", old.SecretID, fresh.SecretID, again.SecretID, n.Load())
	}
}
