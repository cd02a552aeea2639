package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestWrapperRecordsTheProvider runs the wrapper script, as Terraform would
// run the provider, around a shell that burns some CPU, and checks that it
// passes arguments and stdout through and records the child's usage.
func TestWrapperRecordsTheProvider(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	dir := t.TempDir()
	self, err := os.Executable() // the test binary: TestMain below serves wrap-provider
	if err != nil {
		t.Fatal(err)
	}
	child := filepath.Join(dir, "it's a child") // quoted in the script
	if err := os.WriteFile(child, []byte("#!/bin/sh\ni=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo \"handshake $1 $2\"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "terraform-provider-cvm")
	if err := os.WriteFile(script, []byte(wrapperScript(self, child, dir)), 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(script, "a b", "c").Output()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "handshake a b c\n" {
		t.Errorf("stdout %q", out)
	}
	recs, err := readRecords(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
	r := recs[0]
	if r.Exit != 0 || r.MaxRSSKB <= 0 || r.cpu() <= 0 || r.Wall <= 0 || r.Wall > time.Minute {
		t.Errorf("record %+v", r)
	}
	if again, _ := readRecords(dir); len(again) != 0 {
		t.Errorf("records were not removed once read")
	}
}
