// Command cvm-emulator serves the local Tencent Cloud CVM API emulator
// (DescribeInstancesStatus, STS AssumeRole and the metadata credential
// endpoint) for tests and demos:
//
//	cvm-emulator [--listen 127.0.0.1:9100] [--data FILE] [--instances N] [--region ap-guangzhou]
//	             [--secret-id AKIDemulator] [--secret-key emulator-secret] [--seed 1]
//	             [--latency 0s] [--rate-limit 40]
//
// Once it accepts connections it prints exactly one line on stdout,
// "cvm-emulator listening on http://HOST:PORT" (the real port when port 0 was
// asked for). Logs go to stderr. SIGINT or SIGTERM stop it with exit status
// 0; bad flags exit 2 and any other failure 1. See package
// internal/emulator for the protocol, the data file and the admin API.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
)

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, stop))
}

// run is the whole command: it serves until stop delivers a signal and
// returns the exit status.
func run(args []string, stdout, stderr io.Writer, stop <-chan os.Signal) int {
	fs := flag.NewFlagSet("cvm-emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		listen    = fs.String("listen", "127.0.0.1:9100", "`address` to listen on; port 0 picks a free port")
		data      = fs.String("data", "", "JSON data `file` with credentials and instances per region")
		instances = fs.Int("instances", 0, "generate `N` instances in --region, in addition to --data's")
		region    = fs.String("region", "ap-guangzhou", "`region` of the generated instances")
		secretID  = fs.String("secret-id", emulator.DefaultSecretID, "SecretId accepted in addition to --data's credentials")
		secretKey = fs.String("secret-key", emulator.DefaultSecretKey, "SecretKey of --secret-id")
		seed      = fs.Int64("seed", 1, "seed of the generated instances and of fault injection")
		latency   = fs.Duration("latency", 0, "delay before every API answer")
		rateLimit = fs.Float64("rate-limit", 40, "requests per second allowed per SecretId and action; 0 means unlimited")
	)
	fs.Usage = func() {
		_, _ = fmt.Fprintf(fs.Output(), "Usage: cvm-emulator [flags]\n\nServes a local emulator of the Tencent Cloud CVM API (DescribeInstancesStatus),\nSTS AssumeRole and the CVM metadata credential endpoint.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	usageError := func(format string, a ...any) int {
		_, _ = fmt.Fprintf(stderr, "cvm-emulator: "+format+"\n", a...)
		fs.Usage()
		return 2
	}
	switch {
	case fs.NArg() > 0:
		return usageError("unexpected argument %q", fs.Arg(0))
	case *instances < 0:
		return usageError("--instances must be 0 or more, got %d", *instances)
	case *latency < 0:
		return usageError("--latency must not be negative, got %s", *latency)
	case *rateLimit < 0 || *rateLimit != *rateLimit:
		return usageError("--rate-limit must be 0 (unlimited) or more, got %v", *rateLimit)
	case *secretID == "" || *secretKey == "":
		return usageError("--secret-id and --secret-key must not be empty")
	case !regionName(*region):
		return usageError("--region %q is not a region name such as ap-guangzhou", *region)
	}

	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	fail := func(err error) int {
		_, _ = fmt.Fprintf(stderr, "cvm-emulator: %v\n", err)
		return 1
	}

	var cfg emulator.Config
	if *data != "" {
		var err error
		if cfg, err = emulator.LoadDataFile(*data); err != nil {
			return fail(err)
		}
	}
	flagCred := emulator.Credential{SecretID: *secretID, SecretKey: *secretKey}
	present := false
	for _, c := range cfg.Credentials {
		if c.SecretID == flagCred.SecretID {
			if c.SecretKey != flagCred.SecretKey {
				return fail(fmt.Errorf("--secret-id %s is also in %s with another secret key", flagCred.SecretID, *data))
			}
			present = true
		}
	}
	if !present {
		cfg.Credentials = append(cfg.Credentials, flagCred)
	}
	if *instances > 0 {
		if cfg.Regions == nil {
			cfg.Regions = map[string][]emulator.Instance{}
		}
		cfg.Regions[*region] = append(cfg.Regions[*region], emulator.GenerateInstances(*instances, *seed)...)
	}
	cfg.Seed = *seed
	cfg.Latency = *latency
	cfg.RateLimit = *rateLimit
	cfg.Logger = logger

	s, err := emulator.New(cfg)
	if err != nil {
		return fail(err)
	}
	if err := s.Listen(*listen); err != nil {
		return fail(err)
	}
	total := 0
	for _, list := range cfg.Regions {
		total += len(list)
	}
	logger.Info("emulator ready", "url", s.URL(), "regions", len(cfg.Regions), "instances", total,
		"credentials", len(cfg.Credentials), "rate_limit", *rateLimit, "latency", latency.String())
	if _, err := fmt.Fprintf(stdout, "cvm-emulator listening on %s\n", s.URL()); err != nil {
		_ = s.Close()
		return fail(fmt.Errorf("writing the listening line: %w", err))
	}

	sig := <-stop
	logger.Info("stopping", "signal", fmt.Sprint(sig))
	start := time.Now()
	if err := s.Close(); err != nil {
		return fail(fmt.Errorf("shutdown: %w", err))
	}
	logger.Info("stopped", "took", time.Since(start).String())
	return 0
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
