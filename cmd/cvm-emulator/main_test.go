package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

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
		var stdout, stderr emutest.LockedBuffer
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
	var stdout, stderr emutest.LockedBuffer
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
	resp := emutest.Call(t, url, emutest.Key{SecretID: id, SecretKey: key}, "DescribeInstancesStatus", nil)
	n, ok := resp["TotalCount"].(float64)
	if !ok {
		t.Fatalf("DescribeInstancesStatus: %v", resp)
	}
	return int64(n)
}

func TestRunServesUntilStopped(t *testing.T) {
	p := filepath.Join(t.TempDir(), "data.json")
	if err := os.WriteFile(p, []byte(`{"credentials": [{"secret_id": "AKIDfile", "secret_key": "file-key"}],
		"regions": {"ap-guangzhou": [{"InstanceId": "ins-r8hr2upy", "InstanceState": "RUNNING"}]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	var stderr emutest.LockedBuffer
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

// makeBuildLDFlags are the -ldflags `make build` links the emulator with,
// VERSION and COMMIT set as a release would set them, read from `make -n`
// (which prints the commands without running them). They must be the
// provider's: one version stamp for both binaries of a build.
func makeBuildLDFlags(t *testing.T, version, commit string) string {
	t.Helper()
	makeTool, err := exec.LookPath("make")
	if err != nil {
		t.Skip("make not found")
	}
	out, err := exec.Command(makeTool, "-C", filepath.Join("..", ".."), "-n", "build", "VERSION="+version, "COMMIT="+commit).Output()
	if err != nil {
		t.Fatalf("make -n build: %v", err)
	}
	ldflags := regexp.MustCompile(`-ldflags "([^"]*)"`)
	var provider, emulatorFlags string
	for _, line := range strings.Split(string(out), "\n") {
		m := ldflags.FindStringSubmatch(line)
		switch {
		case !strings.HasPrefix(line, "go build"):
		case strings.HasSuffix(line, " ./cmd/cvm-emulator"):
			emulatorFlags = "(none)"
			if m != nil {
				emulatorFlags = m[1]
			}
		case strings.HasSuffix(line, " ."):
			if m != nil {
				provider = m[1]
			}
		}
	}
	if emulatorFlags == "" || provider == "" {
		t.Fatalf("make -n build builds no provider or no emulator with -ldflags:\n%s", out)
	}
	if emulatorFlags != provider {
		t.Errorf("make build links the emulator with -ldflags %q and the provider with %q; stamp both alike (GNUmakefile build target)", emulatorFlags, provider)
	}
	return emulatorFlags
}

// TestBinary builds the real command as `make build` does, runs it, calls
// it and stops it with SIGTERM.
func TestBinary(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found")
	}
	flags := makeBuildLDFlags(t, "1.2.3", "abc1234")
	bin := filepath.Join(t.TempDir(), "cvm-emulator")
	build := exec.Command(goTool, "build", "-trimpath", "-o", bin, "-ldflags", flags, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "--version").Output(); err != nil || string(out) != "cvm-emulator 1.2.3 (commit abc1234)\n" {
		t.Errorf("--version of the binary `make build` makes: %q %v; want it stamped with VERSION and COMMIT", out, err)
	}
	cmd := exec.Command(bin, "--listen", "127.0.0.1:0", "--instances", "30", "--seed", "5", "--rate-limit", "0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr emutest.LockedBuffer
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

// TestReload edits the data file and sends SIGHUP: the file's regions,
// credentials and identity replace the old ones; a bad file keeps them.
func TestReload(t *testing.T) {
	p := filepath.Join(t.TempDir(), "data.json")
	write := func(content string) {
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"credentials": [{"secret_id": "AKIDold", "secret_key": "old-key"}],
		"regions": {"ap-guangzhou": [{"InstanceId": "ins-r8hr2upy", "InstanceState": "RUNNING"}], "ap-tokyo": []}}`)
	pr, pw := io.Pipe()
	var stderr emutest.LockedBuffer
	signals := make(chan os.Signal)
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"--listen", "127.0.0.1:0", "--data", p, "--rate-limit", "0"}, pw, &stderr, signals)
		_ = pw.Close()
	}()
	out := lines(pr)
	url := readURL(t, out)
	if !strings.Contains(stderr.String(), "loaded ap-guangzhou: 1 instances\nloaded ap-tokyo: 0 instances\n") {
		t.Errorf("no region lines at start:\n%s", stderr.String())
	}

	write(`{"credentials": [{"secret_id": "AKIDnew", "secret_key": "new-key"}],
		"regions": {"ap-guangzhou": [{"InstanceId": "ins-r8hr2upy", "InstanceState": "RUNNING"}, {"InstanceId": "ins-5d8a23rs", "InstanceState": "STOPPED"}]},
		"identity": {"accounts": [{"AccountId": "200000000002", "SecretIds": ["AKIDnew"]}]}}`)
	signals <- syscall.SIGHUP // unbuffered: the previous signal is being handled once this one is taken
	signals <- syscall.SIGHUP
	if n := describeAll(t, url, "AKIDnew", "new-key"); n != 2 {
		t.Errorf("after reload: %d instances, want 2", n)
	}
	if id := emutest.Call(t, url, emutest.Key{SecretID: "AKIDnew", SecretKey: "new-key"}, "GetCallerIdentity", nil); id["AccountId"] != "200000000002" {
		t.Errorf("the reloaded identity: %v", id)
	}
	if c := emutest.ErrorCode(emutest.Call(t, url, emutest.Key{SecretID: "AKIDold", SecretKey: "old-key"}, "GetCallerIdentity", nil)); c != "AuthFailure.SecretIdNotFound" {
		t.Errorf("the removed credential: %q", c)
	}
	if n := describeAll(t, url, "AKIDemulator", "emulator-secret"); n != 2 {
		t.Errorf("the --secret-id credential after reload: %d", n)
	}
	log := stderr.String()
	if !strings.Contains(log, "reloaded "+p+"\nloaded ap-guangzhou: 2 instances\nloaded ap-tokyo: 0 instances\n") {
		t.Errorf("reload lines:\n%s", log)
	}

	write(`{"regions": {"ap-guangzhou": [{"InstanceId": "ins-r8hr2upy", "InstanceState": "RUNING"}]}}`)
	signals <- syscall.SIGHUP
	signals <- syscall.SIGHUP
	if n := describeAll(t, url, "AKIDnew", "new-key"); n != 2 {
		t.Errorf("after a bad reload: %d instances, want the previous 2", n)
	}
	if log := stderr.String(); !strings.Contains(log, "reload of "+p+" failed, still serving the previous data") || !strings.Contains(log, `invalid state "RUNING"`) {
		t.Errorf("the bad reload is not reported:\n%s", log)
	}
	signals <- syscall.SIGTERM
	if code := <-done; code != 0 {
		t.Fatalf("exit %d", code)
	}
	if extra, ok := <-out; ok {
		t.Errorf("more than one stdout line: %q", extra)
	}
}
