package sdkcheck

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	cvm "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/cvm/v20170312"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

func seedInstances() map[string][]emulator.Instance {
	return map[string][]emulator.Instance{testRegion: {
		{InstanceId: "ins-r8hr2upy", InstanceState: "RUNNING"},
		{InstanceId: "ins-5d8a23rs", InstanceState: "STOPPED"},
	}}
}

func TestSDKDescribeByIDs(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances()})
	c := sdkClient(t, s, defaultCred())
	got, err := describe(c, []string{"ins-r8hr2upy", "ins-5d8a23rs", "ins-00000000", "ins-r8hr2upy"}, i64(0), i64(10))
	if err != nil {
		t.Fatal(err)
	}
	if *got.TotalCount != 2 {
		t.Errorf("TotalCount %d, want 2", *got.TotalCount)
	}
	want := []string{"ins-r8hr2upy=RUNNING", "ins-5d8a23rs=STOPPED"}
	if p := statusPairs(got); !slices.Equal(p, want) {
		t.Errorf("got %v, want %v (order given, duplicates once, unknown IDs left out)", p, want)
	}
	if !uuidV4.MatchString(*got.RequestId) {
		t.Errorf("RequestId %q is not a UUID v4", *got.RequestId)
	}
	st := s.Stats()
	if st.Requests != 1 || st.ByAction["DescribeInstancesStatus"] != 1 || st.ByCode["Success"] != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestSDKPaging250(t *testing.T) {
	gen := emulator.GenerateInstances(250, 7)
	s := emutest.Listen(t, emulator.Config{Regions: map[string][]emulator.Instance{testRegion: gen}})
	c := sdkClient(t, s, defaultCred())
	var ids []string
	for offset := int64(0); ; offset += 100 {
		page, err := describe(c, nil, i64(offset), i64(100))
		if err != nil {
			t.Fatal(err)
		}
		if *page.TotalCount != 250 {
			t.Fatalf("TotalCount %d, want 250", *page.TotalCount)
		}
		for _, st := range page.InstanceStatusSet {
			ids = append(ids, *st.InstanceId)
		}
		if len(page.InstanceStatusSet) < 100 {
			break
		}
	}
	if len(ids) != 250 || !slices.IsSorted(ids) {
		t.Fatalf("got %d IDs (sorted: %v), want 250 sorted", len(ids), slices.IsSorted(ids))
	}
	for i, in := range gen {
		if ids[i] != in.InstanceId {
			t.Fatalf("ids[%d] = %s, want %s", i, ids[i], in.InstanceId)
		}
	}
	// Default Limit is 20; an Offset past the end keeps the true TotalCount.
	page, err := describe(c, nil, nil, nil)
	if err != nil || len(page.InstanceStatusSet) != 20 {
		t.Fatalf("default page: %v, %d entries, want 20", err, len(page.InstanceStatusSet))
	}
	page, err = describe(c, nil, i64(1000), i64(100))
	if err != nil || len(page.InstanceStatusSet) != 0 || *page.TotalCount != 250 {
		t.Fatalf("past the end: %v %+v", err, page)
	}
}

func TestSDKDefaultLimitAppliesToIDs(t *testing.T) {
	gen := emulator.GenerateInstances(60, 3)
	s := emutest.Listen(t, emulator.Config{Regions: map[string][]emulator.Instance{testRegion: gen}})
	c := sdkClient(t, s, defaultCred())
	var ids []string
	for i := 59; i >= 10; i-- { // 50 IDs, in reverse order
		ids = append(ids, gen[i].InstanceId)
	}
	got, err := describe(c, ids, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if *got.TotalCount != 50 || len(got.InstanceStatusSet) != 20 {
		t.Fatalf("TotalCount %d, %d entries; want 50 and 20", *got.TotalCount, len(got.InstanceStatusSet))
	}
	for i, st := range got.InstanceStatusSet {
		if *st.InstanceId != ids[i] {
			t.Fatalf("entry %d is %s, want %s (the order given)", i, *st.InstanceId, ids[i])
		}
	}
	got, err = describe(c, ids, i64(40), i64(100))
	if err != nil || len(got.InstanceStatusSet) != 10 || *got.InstanceStatusSet[0].InstanceId != ids[40] {
		t.Fatalf("offset 40: %v %v", err, statusPairs(got))
	}
}

func TestSDKParameterErrors(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances()})
	c := sdkClient(t, s, defaultCred())
	var many []string
	for _, in := range emulator.GenerateInstances(101, 1) {
		many = append(many, in.InstanceId)
	}
	for _, tc := range []struct {
		name   string
		ids    []string
		offset *int64
		limit  *int64
		code   string
	}{
		{"malformed ID", []string{"ins-r8hr2upy", "ins-1122"}, nil, nil, "InvalidInstanceId.Malformed"},
		{"uppercase ID", []string{"ins-R8HR2UPY"}, nil, nil, "InvalidInstanceId.Malformed"},
		{"101 IDs", many, nil, nil, "InvalidParameterValue.LimitExceeded"},
		{"Limit 101", nil, nil, i64(101), "InvalidParameterValue.LimitExceeded"},
		{"Limit 0", nil, nil, i64(0), "InvalidParameterValue"},
		{"Offset -1", nil, i64(-1), nil, "InvalidParameterValue"},
	} {
		_, err := describe(c, tc.ids, tc.offset, tc.limit)
		if got := sdkCode(err); got != tc.code {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.code)
		}
	}
	_, err := describe(c, []string{"ins-1122"}, nil, nil)
	if err == nil || !containsAll(err.Error(), "ins-1122") {
		t.Errorf("the malformed-ID message must name the ID: %v", err)
	}

	other, _ := cvmClientInRegion(t, s, "mars-north-1")
	_, err = describe(other, nil, nil, nil)
	if got := sdkCode(err); got != "UnsupportedRegion" {
		t.Errorf("unknown region: %s, want UnsupportedRegion", got)
	}
	// A region the data names is supported even though the page lists it not.
	s2 := emutest.Listen(t, emulator.Config{Regions: map[string][]emulator.Instance{"xx-test-1": nil}})
	c2, _ := cvmClientInRegion(t, s2, "xx-test-1")
	if _, err := describe(c2, nil, nil, nil); err != nil {
		t.Errorf("data region: %v", err)
	}
}

func cvmClientInRegion(t *testing.T, s *emulator.Server, region string) (*cvm.Client, error) {
	t.Helper()
	return cvm.NewClient(defaultCred(), region, newProfile(s))
}

func TestSDKAuthFailures(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Credentials: []emulator.Credential{
		{SecretID: "AKIDplain", SecretKey: "plain-key"},
		{SecretID: "AKIDtoken", SecretKey: "token-key", Token: "the-token"},
	}, Regions: seedInstances()})
	for _, tc := range []struct {
		name string
		cred common.CredentialIface
		code string
	}{
		{"plain", common.NewCredential("AKIDplain", "plain-key"), "Success"},
		{"with its token", common.NewTokenCredential("AKIDtoken", "token-key", "the-token"), "Success"},
		{"unknown SecretId", common.NewCredential("AKIDnobody", "plain-key"), "AuthFailure.SecretIdNotFound"},
		{"wrong key", common.NewCredential("AKIDplain", "wrong-key"), "AuthFailure.SignatureFailure"},
		{"token on a permanent key", common.NewTokenCredential("AKIDplain", "plain-key", "a-token"), "AuthFailure.TokenFailure"},
		{"token missing", common.NewCredential("AKIDtoken", "token-key"), "AuthFailure.TokenFailure"},
		{"wrong token", common.NewTokenCredential("AKIDtoken", "token-key", "other-token"), "AuthFailure.TokenFailure"},
	} {
		for _, method := range []string{"TC3-HMAC-SHA256", "HmacSHA1"} {
			c := sdkClient(t, s, tc.cred, func(p *profile.ClientProfile) { p.SignMethod = method })
			_, err := describe(c, nil, nil, nil)
			code := "Success"
			if err != nil {
				code = sdkCode(err)
			}
			if code != tc.code {
				t.Errorf("%s (%s): %s, want %s", tc.name, method, code, tc.code)
			}
		}
	}

	// The emulator's clock 10 minutes ahead: every timestamp is stale.
	s.SetClockOffset(10 * time.Minute)
	for _, method := range []string{"TC3-HMAC-SHA256", "HmacSHA256"} {
		c := sdkClient(t, s, common.NewCredential("AKIDplain", "plain-key"), func(p *profile.ClientProfile) { p.SignMethod = method })
		if _, err := describe(c, nil, nil, nil); sdkCode(err) != "AuthFailure.SignatureExpire" {
			t.Errorf("%s with clock offset: %s, want AuthFailure.SignatureExpire", method, sdkCode(err))
		}
	}
	s.SetClockOffset(-4 * time.Minute) // within 5 minutes: fine again
	if _, err := describe(sdkClient(t, s, common.NewCredential("AKIDplain", "plain-key")), nil, nil, nil); err != nil {
		t.Errorf("4 minutes of skew: %v", err)
	}
	if n := s.Stats().ByCode["AuthFailure.TokenFailure"]; n != 6 {
		t.Errorf("ByCode[TokenFailure] = %d, want 6", n)
	}
}

func TestSDKThrottling(t *testing.T) {
	clock := emutest.NewClock() // frozen: the bucket never refills
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances(), RateLimit: 5, Now: clock.Now})
	c := sdkClient(t, s, defaultCred())
	ok, throttled := 0, 0
	for range 12 {
		_, err := describe(c, nil, nil, nil)
		switch code := sdkCode(err); code {
		case "":
			ok++
		case "RequestLimitExceeded":
			throttled++
			if !containsAll(err.Error(), "exceeds the frequency limit `5`") {
				t.Errorf("message %q", err)
			}
		default:
			t.Fatalf("unexpected %s", code)
		}
	}
	if ok != 5 || throttled != 7 {
		t.Fatalf("%d ok, %d throttled; want 5 and 7 (burst of one second's worth)", ok, throttled)
	}
	st := s.Stats()
	if st.Throttled != 7 || st.ByCode["RequestLimitExceeded"] != 7 || st.Requests != 12 {
		t.Errorf("stats %+v", st)
	}
	// Half a second refills 2.5 tokens.
	clock.Advance(500 * time.Millisecond)
	ok = 0
	for range 4 {
		if _, err := describe(c, nil, nil, nil); err == nil {
			ok++
		}
	}
	if ok != 2 {
		t.Errorf("after 0.5 s: %d ok, want 2", ok)
	}
	// Buckets are per account and action: AssumeRole has its own.
	if _, err := assumeRole(t, s, defaultCred(), 0); err != nil {
		t.Errorf("AssumeRole throttled by DescribeInstancesStatus's bucket: %v", err)
	}
}

func TestSDKSignatureMethodsAndGET(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances()})
	for _, method := range []string{"TC3-HMAC-SHA256", "HmacSHA1", "HmacSHA256"} {
		for _, verb := range []string{"POST", "GET"} {
			c := sdkClient(t, s, defaultCred(), func(p *profile.ClientProfile) {
				p.SignMethod = method
				p.HttpProfile.ReqMethod = verb
			})
			got, err := describe(c, []string{"ins-5d8a23rs", "ins-r8hr2upy"}, i64(0), i64(1))
			if err != nil {
				t.Errorf("%s %s: %v", method, verb, err)
				continue
			}
			if p := statusPairs(got); *got.TotalCount != 2 || !slices.Equal(p, []string{"ins-5d8a23rs=STOPPED"}) {
				t.Errorf("%s %s: %d %v", method, verb, *got.TotalCount, p)
			}
		}
	}
}

func TestSDKTransitions(t *testing.T) {
	clock := emutest.NewClock()
	s := emutest.Listen(t, emulator.Config{Now: clock.Now, Regions: map[string][]emulator.Instance{testRegion: {
		{InstanceId: "ins-5d8a23rs", InstanceState: "STARTING", Transitions: []emulator.Transition{
			{After: emulator.Duration(3 * time.Second), InstanceState: "RUNNING"},
			{After: emulator.Duration(10 * time.Second), InstanceState: "STOPPING"},
		}},
	}}})
	c := sdkClient(t, s, defaultCred())
	state := func() string {
		got, err := describe(c, []string{"ins-5d8a23rs"}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return *got.InstanceStatusSet[0].InstanceState
	}
	if st := state(); st != "STARTING" {
		t.Fatalf("at load: %s", st)
	}
	clock.Advance(3 * time.Second)
	if st := state(); st != "RUNNING" {
		t.Fatalf("after 3s: %s", st)
	}
	clock.Advance(7 * time.Second)
	if st := state(); st != "STOPPING" {
		t.Fatalf("after 10s: %s", st)
	}
	// SetInstances restarts the transitions from now.
	if err := s.SetInstances(map[string][]emulator.Instance{testRegion: {
		{InstanceId: "ins-5d8a23rs", InstanceState: "STOPPING", Transitions: []emulator.Transition{{After: emulator.Duration(time.Second), InstanceState: "STOPPED"}}},
	}}); err != nil {
		t.Fatal(err)
	}
	if st := state(); st != "STOPPING" {
		t.Fatalf("after reload: %s", st)
	}
	clock.Advance(time.Second)
	if st := state(); st != "STOPPED" {
		t.Fatalf("after reload + 1s: %s", st)
	}
}

// assumeRole calls STS AssumeRole through the SDK's common client.
func assumeRole(t *testing.T, s *emulator.Server, cred common.CredentialIface, seconds int64) (*common.Credential, error) {
	t.Helper()
	client := common.NewCommonClient(cred, testRegion, newProfile(s))
	req := tchttp.NewCommonRequest("sts", "2018-08-13", "AssumeRole")
	params := map[string]any{"RoleArn": "qcs::cam::uin/100000000001:roleName/terraform", "RoleSessionName": "emulator-test"}
	if seconds > 0 {
		params["DurationSeconds"] = seconds
	}
	if err := req.SetActionParameters(params); err != nil {
		t.Fatal(err)
	}
	resp := tchttp.NewCommonResponse()
	if err := client.Send(req, resp); err != nil {
		return nil, err
	}
	var out struct {
		Response struct {
			Credentials struct{ Token, TmpSecretId, TmpSecretKey string }
			ExpiredTime int64
			Expiration  time.Time
			RequestId   string
		}
	}
	if err := json.Unmarshal(resp.GetBody(), &out); err != nil {
		t.Fatalf("AssumeRole answer: %v", err)
	}
	r := out.Response
	if r.Credentials.Token == "" || r.Credentials.TmpSecretKey == "" || len(r.Credentials.TmpSecretId) < 8 || r.Credentials.TmpSecretId[:4] != "AKID" {
		t.Fatalf("AssumeRole credentials %+v", r.Credentials)
	}
	if r.Expiration.Unix() != r.ExpiredTime || !uuidV4.MatchString(r.RequestId) {
		t.Fatalf("AssumeRole answer %+v", r)
	}
	return common.NewTokenCredential(r.Credentials.TmpSecretId, r.Credentials.TmpSecretKey, r.Credentials.Token), nil
}

func TestSDKAssumeRoleThenCVM(t *testing.T) {
	clock := emutest.NewClock()
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances(), Now: clock.Now})
	tmp, err := assumeRole(t, s, defaultCred(), 60)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := describe(sdkClient(t, s, tmp), nil, nil, nil); err != nil {
		t.Fatalf("CVM with the temporary credential: %v", err)
	}
	v1 := sdkClient(t, s, tmp, func(p *profile.ClientProfile) { p.SignMethod = "HmacSHA256"; p.HttpProfile.ReqMethod = "GET" })
	if _, err := describe(v1, nil, nil, nil); err != nil {
		t.Fatalf("CVM with the temporary credential, v1: %v", err)
	}
	// A temporary credential may assume a role too.
	if _, err := assumeRole(t, s, tmp, 0); err != nil {
		t.Fatalf("AssumeRole with a temporary credential: %v", err)
	}
	// Without its token, or with another, it is refused.
	noToken := common.NewCredential(tmp.SecretId, tmp.SecretKey)
	if _, err := describe(sdkClient(t, s, noToken), nil, nil, nil); sdkCode(err) != "AuthFailure.TokenFailure" {
		t.Errorf("without token: %s", sdkCode(err))
	}
	// Expired after 60 s.
	clock.Advance(61 * time.Second)
	if _, err := describe(sdkClient(t, s, tmp), nil, nil, nil); sdkCode(err) != "AuthFailure.TokenFailure" {
		t.Errorf("expired: %s, want AuthFailure.TokenFailure", sdkCode(err))
	}
	// Revoked.
	tmp2, err := assumeRole(t, s, defaultCred(), 0)
	if err != nil {
		t.Fatal(err)
	}
	s.RevokeTemporaryCredentials()
	if _, err := describe(sdkClient(t, s, tmp2), nil, nil, nil); sdkCode(err) != "AuthFailure.TokenFailure" {
		t.Errorf("revoked: %s, want AuthFailure.TokenFailure", sdkCode(err))
	}
	// Permanent credentials are not affected.
	if _, err := describe(sdkClient(t, s, defaultCred()), nil, nil, nil); err != nil {
		t.Errorf("permanent after revoke: %v", err)
	}
}

func TestSDKAssumeRoleErrors(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{})
	send := func(service, version, action string, params map[string]any) error {
		client := common.NewCommonClient(defaultCred(), testRegion, newProfile(s))
		req := tchttp.NewCommonRequest(service, version, action)
		if err := req.SetActionParameters(params); err != nil {
			t.Fatal(err)
		}
		return client.Send(req, tchttp.NewCommonResponse())
	}
	good := func() map[string]any {
		return map[string]any{"RoleArn": "qcs::cam::uin/1234:roleName/ops", "RoleSessionName": "sess"}
	}
	with := func(k string, v any) map[string]any { p := good(); p[k] = v; return p }
	without := func(k string) map[string]any { p := good(); delete(p, k); return p }
	for _, tc := range []struct {
		name   string
		params map[string]any
		code   string
	}{
		{"bad arn", with("RoleArn", "arn:aws:iam::1:role/x"), "InvalidParameter"},
		{"no arn", without("RoleArn"), "MissingParameter"},
		{"no session", without("RoleSessionName"), "MissingParameter"},
		{"duration 0", with("DurationSeconds", 0), "InvalidParameterValue"},
		{"duration too long", with("DurationSeconds", 43201), "InvalidParameterValue"},
		{"duration string", with("DurationSeconds", "60"), "InvalidParameter"},
		{"unknown", with("Foo", "bar"), "UnknownParameter"},
		{"policy and external id", with("ExternalId", "x"), ""},
	} {
		if got := sdkCode(send("sts", "2018-08-13", "AssumeRole", tc.params)); got != tc.code {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.code)
		}
	}
	// The scope service must match the action: sts for AssumeRole, cvm for
	// DescribeInstancesStatus.
	if got := sdkCode(send("cvm", "2018-08-13", "AssumeRole", good())); got != "AuthFailure.InvalidAuthorization" {
		t.Errorf("AssumeRole signed for cvm: %s", got)
	}
	if got := sdkCode(send("sts", "2017-03-12", "DescribeInstancesStatus", map[string]any{})); got != "AuthFailure.InvalidAuthorization" {
		t.Errorf("DescribeInstancesStatus signed for sts: %s", got)
	}
	if got := sdkCode(send("cvm", "2017-03-12", "RunInstances", map[string]any{})); got != "InvalidAction" {
		t.Errorf("unserved action: %s", got)
	}
	if got := sdkCode(send("cvm", "2017-03-11", "DescribeInstancesStatus", map[string]any{})); got != "NoSuchVersion" {
		t.Errorf("wrong version: %s", got)
	}
	if got := sdkCode(send("cvm", "2017-03-12", "DescribeInstancesStatus", map[string]any{"Filters": []any{}})); got != "UnknownParameter" {
		t.Errorf("Filters: %s", got)
	}
}

func TestMetadataCredentials(t *testing.T) {
	clock := emutest.NewClock()
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances(), CAMRoleName: "ops-role", TempCredentialTTL: time.Hour, Now: clock.Now})
	get := func(path string) (int, string) {
		resp, err := http.Get(s.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer closeQuietly(resp.Body)
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, role := get("/latest/meta-data/cam/security-credentials/")
	if code != 200 || role != "ops-role" {
		t.Fatalf("role: %d %q", code, role)
	}
	code, body := get("/latest/meta-data/cam/security-credentials/ops-role")
	if code != 200 {
		t.Fatalf("credentials: %d %s", code, body)
	}
	var mc struct {
		TmpSecretId, TmpSecretKey, Token, Code string
		ExpiredTime                            int64
		Expiration                             time.Time
	}
	if err := json.Unmarshal([]byte(body), &mc); err != nil {
		t.Fatal(err)
	}
	if mc.Code != "Success" || mc.Expiration.Unix() != mc.ExpiredTime || mc.Token == "" {
		t.Fatalf("credential %+v", mc)
	}
	if want := clock.Now().Add(time.Hour).Truncate(time.Second); !mc.Expiration.Equal(want) {
		t.Errorf("expires %s, want %s (TempCredentialTTL after now)", mc.Expiration, want)
	}
	if code, _ := get("/latest/meta-data/cam/security-credentials/other-role"); code != 404 {
		t.Errorf("unknown role: %d, want 404", code)
	}
	tmp := common.NewTokenCredential(mc.TmpSecretId, mc.TmpSecretKey, mc.Token)
	if _, err := describe(sdkClient(t, s, tmp), nil, nil, nil); err != nil {
		t.Fatalf("CVM with the metadata credential: %v", err)
	}
	if st := s.Stats(); st.Requests != 1 {
		t.Errorf("metadata calls must not count as API requests: %+v", st)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
