// Command cvm-bench is `make bench`: it measures how close a read of instance
// states comes to the best the service allows, in-process and through real
// `terraform plan` runs, against the local emulator on 127.0.0.1, and writes
// the results to BENCHMARKS.md.
//
//	cvm-bench [-full=true] [-out BENCHMARKS.md] [-reps 3] [-reps-full 3] [-benchtime 1s] [-gobench=true] [-only REGEXP] [-keep]
//
// It builds the provider and the emulator into a temporary directory, runs
// the Go benchmarks of internal/bench, then plans one configuration per case
// with Terraform, through a temporary CLI configuration whose dev_overrides
// point at a wrapper that records each provider process's peak RSS and CPU
// time. -full=false (BENCH_FULL=0) leaves out the 100,000-instance cases and
// says so in the report. Only the block between the markers in BENCHMARKS.md
// is rewritten; the analysis around it is kept.
//
// It exits with status 1 when a target is not met, or not measured although
// its case ran (the report is written all the same), or when a step fails;
// 2 on bad flags. Targets whose cases -full=false, -only or -gobench=false
// left out are reported as not measured, and do not fail the run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/bench"
	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
)

type options struct {
	full      bool
	out       string
	reps      int
	repsFull  int
	benchtime string
	goBench   bool
	keep      bool
	only      *regexp.Regexp // plan cases to run, by key; nil: all
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == wrapCommand {
		os.Exit(wrapProvider(os.Args[2:]))
	}
	var o options
	flag.BoolVar(&o.full, "full", bench.Full(), "include the 100,000-instance cases (default from BENCH_FULL)")
	flag.StringVar(&o.out, "out", "BENCHMARKS.md", "report `file` (relative to the module root); empty: stdout only")
	flag.IntVar(&o.reps, "reps", 3, "terraform plans per case (the median is reported)")
	flag.IntVar(&o.repsFull, "reps-full", 3, "terraform plans of the 100,000-instance case")
	flag.StringVar(&o.benchtime, "benchtime", "1s", "go test -benchtime for the in-process benchmarks")
	flag.BoolVar(&o.goBench, "gobench", true, "run the in-process Go benchmarks (false: terraform measurements only)")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory (binaries, configurations, emulator log)")
	only := flag.String("only", "", "run only the terraform plan cases whose key matches this `regexp` (list/10000, ids/1000, ten, shared/2, overconfigured, …) and the baseline; for a quick check, not for BENCHMARKS.md")
	flag.Parse()
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			fmt.Fprintln(os.Stderr, "cvm-bench: -only:", err)
			os.Exit(2)
		}
		o.only = re
	}
	if o.reps < 1 || o.repsFull < 1 {
		fmt.Fprintln(os.Stderr, "cvm-bench: -reps and -reps-full must be at least 1")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "cvm-bench:", err)
		os.Exit(1)
	}
}

func step(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "\n==> "+format+"\n", a...)
}

// cleanEnv is the environment without anything that would change what
// Terraform, the provider or the Go benchmarks do: credentials, endpoints
// and Terraform settings come from the benchmark alone.
func cleanEnv(full bool) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "TF_") || strings.HasPrefix(k, "TENCENTCLOUD_") || strings.HasPrefix(k, "CHECKPOINT_") || k == "BENCH_FULL" {
			continue
		}
		env = append(env, kv)
	}
	benchFull := "1"
	if !full {
		benchFull = "0"
	}
	return append(env, "BENCH_FULL="+benchFull, "CHECKPOINT_DISABLE=1")
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/cvmkit/terraform-provider-cvm\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run cvm-bench inside the terraform-provider-cvm module")
		}
		dir = parent
	}
}

func run(ctx context.Context, o options) error {
	began := time.Now()
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if _, err := exec.LookPath("terraform"); err != nil {
		return errors.New("terraform is not on PATH")
	}
	env := cleanEnv(o.full)
	m := describeMachine(ctx, env)
	step("%s, %d cores; load average %s at start", m.CPU, m.Cores, m.Load)
	if !o.full {
		step("BENCH_FULL=0: the 100,000-instance cases are SKIPPED")
	}

	work, err := os.MkdirTemp("", "cvm-bench.")
	if err != nil {
		return err
	}
	if o.keep {
		step("keeping %s", work)
	} else {
		defer func() { _ = os.RemoveAll(work) }()
	}

	step("building the provider and the emulator")
	realDir, overrideDir, records := filepath.Join(work, "provider"), filepath.Join(work, "override"), filepath.Join(work, "records")
	for _, d := range []string{realDir, overrideDir, records} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	providerBin := filepath.Join(realDir, "terraform-provider-cvm")
	emulatorBin := filepath.Join(work, "cvm-emulator")
	// As `make build` builds them.
	for _, b := range [][]string{{"-o", providerBin, "."}, {"-o", emulatorBin, "./cmd/cvm-emulator"}} {
		cmd := exec.CommandContext(ctx, "go", append([]string{"build", "-trimpath", "-ldflags", "-s -w"}, b...)...)
		cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = root, env, os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go build %s: %w", b[len(b)-1], err)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(overrideDir, "terraform-provider-cvm"), []byte(wrapperScript(self, providerBin, records)), 0o700); err != nil {
		return err
	}

	goResults := map[string]goBench{}
	if o.goBench {
		step("in-process benchmarks (go test -bench, internal/bench)")
		if goResults, err = runGoBench(ctx, root, env, o.benchtime, os.Stdout); err != nil {
			return err
		}
	}

	step("starting cvm-emulator (latency %s + up to %s jitter, rate limit %v/s)", bench.Latency, bench.Jitter, bench.RateLimit)
	sizes := listingSizes(o.full)
	regions := map[string][]emulator.Instance{bench.Region(tenSize): bench.Instances(tenSize)}
	for i := range 10 {
		// Negative seeds: bench.Instances seeds by size, and IDs must be
		// unique across regions, as the service's are.
		regions[tenRegion(i)] = emulator.GenerateInstances(tenSize, -int64(i+1))
	}
	for _, n := range sizes {
		regions[bench.Region(n)] = bench.Instances(n)
	}
	emu, err := startEmulatorProc(ctx, emulatorBin, work, "emulator", bench.RateLimit, regions)
	if err != nil {
		return err
	}
	defer emu.stop()
	// A service that allows half the rate, for a user who set rate_limit
	// above what the account is allowed.
	step("starting a second cvm-emulator at %v requests/s", bench.OverConfiguredService)
	slowEmu, err := startEmulatorProc(ctx, emulatorBin, work, "emulator-slow", bench.OverConfiguredService,
		map[string][]emulator.Instance{bench.Region(bench.IDSource): regions[bench.Region(bench.IDSource)]})
	if err != nil {
		return err
	}
	defer slowEmu.stop()

	rc := func(dir string) string {
		return fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"cvmkit/cvm\" = %q\n  }\n  direct {}\n}\ndisable_checkpoint = true\n", dir)
	}
	for name, dir := range map[string]string{"wrapped.tfrc": overrideDir, "direct.tfrc": realDir} {
		if err := os.WriteFile(filepath.Join(work, name), []byte(rc(dir)), 0o600); err != nil {
			return err
		}
	}
	tfEnv := slices.Concat(env, []string{"TF_IN_AUTOMATION=1", "TF_CLI_CONFIG_FILE=" + filepath.Join(work, "wrapped.tfrc")})
	tf := &terraformEnv{env: tfEnv, work: work, records: records, emu: emu}

	step("provider start-up")
	st, err := measureStartup(ctx, tf, providerBin, env)
	if err != nil {
		return err
	}

	plans := map[string]planResult{}
	cases := slices.Concat(planCases(o, sizes, regions[bench.Region(bench.IDSource)]), sharedCases(o, emu, slowEmu, regions[bench.Region(bench.IDSource)]))
	if o.only != nil && !slices.ContainsFunc(cases, func(c planCase) bool { return c.Key != "baseline" && o.only.MatchString(c.Key) }) {
		// Else every plan target would be left out, and the run pass.
		return fmt.Errorf("-only %q matches no plan case", o.only)
	}
	for _, c := range cases {
		if o.only != nil && c.Key != "baseline" && !o.only.MatchString(c.Key) {
			continue
		}
		step("terraform plan: %s (%d×)", c.Label, c.Reps)
		r, err := tf.plan(ctx, c)
		if err != nil {
			return err
		}
		plans[c.Key] = r
		fmt.Fprintf(os.Stderr, "    wall %s (median), requests %d, throttled %d, provider peak RSS %.1f MB, CPU %.2f s\n",
			r.wall().Round(time.Millisecond), r.maxRequests(), r.throttled(), float64(r.peakRSSKB())/1024, r.cpu().Seconds())
	}

	rep := &report{opts: o, machine: m, goResults: goResults, plans: plans, startup: st, sizes: sizes, began: began}
	path := o.out
	if path != "" && !filepath.IsAbs(path) {
		path = filepath.Join(root, path)
	}
	err = conclude(rep, path, os.Stdout)
	if !o.full {
		step("BENCH_FULL=0: the n = 100,000 rows were SKIPPED; run `make bench` for them")
	}
	return err
}

// tenSize is the size of the region ten data sources list at once, and of
// each of the ten regions they list in the second case.
const tenSize = 2_000

// tenRegion is the i-th of the ten regions, each with its own instances.
func tenRegion(i int) string { return fmt.Sprintf("ap-bench-ten%d", i) }

func listingSizes(full bool) []int {
	var out []int
	for _, n := range bench.ListingSizes {
		if n < bench.FullSize || full {
			out = append(out, n)
		}
	}
	return out
}

func planCases(o options, sizes []int, idSource []emulator.Instance) []planCase {
	cases := []planCase{
		{Key: "baseline", Label: "empty configuration (baseline)", Sum: -1, Reps: max(o.reps, 5)},
		{Key: "noop", Label: "instance_ids = [] (provider started, no request)", Data: dataBlock("r0", "", "", []string{}), Region: bench.Region(bench.IDSource), Reps: o.reps},
	}
	for _, n := range sizes {
		reps := o.reps
		if n >= bench.FullSize {
			reps = o.repsFull
		}
		cases = append(cases, planCase{Key: fmt.Sprintf("list/%d", n), Label: fmt.Sprintf("list n=%d", n),
			Requests: cvm.ListingRequests(n), Sum: n, Data: dataBlock("r0", "", "", nil), Region: bench.Region(n), Reps: reps})
	}
	for _, k := range bench.IDListSizes {
		cases = append(cases, planCase{Key: fmt.Sprintf("ids/%d", k), Label: fmt.Sprintf("ids=%d", k),
			Requests: bench.Pages(k), Sum: k, Data: dataBlock("r0", "", "", bench.SpreadIDs(idSource, k)), Region: bench.Region(bench.IDSource), Reps: o.reps})
	}
	var ten, tenRegions strings.Builder
	for i := range 10 {
		ten.WriteString(dataBlock(fmt.Sprintf("r%d", i), "", "", nil))
		tenRegions.WriteString(dataBlock(fmt.Sprintf("r%d", i), "", tenRegion(i), nil))
	}
	cases = append(cases,
		planCase{Key: "ten", Label: fmt.Sprintf("10 data sources × %d instances, one region", tenSize),
			Requests: 10 * cvm.ListingRequests(tenSize), Sum: 10 * tenSize, Data: ten.String(), Region: bench.Region(tenSize), Reps: o.reps},
		planCase{Key: "ten-regions", Label: fmt.Sprintf("10 data sources × %d instances, ten regions", tenSize),
			Requests: 10 * cvm.ListingRequests(tenSize), Sum: 10 * tenSize, Data: tenRegions.String(), Region: bench.Region(tenSize), Reps: o.reps})
	return cases
}

// sharedCases are the processes that share an account (bench.SharedCases),
// each a provider alias, and so a provider process, of one configuration,
// each above its share; then one process whose rate_limit is above what the
// service allows (bench.OverConfiguredRate against slow). Each reads
// bench.SharedIDs IDs.
func sharedCases(o options, main, slow *emulatorProc, idSource []emulator.Instance) []planCase {
	ids := bench.SpreadIDs(idSource, bench.SharedIDs)
	region := bench.Region(bench.IDSource)
	var cases []planCase
	for _, sc := range bench.SharedCases {
		providers, data := sharedConfig(main, region, sc.Processes, sc.RateLimit, ids)
		cases = append(cases, planCase{Key: sharedKey(sc), Label: fmt.Sprintf("%d processes at rate_limit = %v, one account", sc.Processes, sc.RateLimit),
			Requests: sc.Processes * bench.Pages(bench.SharedIDs), Sum: sc.Processes * bench.SharedIDs, Providers: providers, Data: data,
			Region: region, Reps: o.reps, Shared: true})
	}
	providers, data := sharedConfig(slow, region, 1, bench.OverConfiguredRate, ids)
	cases = append(cases, planCase{Key: "overconfigured", Label: fmt.Sprintf("rate_limit = %v against a service at %v/s", bench.OverConfiguredRate, bench.OverConfiguredService),
		Requests: bench.Pages(bench.SharedIDs), Sum: bench.SharedIDs, Providers: providers, Data: data, Region: region, Reps: o.reps, Service: slow, Shared: true})
	return cases
}

func sharedKey(sc bench.SharedCase) string { return fmt.Sprintf("shared/%d", sc.Processes) }

// startupResult is the provider's start-up, measured two ways.
type startupResult struct {
	Direct      []startup       // probeStartup runs
	SchemaWalls []time.Duration // terraform providers schema -json
	BinaryBytes int64
}

func measureStartup(ctx context.Context, tf *terraformEnv, providerBin string, env []string) (startupResult, error) {
	var r startupResult
	fi, err := os.Stat(providerBin)
	if err != nil {
		return r, err
	}
	r.BinaryBytes = fi.Size()
	for range 10 {
		s, err := probeStartup(ctx, providerBin, env)
		if err != nil {
			return r, err
		}
		r.Direct = append(r.Direct, s)
	}
	dir := filepath.Join(tf.work, "schema")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return r, err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(requiredProviders), 0o600); err != nil {
		return r, err
	}
	direct := &terraformEnv{env: append(slicesWithout(tf.env, "TF_CLI_CONFIG_FILE="), "TF_CLI_CONFIG_FILE="+filepath.Join(tf.work, "direct.tfrc"))}
	for range 5 {
		w, err := direct.schemaWall(ctx, dir)
		if err != nil {
			return r, err
		}
		r.SchemaWalls = append(r.SchemaWalls, w)
	}
	return r, nil
}

func slicesWithout(env []string, prefix string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, prefix) {
			out = append(out, kv)
		}
	}
	return out
}

// machine describes where the numbers were taken.
type machine struct {
	CPU, Kernel, Go, Terraform, Load string
	Cores                            int
	MemGB                            float64
	Date                             time.Time
}

func describeMachine(ctx context.Context, env []string) machine {
	m := machine{CPU: "unknown CPU", Cores: runtime.NumCPU(), Date: time.Now().UTC(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %f kB", &kb); err == nil {
			m.MemGB = kb / (1 << 20)
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(b))
		if len(f) >= 3 {
			m.Load = strings.Join(f[:3], " ")
		}
	}
	cmd := exec.CommandContext(ctx, "go", "env", "GOVERSION")
	cmd.Env = env
	if out, err := cmd.Output(); err == nil {
		m.Go = strings.TrimSpace(string(out))
	}
	cmd = exec.CommandContext(ctx, "terraform", "version")
	cmd.Env = env
	if out, err := cmd.Output(); err == nil {
		m.Terraform, _, _ = strings.Cut(strings.TrimSpace(string(out)), "\n")
	}
	return m
}
