package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// Ten thousand valid IDs in one data source: one `terraform plan` reads
// them all with exactly 100 requests, within the service's 40 per second.
func TestAccTenThousandIDsThroughTerraform(t *testing.T) {
	needTerraform(t)
	instances := emulator.GenerateInstances(10000, 77)
	e := emutest.Start(t, emulator.Config{
		Credentials: []emulator.Credential{{SecretID: e2eSecretID, SecretKey: e2eSecretKey}},
		Regions:     map[string][]emulator.Instance{e2eRegion: instances},
		RateLimit:   40,
	}, emutest.Options{})
	quoted := make([]string, 0, 10000)
	for i := len(instances) - 1; i >= 5; i-- {
		quoted = append(quoted, strconv.Quote(instances[i].InstanceId))
	}
	for i := range 5 {
		quoted = append(quoted, strconv.Quote(fmt.Sprintf("ins-zz%06d", i)))
	}
	w := newWorkspace(t, e2eProviders+`
provider "cvm" {
  rate_limit = 40
}
data "cvm_instances_status" "many" {
  instance_ids = [`+strings.Join(quoted, ",\n    ")+`]
}
`, e2eEnv(e))
	data, res := w.plan()
	if res.exit != 0 {
		t.Fatalf("plan failed:\n%s", res.output())
	}
	ids, _, missing := instancesOf(data["data.cvm_instances_status.many"])
	if len(ids) != 9995 || len(missing) != 5 || ids[0] != instances[len(instances)-1].InstanceId {
		t.Fatalf("%d found (first %v), %d missing; want 9995 in the order given and 5 missing", len(ids), ids[:min(1, len(ids))], len(missing))
	}
	if st := e.Stats(); st.Requests != 100 || st.Throttled != 0 {
		t.Fatalf("%d requests, %d throttled; want exactly 100 and none throttled", st.Requests, st.Throttled)
	}
	t.Logf("terraform plan of 10,000 IDs: %s", res.took)
}
