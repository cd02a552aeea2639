package provider

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// Acceptance tests run against a local emulator that each test starts and
// seeds itself. Setting CVM_ACC_INSTANCE_IDS (a comma-separated list of
// instance IDs that exist) together with Tencent Cloud credentials in the
// usual environment variables runs them against the real service instead;
// tests that need seeded states then skip.
const envRealInstanceIDs = "CVM_ACC_INSTANCE_IDS"

const (
	accSecretID  = "AKIDacceptance000000000000000000001"
	accSecretKey = "acceptance-secret-key"
)

// requiredProviders names the provider by its registry address, as every
// user configuration (and every example) does.
const requiredProviders = `terraform {
  required_providers {
    cvm = {
      source = "cvmkit/cvm"
    }
  }
}
`

func TestMain(m *testing.M) {
	// The harness serves the in-process provider under
	// <host>/<namespace>/cvm; make that the provider's real address.
	if os.Getenv("TF_ACC_PROVIDER_NAMESPACE") == "" {
		if err := os.Setenv("TF_ACC_PROVIDER_NAMESPACE", "cvmkit"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	// Some machines point TF_CLI_CONFIG_FILE at a file that does not exist.
	// Terraform only warns, but OpenTofu's warning confuses the harness's
	// version check: point it at an empty file instead.
	if f := os.Getenv("TF_CLI_CONFIG_FILE"); f != "" {
		if _, err := os.Stat(f); err != nil {
			dir, err := os.MkdirTemp("", "cvm-acc-cli")
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			empty := filepath.Join(dir, "empty.tfrc")
			if err := os.WriteFile(empty, nil, 0o600); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			if err := os.Setenv("TF_CLI_CONFIG_FILE", empty); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			code := m.Run()
			_ = os.RemoveAll(dir)
			os.Exit(code)
		}
	}
	os.Exit(m.Run())
}

func realCloud() bool { return os.Getenv(envRealInstanceIDs) != "" }

// accTarget is where one acceptance test sends its requests.
type accTarget struct {
	emu      *emulator.Server // nil against the real cloud
	provider string           // the provider block
	ids      []string         // instance IDs known to exist there
}

// newAccTarget starts an emulator seeded with instances (in ap-guangzhou
// unless regions say otherwise), or describes the real cloud.
func newAccTarget(t *testing.T, regions map[string][]emulator.Instance) accTarget {
	t.Helper()
	if realCloud() {
		var ids []string
		for _, id := range strings.Split(os.Getenv(envRealInstanceIDs), ",") {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
		return accTarget{provider: requiredProviders + `provider "cvm" {}`, ids: ids}
	}
	s := emulatorWith(t, regions)
	var ids []string
	for _, in := range regions[DefaultRegion] {
		ids = append(ids, in.InstanceId)
	}
	return accTarget{
		emu: s,
		provider: requiredProviders + fmt.Sprintf(`provider "cvm" {
  endpoint   = %q
  region     = %q
  secret_id  = %q
  secret_key = %q
}
`, s.URL(), DefaultRegion, accSecretID, accSecretKey),
		ids: ids,
	}
}

// emulatorWith is the package's emulator: instances in regions, the test
// key, a fixed seed, stopped when the test ends.
func emulatorWith(t *testing.T, regions map[string][]emulator.Instance) *emulator.Server {
	t.Helper()
	s, err := emulator.Start(emulator.Config{
		Credentials: []emulator.Credential{{SecretID: accSecretID, SecretKey: accSecretKey}},
		Regions:     regions,
		Seed:        1,
	})
	if err != nil {
		t.Fatalf("starting the emulator: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// needsEmulator skips a test that depends on seeded states or injected
// faults when the suite runs against the real cloud.
func needsEmulator(t *testing.T) {
	t.Helper()
	if realCloud() {
		t.Skip("needs instances in known states or injected faults, which only the local emulator provides; skipped against the real cloud")
	}
}

// testEnv is an environment for the provider holding only HOME (an empty
// directory) and vars: the machine's own credentials cannot leak in, and
// tests with environments of their own run in parallel.
func testEnv(t *testing.T, vars map[string]string) Option {
	t.Helper()
	return WithEnvironment(isolatedEnv(t, vars))
}

// isolatedEnv is testEnv's lookup.
func isolatedEnv(t *testing.T, vars map[string]string) func(string) (string, bool) {
	t.Helper()
	env := map[string]string{"HOME": t.TempDir()}
	maps.Copy(env, vars)
	return mapEnv(env)
}

// mapEnv looks variables up in vars, as os.LookupEnv does in the process's.
func mapEnv(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

// factories serves the provider in-process, with short retry and poll
// delays so that retried faults and waits do not slow the suite down, and
// an isolated environment (testEnv) unless opts bring one, or the suite
// runs against the real cloud with the credentials of the process.
func factories(t *testing.T, opts ...Option) map[string]func() (tfprotov6.ProviderServer, error) {
	t.Helper()
	if !realCloud() {
		opts = append([]Option{testEnv(t, nil)}, opts...)
	}
	return map[string]func() (tfprotov6.ProviderServer, error){
		"cvm": NewServer("test", append([]Option{fastClient}, opts...)...),
	}
}

// fastClient shortens the client's retry and poll delays against the
// emulator, so that retried faults and waits do not slow the suite down.
var fastClient = WithClientConfig(func(c *cvm.Config) {
	if realCloud() {
		return
	}
	c.RetryBaseDelay = time.Millisecond
	c.RetryMaxDelay = 20 * time.Millisecond
	c.PollInterval = 100 * time.Millisecond
	c.MaxPoll = 300 * time.Millisecond
	c.RateLimit = 200
})

// hclList renders ids as an HCL list of strings.
func hclList(ids []string) string {
	quoted := make([]string, len(ids))
	for i, id := range ids {
		quoted[i] = fmt.Sprintf("%q", id)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// mfaDevice is the MFA device a user reads a code from for each terraform
// command. A code is good once (STS refuses it the second time), and each
// terraform command (plan, apply, the harness's refresh plan) is a provider
// process of its own that signs in again with the code it is given, as a
// user's commands are. So every provider process gets the device's next
// code: the emulator's clock moves on by one 30-second step for it, well
// inside the 5 minutes a request's timestamp may be off.
type mfaDevice struct {
	emu    *emulator.Server
	secret string

	mu     sync.Mutex
	offset time.Duration
	codes  []string // every code handed out, the current one last
}

// next moves the emulator's clock to the next step and returns its code.
func (d *mfaDevice) next() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.offset += 30 * time.Second
	d.emu.SetClockOffset(d.offset)
	d.codes = append(d.codes, emutest.TOTPCode(d.secret, time.Now().Add(d.offset)))
	return d.codes[len(d.codes)-1]
}

// current is the code the device shows now.
func (d *mfaDevice) current() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.codes) == 0 {
		return ""
	}
	return d.codes[len(d.codes)-1]
}

// handedOut is every code given so far.
func (d *mfaDevice) handedOut() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.codes)
}
