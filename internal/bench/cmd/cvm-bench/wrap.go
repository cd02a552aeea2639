package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// wrapCommand makes cvm-bench run a provider binary as its child and record
// what the child used. Terraform starts the provider through a two-line
// script in the dev_overrides directory that execs `cvm-bench wrap-provider
// REAL RECORDS`, so the process Terraform talks to is this one, with the real
// provider's stdin, stdout (the go-plugin handshake) and stderr passed
// through untouched.
const wrapCommand = "wrap-provider"

// procRecord is what one provider process used, from wait4's rusage: the
// kernel's own accounting, so nothing is sampled and nothing is missed
// however short the process lived.
type procRecord struct {
	PID      int           `json:"pid"`
	Wall     time.Duration `json:"wall_ns"`
	User     time.Duration `json:"user_ns"`
	Sys      time.Duration `json:"sys_ns"`
	MaxRSSKB int64         `json:"max_rss_kb"`
	Exit     int           `json:"exit"`
}

func (r procRecord) cpu() time.Duration { return r.User + r.Sys }

func wrapProvider(args []string) int {
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: cvm-bench "+wrapCommand+" PROVIDER RECORD_DIR [ARGS...]")
		return 2
	}
	provider, records := args[0], args[1]
	// Terraform handles Ctrl-C itself and stops its providers over gRPC; a
	// SIGINT sent to the whole process group must not kill the wrapper
	// before the provider (go-plugin servers ignore it too).
	signal.Ignore(syscall.SIGINT)
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)

	cmd := exec.Command(provider, args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// go-plugin ends a provider that does not stop in time with SIGKILL,
	// which reaches only this process: take the provider along.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "cvm-bench wrapper:", err)
		return 1
	}
	go func() {
		for s := range term {
			_ = cmd.Process.Signal(s)
		}
	}()
	_ = cmd.Wait() // the exit status is in ProcessState
	ps := cmd.ProcessState
	rec := procRecord{PID: ps.Pid(), Wall: time.Since(start), User: ps.UserTime(), Sys: ps.SystemTime(), Exit: ps.ExitCode()}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		rec.MaxRSSKB = ru.Maxrss // kilobytes on Linux
	}
	if err := writeRecord(records, rec); err != nil {
		fmt.Fprintln(os.Stderr, "cvm-bench wrapper:", err)
	}
	if code := ps.ExitCode(); code >= 0 {
		return code
	}
	return 1
}

// writeRecord writes rec as RECORD_DIR/<pid>.json, through a rename so that
// a reader never sees half a record.
func writeRecord(dir string, rec procRecord) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	name := filepath.Join(dir, strconv.Itoa(rec.PID)+".json")
	if err := os.WriteFile(name+".tmp", b, 0o600); err != nil {
		return err
	}
	return os.Rename(name+".tmp", name)
}

// readRecords returns the records in dir and removes them.
func readRecords(dir string) ([]procRecord, error) {
	matches, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	recs := make([]procRecord, 0, len(matches))
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			return nil, err
		}
		var r procRecord
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("%s: %w", m, err)
		}
		recs = append(recs, r)
		if err := os.Remove(m); err != nil {
			return nil, err
		}
	}
	return recs, nil
}

// wrapperScript is the executable Terraform finds in the dev_overrides
// directory.
func wrapperScript(self, provider, records string) string {
	return "#!/bin/sh\nexec " + shellQuote(self) + " " + wrapCommand + " " + shellQuote(provider) + " " + shellQuote(records) + ` "$@"` + "\n"
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
