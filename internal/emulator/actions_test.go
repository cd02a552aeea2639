package emulator_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

func TestEmptyInstanceIdsMeansAll(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances()})
	a := do(t, tc3Call{action: cvmAction, version: cvmVersion, region: testRegion, body: `{"InstanceIds":[]}`}.request(t, s))
	wantCode(t, a, "Success")
	if *a.Response.TotalCount != 2 || !slices.Equal(a.ids(), []string{"ins-5d8a23rs", "ins-r8hr2upy"}) {
		t.Errorf("empty InstanceIds: %d %v", *a.Response.TotalCount, a.ids())
	}
	a = do(t, tc3Call{action: cvmAction, version: cvmVersion, region: "ap-tokyo", body: `{"InstanceIds":null}`}.request(t, s))
	wantCode(t, a, "Success")
	if *a.Response.TotalCount != 0 || a.Response.InstanceStatusSet == nil {
		t.Errorf("empty region: %+v", a.Response)
	}
}

// BenchmarkDescribePage100k measures the server's own time for one signed
// page of 100 out of 100,000 instances: parsing, TC3 verification, paging,
// state computation and encoding (no network).
func BenchmarkDescribePage100k(b *testing.B) {
	s, err := emulator.New(emulator.Config{Regions: map[string][]emulator.Instance{testRegion: emulator.GenerateInstances(100000, 1)}})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	const host = "cvm.emulator.test"
	ts := time.Now().Unix()
	date := emulator.TC3Date(ts)
	key := emulator.TC3SigningKey(emulator.DefaultSecretKey, date, "cvm")
	bodies := make([][]byte, 10)
	auth := make([]string, 10)
	for i := range bodies {
		bodies[i] = []byte(`{"Offset":` + strconv.Itoa(i*9973) + `,"Limit":100}`)
		cr := emulator.TC3CanonicalRequest("POST", "/", "", "content-type:application/json\nhost:"+host+"\n", "content-type;host", emulator.SHA256Hex(bodies[i]))
		auth[i] = "TC3-HMAC-SHA256 Credential=" + emulator.DefaultSecretID + "/" + date + "/cvm/tc3_request, SignedHeaders=content-type;host, Signature=" +
			emulator.TC3Sign(key, emulator.TC3StringToSign(strconv.FormatInt(ts, 10), date, "cvm", cr))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		j := i % len(bodies)
		req := httptest.NewRequest(http.MethodPost, "http://"+host+"/", bytes.NewReader(bodies[j]))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", auth[j])
		req.Header.Set("X-TC-Action", cvmAction)
		req.Header.Set("X-TC-Version", cvmVersion)
		req.Header.Set("X-TC-Region", testRegion)
		req.Header.Set("X-TC-Timestamp", strconv.FormatInt(ts, 10))
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 || !bytes.Contains(rec.Body.Bytes(), []byte(`"TotalCount":100000`)) {
			b.Fatalf("answer %d %s", rec.Code, rec.Body.Bytes())
		}
	}
}
