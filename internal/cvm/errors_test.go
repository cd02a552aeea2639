package cvm

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// A wait on a thousand instances names ten and counts the rest.
func TestWaitErrorNamesAFew(t *testing.T) {
	t.Parallel()
	we := &WaitError{Wanted: []string{"RUNNING"}, Err: context.DeadlineExceeded}
	for i := range 1000 {
		we.NotReady = append(we.NotReady, InstanceStatus{InstanceID: fmt.Sprintf("ins-%08d", i)})
	}
	msg := we.Error()
	if !strings.Contains(msg, "ins-00000009 (not found), and 990 more") || strings.Contains(msg, "ins-00000010") || len(msg) > 400 {
		t.Fatalf("a %d-byte message: %q", len(msg), msg)
	}
}
