package sdkcheck

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	cvm "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/cvm/v20170312"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
)

const testRegion = "ap-guangzhou"

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func hostOf(s *emulator.Server) string { return strings.TrimPrefix(s.URL(), "http://") }

// newProfile is the SDK profile that talks to the emulator.
func newProfile(s *emulator.Server, opts ...func(*profile.ClientProfile)) *profile.ClientProfile {
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Endpoint = hostOf(s)
	cpf.HttpProfile.Scheme = "http"
	cpf.HttpProfile.ReqTimeout = 10
	cpf.DisableRegionBreaker = true
	for _, o := range opts {
		o(cpf)
	}
	return cpf
}

func sdkClient(t testing.TB, s *emulator.Server, cred common.CredentialIface, opts ...func(*profile.ClientProfile)) *cvm.Client {
	t.Helper()
	c, err := cvm.NewClient(cred, testRegion, newProfile(s, opts...))
	if err != nil {
		t.Fatalf("cvm.NewClient: %v", err)
	}
	return c
}

func defaultCred() *common.Credential {
	return common.NewCredential(emulator.DefaultSecretID, emulator.DefaultSecretKey)
}

func describe(c *cvm.Client, ids []string, offset, limit *int64) (*cvm.DescribeInstancesStatusResponseParams, error) {
	req := cvm.NewDescribeInstancesStatusRequest()
	for _, id := range ids {
		req.InstanceIds = append(req.InstanceIds, common.StringPtr(id))
	}
	req.Offset, req.Limit = offset, limit
	resp, err := c.DescribeInstancesStatus(req)
	if err != nil {
		return nil, err
	}
	return resp.Response, nil
}

func i64(v int64) *int64 { return &v }

func sdkCode(err error) string {
	var e *tcerr.TencentCloudSDKError
	if errors.As(err, &e) {
		return e.GetCode()
	}
	if err == nil {
		return ""
	}
	return "non-SDK error: " + err.Error()
}

func statusPairs(p *cvm.DescribeInstancesStatusResponseParams) []string {
	var out []string
	for _, st := range p.InstanceStatusSet {
		out = append(out, *st.InstanceId+"="+*st.InstanceState)
	}
	return out
}

// closeQuietly closes a response body whose close error cannot matter.
func closeQuietly(c interface{ Close() error }) { _ = c.Close() }
