package bench

import (
	"testing"

	"github.com/cvmkit/terraform-provider-cvm/internal/credentials"
	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

// startEmulator serves regions with the benchmark's rate limit, and with its
// latency and jitter when slow is true.
func startEmulator(tb testing.TB, regions map[string][]emulator.Instance, slow bool) *emulator.Server {
	tb.Helper()
	return startEmulatorWith(tb, emulator.Config{Regions: regions, RateLimit: RateLimit}, slow)
}

// startEmulatorWith starts cfg, with the benchmark's credential added, and
// the benchmark's latency and jitter when slow is true.
func startEmulatorWith(tb testing.TB, cfg emulator.Config, slow bool) *emulator.Server {
	tb.Helper()
	cfg.Credentials = append(cfg.Credentials, emulator.Credential{SecretID: SecretID, SecretKey: SecretKey})
	cfg.Seed = 1
	if slow {
		cfg.Latency = Latency
	}
	s := emutest.Listen(tb, cfg)
	if slow {
		if err := s.SetFaults(Faults()); err != nil {
			tb.Fatalf("setting latency and jitter: %v", err)
		}
	}
	return s
}

// newClient is configured as the provider configures it with rate_limit = 40;
// concurrency 0 keeps the client's default.
func newClient(tb testing.TB, s *emulator.Server, concurrency int) *cvm.Client {
	tb.Helper()
	c, err := cvm.New(cvm.Config{
		Endpoint:    s.URL(),
		Credentials: credentials.StaticCredentials("bench", tcapi.Credential{SecretID: SecretID, SecretKey: SecretKey}),
		RateLimit:   RateLimit,
		Concurrency: concurrency,
	})
	if err != nil {
		tb.Fatalf("cvm.New: %v", err)
	}
	return c
}

func skipUnlessFull(b *testing.B, n int) {
	if n >= FullSize && !Full() {
		b.Skipf("skipped: BENCH_FULL=0 leaves out the %d-instance cases", n)
	}
}
