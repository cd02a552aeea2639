package cvm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

func TestReadByIDsChunksKeepsOrderAndReportsMissing(t *testing.T) {
	instances := emulator.GenerateInstances(300, 7)
	s := startEmulator(t, emulator.Config{Regions: regionOf(instances)})
	state := map[string]string{}
	for _, in := range instances {
		state[in.InstanceId] = in.InstanceState
	}

	// 250 unique IDs in a shuffled order, 10 of them unknown, plus duplicates.
	var ids, wantMissing []string
	var want []InstanceStatus
	for i := 0; i < 240; i++ {
		in := instances[(i*37)%len(instances)]
		ids = append(ids, in.InstanceId)
		want = append(want, InstanceStatus{InstanceID: in.InstanceId, State: in.InstanceState})
	}
	for i := 0; i < 10; i++ {
		id := fmt.Sprintf("ins-zzzz%04d", i)
		ids = append(ids, id)
		wantMissing = append(wantMissing, id)
	}
	ids = append(ids, ids[0], ids[5], wantMissing[0])

	res, err := newClient(t, s.URL()).DescribeInstancesStatus(context.Background(), testRegion, ids)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Instances, want) {
		t.Fatalf("instances are not the 240 found ones in the order asked for:\n got %v\nwant %v", res.Instances[:5], want[:5])
	}
	if !slices.Equal(res.Missing, wantMissing) {
		t.Fatalf("missing = %v, want %v", res.Missing, wantMissing)
	}
	if got := s.Stats().Requests; got != 3 {
		t.Fatalf("250 unique IDs took %d requests, want 3", got)
	}
}

func TestEmptyIDListSendsNothing(t *testing.T) {
	s := startEmulator(t, emulator.Config{Regions: regionOf(emulator.GenerateInstances(10, 1))})
	res, err := newClient(t, s.URL()).DescribeInstancesStatus(context.Background(), testRegion, []string{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Instances) != 0 || len(res.Missing) != 0 || s.Stats().Requests != 0 {
		t.Fatalf("an empty ID list returned %d instances after %d requests; it must read nothing", len(res.Instances), s.Stats().Requests)
	}
}

func TestMalformedIDRefusedBeforeAnyRequest(t *testing.T) {
	s := startEmulator(t, emulator.Config{})
	_, err := newClient(t, s.URL()).DescribeInstancesStatus(context.Background(), testRegion, []string{"ins-r8hr2upy", "INS-R8HR2UPY"})
	if err == nil || s.Stats().Requests != 0 {
		t.Fatalf("err = %v after %d requests; want an error and no request", err, s.Stats().Requests)
	}
}

// An answer with a valid envelope but no page in it (no TotalCount) is a
// bad answer: retried like a truncated one, and reported with its
// RequestId when every attempt gets one.
func TestAnswerWithoutAPageIsRetried(t *testing.T) {
	t.Parallel()
	const noPage = `{"Response": {"RequestId": "r-bad", "InstanceStatusSet": []}}`
	const good = `{"Response": {"RequestId": "r-ok", "TotalCount": 1, "InstanceStatusSet": [{"InstanceId": "ins-aaaaaaaa", "InstanceState": "RUNNING"}]}}`
	t.Run("once", func(t *testing.T) {
		t.Parallel()
		var bad atomic.Bool
		srv, n := emutest.CountingServer(t, func(w http.ResponseWriter, _ *http.Request) {
			if !bad.Swap(true) {
				_, _ = io.WriteString(w, noPage)
				return
			}
			_, _ = io.WriteString(w, good)
		})
		res, err := newClient(t, srv.URL, withRetries(3)).DescribeInstancesStatus(t.Context(), testRegion, nil)
		if err != nil || len(res.Instances) != 1 || n.Load() != 2 {
			t.Fatalf("result %+v, err = %v after %d requests; want the instance after one retry", res, err, n.Load())
		}
	})
	t.Run("always", func(t *testing.T) {
		t.Parallel()
		srv, n := emutest.CountingServer(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, noPage) })
		_, err := newClient(t, srv.URL, withRetries(3)).DescribeInstancesStatus(t.Context(), testRegion, nil)
		var apiErr *tcapi.APIError
		if !errors.As(err, &apiErr) || apiErr.Cause != tcapi.CauseBadAnswer || apiErr.Code != tcapi.CodeBadAnswer ||
			apiErr.RequestID != "r-bad" || apiErr.Attempts != 4 || n.Load() != 4 ||
			!strings.Contains(apiErr.Message, "no valid TotalCount") {
			t.Fatalf("err = %#v after %d requests; want %s with the RequestId after 4 attempts", err, n.Load(), tcapi.CodeBadAnswer)
		}
	})
}
