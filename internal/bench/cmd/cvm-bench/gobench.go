package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// goBench is one result line of `go test -bench`.
type goBench struct {
	Name    string             // without the -GOMAXPROCS suffix
	N       int                // iterations
	Metrics map[string]float64 // by unit: ns/op, B/op, requests/op, …
}

var procsSuffix = regexp.MustCompile(`-\d+$`)

// parseBenchLine parses "BenchmarkX/n=1-2  10  123 ns/op  4.0 requests/op".
func parseBenchLine(line string) (goBench, bool) {
	f := strings.Fields(line)
	if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
		return goBench{}, false
	}
	n, err := strconv.Atoi(f[1])
	if err != nil {
		return goBench{}, false
	}
	b := goBench{Name: procsSuffix.ReplaceAllString(f[0], ""), N: n, Metrics: map[string]float64{}}
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return goBench{}, false
		}
		b.Metrics[f[i+1]] = v
	}
	return b, true
}

// runGoBench runs the in-process benchmarks of internal/bench, echoing their
// output, and returns the results by name. Skipped benchmarks have none.
func runGoBench(ctx context.Context, root string, env []string, benchtime string, echo io.Writer) (map[string]goBench, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", ".", "-benchtime", benchtime, "-count", "1", "-timeout", "20m", "./internal/bench/")
	cmd.Dir = root
	cmd.Env = env
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	results := map[string]goBench{}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		_, _ = fmt.Fprintln(echo, line)
		if b, ok := parseBenchLine(line); ok {
			results[b.Name] = b
		}
	}
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("go test -bench: %w", err)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return results, nil
}
