package cvm

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

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
		srv, n := countingServer(t, func(w http.ResponseWriter, _ *http.Request) {
			if !bad.Swap(true) {
				_, _ = io.WriteString(w, noPage)
				return
			}
			_, _ = io.WriteString(w, good)
		})
		res, err := clientFor(t, srv.URL).DescribeInstancesStatus(t.Context(), testRegion, nil)
		if err != nil || len(res.Instances) != 1 || n.Load() != 2 {
			t.Fatalf("result %+v, err = %v after %d requests; want the instance after one retry", res, err, n.Load())
		}
	})
	t.Run("always", func(t *testing.T) {
		t.Parallel()
		srv, n := countingServer(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, noPage) })
		_, err := clientFor(t, srv.URL).DescribeInstancesStatus(t.Context(), testRegion, nil)
		var apiErr *tcapi.APIError
		if !errors.As(err, &apiErr) || apiErr.Cause != tcapi.CauseBadAnswer || apiErr.Code != tcapi.CodeBadAnswer ||
			apiErr.RequestID != "r-bad" || apiErr.Attempts != 4 || n.Load() != 4 ||
			!strings.Contains(apiErr.Message, "no valid TotalCount") {
			t.Fatalf("err = %#v after %d requests; want %s with the RequestId after 4 attempts", err, n.Load(), tcapi.CodeBadAnswer)
		}
	})
}
