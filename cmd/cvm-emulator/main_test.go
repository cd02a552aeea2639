package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	cvm "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/cvm/v20170312"
)

// syncBuffer is a bytes.Buffer safe for the command's logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--bogus"},
		{"--instances", "-1"},
		{"--instances", "many"},
		{"--latency", "-1s"},
		{"--rate-limit", "-2"},
		{"--region", "AP Guangzhou", "--instances", "1"},
		{"--secret-id", ""},
		{"extra"},
	} {
		var stdout, stderr syncBuffer
		if code := run(args, &stdout, &stderr, nil); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		if !strings.Contains(stderr.String(), "Usage: cvm-emulator") || stdout.String() != "" {
			t.Errorf("%v: stderr %q stdout %q", args, stderr.String(), stdout.String())
		}
	}
}

func TestBadDataFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "instances.json")
	if err := os.WriteFile(p, []byte(`{"regions": {"ap-guangzhou": [{"InstanceId": "ins-r8hr2upy", "InstanceState": "RUNING"}]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr syncBuffer
	if code := run([]string{"--data", p, "--listen", "127.0.0.1:0"}, &stdout, &stderr, nil); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	msg := stderr.String()
	for _, want := range []string{p, `regions["ap-guangzhou"][0].InstanceState`, `invalid state "RUNING"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("stderr %q lacks %q", msg, want)
		}
	}
	if strings.Count(strings.TrimSpace(msg), "\n") != 0 || stdout.String() != "" {
		t.Errorf("want one line on stderr and nothing on stdout: %q / %q", msg, stdout.String())
	}
}

// lines collects what the command writes on stdout, line by line.
func lines(r io.Reader) <-chan string {
	ch := make(chan string, 16)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	return ch
}

func readURL(t *testing.T, out <-chan string) string {
	t.Helper()
	select {
	case line, ok := <-out:
		url, found := strings.CutPrefix(line, "cvm-emulator listening on ")
		if !ok || !found || !strings.HasPrefix(url, "http://127.0.0.1:") || strings.HasSuffix(url, ":0") {
			t.Fatalf("first stdout line %q", line)
		}
		return url
	case <-time.After(60 * time.Second):
		t.Fatal("no 'listening' line")
	}
	return ""
}

func describeAll(t *testing.T, url, id, key string) int64 {
	t.Helper()
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Endpoint = strings.TrimPrefix(url, "http://")
	cpf.HttpProfile.Scheme = "http"
	cpf.DisableRegionBreaker = true
	c, err := cvm.NewClient(common.NewCredential(id, key), "ap-guangzhou", cpf)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.DescribeInstancesStatus(cvm.NewDescribeInstancesStatusRequest())
	if err != nil {
		t.Fatalf("DescribeInstancesStatus: %v", err)
	}
	return *resp.Response.TotalCount
}

func TestRunServesUntilStopped(t *testing.T) {
	p := filepath.Join(t.TempDir(), "data.json")
	if err := os.WriteFile(p, []byte(`{"credentials": [{"secret_id": "AKIDfile", "secret_key": "file-key"}],
		"regions": {"ap-guangzhou": [{"InstanceId": "ins-r8hr2upy", "InstanceState": "RUNNING"}]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	var stderr syncBuffer
	stop := make(chan os.Signal, 1)
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"--listen", "127.0.0.1:0", "--data", p, "--instances", "7", "--seed", "3"}, pw, &stderr, stop)
		_ = pw.Close()
	}()
	out := lines(pr)
	url := readURL(t, out)
	// The data file's credential and the flag's default both work; the
	// generated instances are added to the file's.
	if n := describeAll(t, url, "AKIDfile", "file-key"); n != 8 {
		t.Errorf("TotalCount %d, want 8", n)
	}
	if n := describeAll(t, url, "AKIDemulator", "emulator-secret"); n != 8 {
		t.Errorf("TotalCount %d with the default credential, want 8", n)
	}
	stop <- syscall.SIGTERM
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return after the signal")
	}
	if extra, ok := <-out; ok {
		t.Errorf("more than one stdout line: %q", extra)
	}
	log := stderr.String()
	if !strings.Contains(log, "msg=\"api request\"") || !strings.Contains(log, "action=DescribeInstancesStatus") {
		t.Errorf("no request log line on stderr:\n%s", log)
	}
	if strings.Contains(log, "emulator-secret") || strings.Contains(log, "file-key") || strings.Contains(log, "Signature=") {
		t.Errorf("a secret reached the log:\n%s", log)
	}
}

// TestBinary builds the real command, runs it, calls it with the official
// SDK and stops it with SIGTERM.
func TestBinary(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found")
	}
	bin := filepath.Join(t.TempDir(), "cvm-emulator")
	build := exec.Command(goTool, "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "--listen", "127.0.0.1:0", "--instances", "30", "--seed", "5", "--rate-limit", "0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	out := lines(stdout)
	url := readURL(t, out)
	if n := describeAll(t, url, "AKIDemulator", "emulator-secret"); n != 30 {
		t.Errorf("TotalCount %d, want 30", n)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Stdout must be drained before Wait; it closes when the process exits.
	timeout := time.After(30 * time.Second)
drain:
	for {
		select {
		case extra, ok := <-out:
			if !ok {
				break drain
			}
			t.Errorf("more than one stdout line: %q", extra)
		case <-timeout:
			t.Fatal("the command did not stop on SIGTERM")
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v; stderr:\n%s", err, stderr.String())
	}
	if cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("exit code %d", cmd.ProcessState.ExitCode())
	}
}
