package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/bench"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
)

// emulatorProc is a cvm-emulator process on 127.0.0.1.
type emulatorProc struct {
	cmd *exec.Cmd
	url string
	log string // its standard error: one line per API request
}

// startEmulatorProc starts the emulator binary (named name in the work
// directory's files) with the benchmark's latency and the given rate limit,
// serving regions, and adds the jitter through its admin API. Besides the
// benchmark's credential it accepts the SecretIds of the processes that
// share an account (bench.SharedCredentials), all in one account.
func startEmulatorProc(ctx context.Context, bin, work, name string, rateLimit float64, regions map[string][]emulator.Instance) (*emulatorProc, error) {
	creds, identity := bench.SharedCredentials()
	data, err := json.Marshal(map[string]any{"regions": regions, "credentials": creds, "identity": identity})
	if err != nil {
		return nil, err
	}
	dataFile := filepath.Join(work, name+"-data.json")
	if err := os.WriteFile(dataFile, data, 0o600); err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(work, name+".log"))
	if err != nil {
		return nil, err
	}
	defer func() { _ = logFile.Close() }() // the child has its own descriptor
	cmd := exec.CommandContext(ctx, bin, "--listen", "127.0.0.1:0", "--data", dataFile,
		"--secret-id", bench.SecretID, "--secret-key", bench.SecretKey,
		"--latency", bench.Latency.String(), "--rate-limit", strconv.FormatFloat(rateLimit, 'f', -1, 64), "--seed", "1")
	cmd.Stderr = logFile
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	e := &emulatorProc{cmd: cmd, log: logFile.Name()}
	line, err := bufio.NewReader(out).ReadString('\n')
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "cvm-emulator listening on ")
	if err != nil || !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		e.stop()
		// The work directory goes when the run ends: quote the log.
		log, _ := os.ReadFile(logFile.Name())
		return nil, fmt.Errorf("the emulator did not start (%q, %v):\n%s", line, err, strings.TrimSpace(string(log)))
	}
	e.url = url
	faults, err := json.Marshal(bench.Faults())
	if err != nil {
		e.stop()
		return nil, err
	}
	if err := e.admin(http.MethodPut, "faults", faults, nil); err != nil {
		e.stop()
		return nil, err
	}
	return e, nil
}

func (e *emulatorProc) stop() {
	_ = e.cmd.Process.Signal(os.Interrupt)
	_ = e.cmd.Wait()
}

// admin calls the emulator's admin API and decodes its JSON answer into out.
func (e *emulatorProc) admin(method, name string, body []byte, out any) error {
	req, err := http.NewRequest(method, e.url+"/_emulator/"+name, bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s /_emulator/%s: %s: %s", method, name, resp.Status, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func (e *emulatorProc) resetStats() error { return e.admin(http.MethodPost, "reset", nil, nil) }

// logSize is where the emulator's log ends now: readSpan reads from there.
func (e *emulatorProc) logSize() (int64, error) {
	fi, err := os.Stat(e.log)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// readSpan is the time from the first DescribeInstancesStatus request the
// emulator logged after offset to the last answer it sent (a request's
// time plus the delay it was answered after): how long the reads took as
// the service saw them, without Terraform's work before and after.
//
// The span is measured (ok) only when the log holds one line for each of
// the counted requests, the DescribeInstancesStatus requests the
// emulator's stats counted over the same reads. With no line there is
// nothing to time, and the span would be 0, which a ratio to the bound
// would take for an instant read; with fewer lines it would time part of
// the reads.
func (e *emulatorProc) readSpan(offset, counted int64) (span time.Duration, ok bool, err error) {
	f, err := os.Open(e.log)
	if err != nil {
		return 0, false, err
	}
	defer func() { _ = f.Close() }()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return 0, false, err
	}
	var first, last time.Time
	var lines int64
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, `msg="api request"`) || !strings.Contains(line, " action=DescribeInstancesStatus ") {
			continue
		}
		at, delay, ok := requestTimes(line)
		if !ok {
			return 0, false, fmt.Errorf("%s: an API request line without time and delay: %s", e.log, line)
		}
		lines++
		if first.IsZero() || at.Before(first) {
			first = at
		}
		if end := at.Add(delay); end.After(last) {
			last = end
		}
	}
	if err := sc.Err(); err != nil {
		return 0, false, err
	}
	if lines == 0 || lines != counted {
		return 0, false, nil
	}
	return last.Sub(first), true, nil
}

// runReadSpan is the read span of a plan's run: readSpan from offset, over
// the requests st counted, or 0 (not measured) when the log does not hold
// them, which it says on standard error.
func (e *emulatorProc) runReadSpan(offset int64, st emulator.Stats) (time.Duration, error) {
	counted := st.ByAction["DescribeInstancesStatus"]
	span, ok, err := e.readSpan(offset, counted)
	if err != nil || ok {
		return span, err
	}
	fmt.Fprintf(os.Stderr, "    read span not measured: %s does not hold a line for each of the %d DescribeInstancesStatus requests the emulator counted\n", e.log, counted)
	return 0, nil
}

// requestTimes reads time= and delay= from one of the emulator's slog text
// lines.
func requestTimes(line string) (time.Time, time.Duration, bool) {
	var at time.Time
	var delay time.Duration
	var okTime, okDelay bool
	for _, f := range strings.Fields(line) {
		if v, found := strings.CutPrefix(f, "time="); found {
			t, err := time.Parse(time.RFC3339Nano, v)
			at, okTime = t, err == nil
		} else if v, found := strings.CutPrefix(f, "delay="); found {
			d, err := time.ParseDuration(v)
			delay, okDelay = d, err == nil
		}
	}
	return at, delay, okTime && okDelay
}

func (e *emulatorProc) stats() (emulator.Stats, error) {
	var s emulator.Stats
	err := e.admin(http.MethodGet, "stats", nil, &s)
	return s, err
}
