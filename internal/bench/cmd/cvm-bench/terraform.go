package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/bench"
)

// planCase is one configuration planned with terraform.
type planCase struct {
	Key      string // stable name, used in the report
	Label    string
	Requests int    // requests a correct read sends (throttled ones aside, which are sent again)
	Sum      int    // the sum of the `instances` outputs a correct read shows; -1 for none
	Data     string // data source blocks
	Region   string // the provider's region
	Reps     int
	// Providers replaces the provider block (rate_limit = 40, the
	// benchmark's credential) when set: several aliases, each a provider
	// process of its own.
	Providers string
	// Service is the emulator the case reads from; nil is the main one
	// (bench.RateLimit per second).
	Service *emulatorProc
	// Shared cases expect throttling: processes over-subscribing the
	// account, or a rate_limit above the service's.
	Shared bool
}

func (c planCase) service(main *emulatorProc) *emulatorProc {
	if c.Service != nil {
		return c.Service
	}
	return main
}

// planRun is one `terraform plan`.
type planRun struct {
	Wall      time.Duration
	Requests  int64
	Throttled int64
	Procs     []procRecord // provider processes Terraform started
	// ReadSpan is from the first request to the last answer, as the
	// emulator logged them; measured for Shared cases only, and 0 when the
	// log did not hold every request (emulatorProc.readSpan).
	ReadSpan time.Duration
}

func (r planRun) peakRSSKB() int64 {
	var m int64
	for _, p := range r.Procs {
		m = max(m, p.MaxRSSKB)
	}
	return m
}

func (r planRun) cpu() time.Duration {
	var t time.Duration
	for _, p := range r.Procs {
		t += p.cpu()
	}
	return t
}

// planResult holds every run of one case.
type planResult struct {
	Case planCase
	Runs []planRun
}

func median[T int64 | time.Duration](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func (p planResult) wall() time.Duration {
	return median(collect(p.Runs, func(r planRun) time.Duration { return r.Wall }))
}

// readSpan is the median read span, measured (ok) only when every run's
// was: a median over the runs that were would be another statistic.
func (p planResult) readSpan() (time.Duration, bool) {
	spans := collect(p.Runs, func(r planRun) time.Duration { return r.ReadSpan })
	if len(spans) == 0 || slices.Min(spans) <= 0 {
		return 0, false
	}
	return median(spans), true
}
func (p planResult) cpu() time.Duration {
	return median(collect(p.Runs, func(r planRun) time.Duration { return r.cpu() }))
}
func (p planResult) peakRSSKB() int64 {
	return slices.Max(collect(p.Runs, func(r planRun) int64 { return r.peakRSSKB() }))
}
func (p planResult) maxRequests() int64 {
	return slices.Max(collect(p.Runs, func(r planRun) int64 { return r.Requests }))
}
func (p planResult) minRequests() int64 {
	return slices.Min(collect(p.Runs, func(r planRun) int64 { return r.Requests }))
}
func (p planResult) throttled() int64 {
	return slices.Max(collect(p.Runs, func(r planRun) int64 { return r.Throttled }))
}

// throttledShare is the largest share of throttled answers in one run,
// measured (ok) when every run sent requests.
func (p planResult) throttledShare() (float64, bool) {
	worst := 0.0
	for _, run := range p.Runs {
		if run.Requests <= 0 {
			return 0, false
		}
		worst = max(worst, float64(run.Throttled)/float64(run.Requests))
	}
	return worst, len(p.Runs) > 0
}

func (p planResult) procs() int { return len(p.Runs[0].Procs) }

func collect[T any](runs []planRun, f func(planRun) T) []T {
	out := make([]T, len(runs))
	for i, r := range runs {
		out[i] = f(r)
	}
	return out
}

// terraformEnv runs terraform plans against the emulator through the
// wrapped provider.
type terraformEnv struct {
	env     []string // for terraform: TF_CLI_CONFIG_FILE and friends
	work    string
	records string
	emu     *emulatorProc
}

const requiredProviders = `terraform {
  required_providers {
    cvm = {
      source = "cvmkit/cvm"
    }
  }
}
`

// config is a whole configuration for c: the provider at rate_limit = 40
// against the emulator, the data sources, and an output per data source so
// that the plan shows what was read.
func (t *terraformEnv) config(c planCase) string {
	if c.Data == "" {
		return "terraform {}\n"
	}
	if c.Providers != "" {
		return requiredProviders + c.Providers + c.Data
	}
	return requiredProviders + fmt.Sprintf(`
provider "cvm" {
  endpoint   = %q
  region     = %q
  secret_id  = %q
  secret_key = %q
  rate_limit = %v
}
`, t.emu.url, c.Region, bench.SecretID, bench.SecretKey, bench.RateLimit) + c.Data
}

var instancesOutput = regexp.MustCompile(`\+ instances_\d+\s+= (\d+)`)

// plan runs c.Reps plans of c and checks that each read what it should.
func (t *terraformEnv) plan(ctx context.Context, c planCase) (planResult, error) {
	dir := filepath.Join(t.work, "plan-"+strings.NewReplacer("/", "-", "=", "-").Replace(c.Key))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return planResult{}, err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(t.config(c)), 0o600); err != nil {
		return planResult{}, err
	}
	res := planResult{Case: c}
	emu := c.service(t.emu)
	for range c.Reps {
		if _, err := readRecords(t.records); err != nil {
			return res, err
		}
		if err := emu.resetStats(); err != nil {
			return res, err
		}
		if c.Shared {
			// Start with the account's bucket full, as processes that have
			// not run for a second find it, whatever the run before spent.
			time.Sleep(time.Second)
		}
		logAt, err := emu.logSize()
		if err != nil {
			return res, err
		}
		out, wall, err := t.timedTerraform(ctx, dir, "plan", "-input=false", "-refresh=false", "-lock=false", "-no-color")
		if err != nil {
			return res, fmt.Errorf("terraform plan (%s): %w\n%s", c.Label, err, out.String())
		}
		st, err := emu.stats()
		if err != nil {
			return res, err
		}
		procs, err := readRecords(t.records)
		if err != nil {
			return res, err
		}
		if c.Data != "" && len(procs) == 0 {
			return res, fmt.Errorf("terraform plan (%s): no provider process was recorded", c.Label)
		}
		if c.Sum >= 0 {
			sum := 0
			for _, m := range instancesOutput.FindAllStringSubmatch(out.String(), -1) {
				n, _ := strconv.Atoi(m[1])
				sum += n
			}
			if sum != c.Sum {
				return res, fmt.Errorf("terraform plan (%s) shows %d instances, want %d:\n%s", c.Label, sum, c.Sum, out.String())
			}
		}
		run := planRun{Wall: wall, Requests: st.Requests, Throttled: st.Throttled, Procs: procs}
		if c.Shared {
			if run.ReadSpan, err = emu.runReadSpan(logAt, st); err != nil {
				return res, err
			}
		}
		res.Runs = append(res.Runs, run)
	}
	return res, nil
}

// timedTerraform runs terraform with args in dir and returns its combined
// output and wall time.
func (t *terraformEnv) timedTerraform(ctx context.Context, dir string, args ...string) (*bytes.Buffer, time.Duration, error) {
	cmd := exec.CommandContext(ctx, "terraform", args...)
	cmd.Dir = dir
	cmd.Env = t.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	return &out, time.Since(start), err
}

// schemaWall times `terraform providers schema -json` in dir.
func (t *terraformEnv) schemaWall(ctx context.Context, dir string) (time.Duration, error) {
	out, wall, err := t.timedTerraform(ctx, dir, "providers", "schema", "-json")
	if err != nil || !bytes.Contains(out.Bytes(), []byte(`"cvm_instances_status"`)) {
		return wall, fmt.Errorf("terraform providers schema -json: %v\n%s", err, out.String())
	}
	return wall, nil
}

// sharedConfig is k provider aliases, each a provider process of its own
// with rate_limit = rate and a SecretId of its own in one account, and one
// data source per alias reading ids from region, each with an output of how
// many instances it found: k processes sharing the account's rate, as k
// pipelines running Terraform at once would.
func sharedConfig(emu *emulatorProc, region string, k int, rate float64, ids []string) (providers, data string) {
	var p, d strings.Builder
	for i := range k {
		fmt.Fprintf(&p, `
provider "cvm" {
  alias      = "p%d"
  endpoint   = %q
  region     = %q
  secret_id  = %q
  secret_key = %q
  rate_limit = %v
}
`, i, emu.url, region, bench.SharedSecretID(i), bench.SecretKey, rate)
		d.WriteString(dataBlock(fmt.Sprintf("r%d", i), fmt.Sprintf("cvm.p%d", i), "", ids))
	}
	return p.String(), d.String()
}

// dataBlock is one data source reading ids, or the provider's whole region
// when ids is nil, with an output of how many instances it found. provider
// names an aliased provider configuration (cvm.p1); "" is the default one.
func dataBlock(name, provider, region string, ids []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\ndata \"cvm_instances_status\" %q {\n", name)
	if provider != "" {
		fmt.Fprintf(&b, "  provider = %s\n", provider)
	}
	if region != "" {
		fmt.Fprintf(&b, "  region = %q\n", region)
	}
	if ids != nil {
		b.WriteString("  instance_ids = [")
		for i, id := range ids {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q", id)
		}
		b.WriteString("]\n")
	}
	fmt.Fprintf(&b, "}\n\noutput \"instances_%s\" {\n  value = length(data.cvm_instances_status.%s.instances)\n}\n", strings.TrimPrefix(name, "r"), name)
	return b.String()
}
