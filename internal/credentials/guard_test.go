package credentials

import (
	"errors"
	"strings"
	"testing"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
)

// The account guard asks once who the credential is, and a credential of
// another account reads nothing.
func TestAccountGuard(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		guard AccountGuard
		ok    bool
	}{
		{"allowed", AccountGuard{Allowed: []string{emulator.DefaultAccountID}}, true},
		{"not allowed", AccountGuard{Allowed: []string{"100000000002", "100000000003"}}, false},
		{"forbidden", AccountGuard{Forbidden: []string{emulator.DefaultAccountID}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, _ := stsEmulator(t, emulator.Identity{})
			c := stsClientFor(t, e, func(c *readerConfig) { c.AccountGuard = &tc.guard })
			for range 3 {
				_, err := c.DescribeInstancesStatus(t.Context(), testRegion, []string{"ins-aaaaaaaa"})
				var accountErr *AccountError
				if tc.ok != (err == nil) || !tc.ok && (!errors.As(err, &accountErr) || !strings.Contains(err.Error(), emulator.DefaultAccountID)) {
					t.Fatalf("err = %v; want ok = %v, or an AccountError naming the account", err, tc.ok)
				}
			}
			st := e.Stats().ByAction
			if st["GetCallerIdentity"] != 1 || (st["DescribeInstancesStatus"] == 0) != !tc.ok {
				t.Fatalf("by action %v: want one GetCallerIdentity, and reads only when allowed", st)
			}
		})
	}
}
