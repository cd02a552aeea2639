// Command cvm-emulator serves the local Tencent Cloud CVM API emulator
// (DescribeInstancesStatus, STS and the metadata credential endpoint) for
// tests, demos and CI jobs. `cvm-emulator --help` is its manual. The guide
// docs/guides/emulator.md (from templates/guides/emulator.md.tmpl) is a
// separate, longer text; TestHelpAgreesWithGuide holds that every flag,
// fault field and admin endpoint the manual names is in the guide.
//
// Once it accepts connections it prints exactly one line on stdout,
// "cvm-emulator listening on http://HOST:PORT" (the real port when port 0 was
// asked for); everything else, the loaded regions included, goes to stderr.
// SIGHUP reloads --data. SIGINT or SIGTERM stop it with exit status 0; bad
// flags exit 2 and any other failure 1.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
)

// Set by `make build` and the release build, as the provider's are:
// -X main.version=… -X main.commit=….
var (
	version = "dev"
	commit  = ""
)

func main() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, signals))
}

func versionLine() string {
	if commit == "" {
		return "cvm-emulator " + version
	}
	return "cvm-emulator " + version + " (commit " + commit + ")"
}

// options are the command's flags.
type options struct {
	listen, data, region, secretID, secretKey string
	instances                                 int
	seed                                      int64
	latency                                   time.Duration
	rateLimit                                 float64
}

// run is the whole command: it serves until signals delivers SIGINT or
// SIGTERM (SIGHUP reloads --data) and returns the exit status.
func run(args []string, stdout, stderr io.Writer, signals <-chan os.Signal) int {
	fs := flag.NewFlagSet("cvm-emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.listen, "listen", "127.0.0.1:9100", "`address` to listen on; port 0 picks a free port")
	fs.StringVar(&o.data, "data", "", "JSON data `file`: credentials, instances per region, identity (reloaded on SIGHUP)")
	fs.IntVar(&o.instances, "instances", 0, "generate `N` instances in --region, in addition to --data's")
	fs.StringVar(&o.region, "region", "ap-guangzhou", "`region` of the generated instances")
	fs.StringVar(&o.secretID, "secret-id", emulator.DefaultSecretID, "SecretId accepted in addition to --data's credentials")
	fs.StringVar(&o.secretKey, "secret-key", emulator.DefaultSecretKey, "SecretKey of --secret-id")
	fs.Int64Var(&o.seed, "seed", 1, "seed of the generated instances and of fault injection")
	fs.DurationVar(&o.latency, "latency", 0, "delay before every API answer, such as 100ms")
	fs.Float64Var(&o.rateLimit, "rate-limit", 40, "requests per second allowed per account and action; 0 means unlimited (DescribeInstances, DescribeTaskInfo and DescribeAutomationAgentStatus keep their documented 40, 20 and 60 while it is on)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	shortUsage := func() {
		_, _ = fmt.Fprintf(stderr, "Usage: cvm-emulator [flags]   (cvm-emulator --help for the manual)\n")
	}
	fs.Usage = func() {} // Parse's errors get the short usage below, --help the manual
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printHelp(stdout, fs)
			return 0
		}
		shortUsage()
		return 2
	}
	if *showVersion {
		_, _ = fmt.Fprintln(stdout, versionLine())
		return 0
	}
	usageError := func(format string, a ...any) int {
		_, _ = fmt.Fprintf(stderr, "cvm-emulator: "+format+"\n", a...)
		shortUsage()
		return 2
	}
	switch {
	case fs.NArg() > 0:
		return usageError("unexpected argument %q", fs.Arg(0))
	case o.instances < 0:
		return usageError("--instances must be 0 or more, got %d", o.instances)
	case o.latency < 0:
		return usageError("--latency must not be negative, got %s", o.latency)
	case o.rateLimit < 0 || o.rateLimit != o.rateLimit:
		return usageError("--rate-limit must be 0 (unlimited) or more, got %v", o.rateLimit)
	case o.secretID == "" || o.secretKey == "":
		return usageError("--secret-id and --secret-key must not be empty")
	case !regionName(o.region):
		return usageError("--region %q is not a region name such as ap-guangzhou", o.region)
	}

	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	fail := func(err error) int {
		_, _ = fmt.Fprintf(stderr, "cvm-emulator: %v\n", err)
		return 1
	}
	cfg, err := o.config()
	if err != nil {
		return fail(err)
	}
	cfg.Seed = o.seed
	cfg.Latency = o.latency
	cfg.RateLimit = o.rateLimit
	cfg.Logger = logger

	s, err := emulator.New(cfg)
	if err != nil {
		return fail(err)
	}
	printRegions(stderr, cfg.Regions)
	if err := s.Listen(o.listen); err != nil {
		return fail(err)
	}
	logger.Info("emulator ready", "version", version, "url", s.URL(), "regions", len(cfg.Regions),
		"credentials", len(cfg.Credentials), "rate_limit", o.rateLimit, "latency", o.latency.String())
	if _, err := fmt.Fprintf(stdout, "cvm-emulator listening on %s\n", s.URL()); err != nil {
		_ = s.Close()
		return fail(fmt.Errorf("writing the listening line: %w", err))
	}

	loaded := cfg.Regions
	for sig := range signals {
		if sig != syscall.SIGHUP {
			logger.Info("stopping", "signal", fmt.Sprint(sig))
			break
		}
		if o.data == "" {
			logger.Info("SIGHUP: nothing to reload without --data")
			continue
		}
		next, err := o.config()
		if err == nil {
			// Regions gone from the file are emptied, not kept.
			for name := range loaded {
				if _, ok := next.Regions[name]; !ok {
					next.Regions[name] = nil
				}
			}
			err = s.Reload(next)
		}
		if err != nil {
			_, _ = fmt.Fprintf(stderr, "cvm-emulator: reload of %s failed, still serving the previous data: %v\n", o.data, err)
			continue
		}
		_, _ = fmt.Fprintf(stderr, "reloaded %s\n", o.data)
		printRegions(stderr, next.Regions)
		loaded = next.Regions
	}
	start := time.Now()
	if err := s.Close(); err != nil {
		return fail(fmt.Errorf("shutdown: %w", err))
	}
	logger.Info("stopped", "took", time.Since(start).String())
	return 0
}

// config reads --data and adds the flags' credential and generated
// instances, as at start and at each reload.
func (o options) config() (emulator.Config, error) {
	var cfg emulator.Config
	if o.data != "" {
		var err error
		if cfg, err = emulator.LoadDataFile(o.data); err != nil {
			return cfg, err
		}
	}
	flagCred := emulator.Credential{SecretID: o.secretID, SecretKey: o.secretKey}
	present := false
	for _, c := range cfg.Credentials {
		if c.SecretID == flagCred.SecretID {
			if c.SecretKey != flagCred.SecretKey {
				return cfg, fmt.Errorf("--secret-id %s is also in %s with another secret key", flagCred.SecretID, o.data)
			}
			present = true
		}
	}
	if !present {
		cfg.Credentials = append(cfg.Credentials, flagCred)
	}
	if cfg.Regions == nil {
		cfg.Regions = map[string][]emulator.Instance{}
	}
	if o.instances > 0 {
		cfg.Regions[o.region] = append(cfg.Regions[o.region], emulator.GenerateInstances(o.instances, o.seed)...)
	}
	return cfg, nil
}

// printRegions writes one line per region, such as
// "loaded ap-guangzhou: 1006 instances". They go to stderr: stdout carries
// only the listening line that scripts wait for.
func printRegions(w io.Writer, regions map[string][]emulator.Instance) {
	for _, name := range slices.Sorted(maps.Keys(regions)) {
		_, _ = fmt.Fprintf(w, "loaded %s: %d instances\n", name, len(regions[name]))
	}
}

// regionName accepts lowercase letters, digits and dashes, such as
// ap-guangzhou.
func regionName(r string) bool {
	if r == "" {
		return false
	}
	for _, c := range r {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}
