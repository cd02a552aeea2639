package emulator_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/clock"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// The service counts DescribeInstancesStatus requests per account, so two
// processes reading with different credentials of one account share its
// rate: the bench's "processes sharing an account" rows rely on the
// emulator doing the same. With the clock frozen, each account's bucket
// holds RateLimit tokens and never refills, so the successes say which
// requests shared a bucket.
func TestRateLimitIsPerAccount(t *testing.T) {
	const (
		teamA1, teamA2, teamB = "AKIDaccountA0000000000000000000001", "AKIDaccountA0000000000000000000002", "AKIDaccountB0000000000000000000001"
		accountA, accountB    = "200000000002", "300000000003"
		unlisted              = "AKIDunlisted000000000000000000001"
	)
	clock := clock.NewSettable()
	s := emutest.Listen(t, emulator.Config{
		Regions:   seedInstances(),
		RateLimit: 3,
		Now:       clock.Now,
		Credentials: []emulator.Credential{
			{SecretID: emulator.DefaultSecretID, SecretKey: emulator.DefaultSecretKey},
			{SecretID: teamA1, SecretKey: "a1"}, {SecretID: teamA2, SecretKey: "a2"},
			{SecretID: teamB, SecretKey: "b"}, {SecretID: unlisted, SecretKey: "u"},
		},
		Identity: emulator.Identity{Accounts: []emulator.Account{
			{AccountId: accountA, SecretIds: []string{teamA1, teamA2}},
			{AccountId: accountB, SecretIds: []string{teamB}},
		}},
	})
	key := func(id, secret string) tempKey { return tempKey{id: id, key: secret} }
	// Temporary credentials of account A's role, assumed by two different
	// callers (one of them in another account): they count for the role's
	// account, A, whoever asked. AssumeRole has buckets of its own.
	assume := func(caller tempKey, account string) tempKey {
		t.Helper()
		return assumeRole(t, s, tc3Call{action: "AssumeRole", version: emulator.STSVersion, service: "sts", region: testRegion, secretID: caller.id, secretKey: caller.key,
			body: fmt.Sprintf(`{"RoleArn": "qcs::cam::uin/%s:roleName/reader", "RoleSessionName": "pipeline"}`, account)})
	}
	roleA1 := assume(key(teamA1, "a1"), accountA)
	roleA2 := assume(key(teamB, "b"), accountA)
	defaultRole := assume(key(emulator.DefaultSecretID, emulator.DefaultSecretKey), emulator.DefaultAccountID)

	codes := func(keys ...tempKey) []string {
		t.Helper()
		out := make([]string, len(keys))
		for i, k := range keys {
			out[i] = do(t, k.listing().request(t, s)).code()
		}
		return out
	}
	want := func(what string, got []string, succeed int) {
		t.Helper()
		for i, code := range got {
			wantCode := "Success"
			if i >= succeed {
				wantCode = "RequestLimitExceeded"
			}
			if code != wantCode {
				t.Errorf("%s: request %d answered %s, want %s: %v", what, i+1, code, wantCode, got)
			}
		}
	}
	// Account A: two keys and two role sessions, one bucket of 3.
	want("account A's keys and role sessions", codes(key(teamA1, "a1"), roleA1, key(teamA2, "a2"), roleA2, key(teamA1, "a1")), 3)
	// Account B is not slowed down by A.
	want("account B", codes(key(teamB, "b"), key(teamB, "b"), key(teamB, "b"), key(teamB, "b")), 3)
	// Unlisted keys, the default one and its role's sessions are all the
	// default account.
	want("the default account", codes(key(emulator.DefaultSecretID, emulator.DefaultSecretKey), key(unlisted, "u"), defaultRole, key(unlisted, "u")), 3)

	// Another action has its own buckets: account A can still assume roles.
	if a := do(t, assumeRoleCall(teamA1, "a1", "").request(t, s)); a.Response.Error != nil {
		t.Errorf("AssumeRole was throttled by DescribeInstancesStatus's bucket: %+v", a.Response.Error)
	}
}

// A flood from 200 clients at once, each on its own connection, against a
// frozen clock: the token bucket holds RateLimit tokens and never refills,
// so exactly RateLimit requests per account succeed (the two SecretIds
// belong to two accounts), every other one gets RequestLimitExceeded, and
// every one gets a well-formed answer.
func TestFloodFrom200ConcurrentClients(t *testing.T) {
	clock := clock.NewSettable()
	frozen := clock.Now()
	const other = "AKIDfloodsecond00000000000000000001"
	s := emutest.Listen(t, emulator.Config{
		Regions:   seedInstances(),
		RateLimit: 40,
		Now:       clock.Now,
		Credentials: []emulator.Credential{
			{SecretID: emulator.DefaultSecretID, SecretKey: emulator.DefaultSecretKey},
			{SecretID: other, SecretKey: "flood-second-key"},
		},
		Identity: emulator.Identity{Accounts: []emulator.Account{{AccountId: "200000000002", SecretIds: []string{other}}}},
	})
	flood := func(clients, each int) map[string]map[string]int {
		var (
			mu    sync.Mutex
			codes = map[string]map[string]int{}
			wg    sync.WaitGroup
			start = make(chan struct{})
		)
		for i := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				hc := &http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}
				defer hc.CloseIdleConnections()
				id, key := emulator.DefaultSecretID, emulator.DefaultSecretKey
				if i%2 == 1 {
					id, key = other, "flood-second-key"
				}
				<-start
				for range each {
					req := tc3Call{action: cvmAction, version: cvmVersion, region: testRegion, body: `{"Limit":1}`,
						secretID: id, secretKey: key, timestamp: frozen.Unix()}.request(t, s)
					code, err := answerCode(hc, req)
					mu.Lock()
					if codes[id] == nil {
						codes[id] = map[string]int{}
					}
					if err != nil {
						code = "transport: " + err.Error()
					}
					codes[id][code]++
					mu.Unlock()
				}
			}()
		}
		close(start)
		wg.Wait()
		return codes
	}

	codes := flood(200, 5)
	for _, id := range []string{emulator.DefaultSecretID, other} {
		got := codes[id]
		if got["Success"] != 40 || got["RequestLimitExceeded"] != 460 || len(got) != 2 {
			t.Errorf("%s: %v; want exactly 40 Success and 460 RequestLimitExceeded", id, got)
		}
	}
	st := s.Stats()
	if st.Requests != 1000 || st.Throttled != 920 || st.ByCode["Success"] != 80 {
		t.Errorf("stats %+v; want 1000 requests, 80 successes, 920 throttled", st)
	}

	// A second later the bucket has refilled by the rate, and no more: it
	// holds at most one second's worth.
	clock.Advance(time.Second)
	frozen = frozen.Add(time.Second)
	codes = flood(100, 2)
	if got := codes[emulator.DefaultSecretID]["Success"] + codes[other]["Success"]; got != 80 {
		t.Errorf("after one second: %d successes (%v); want 40 per account", got, codes)
	}
}

// A fractional rate limit rounds down: 2.5 per second lets 2 through.
func TestFractionalRateLimit(t *testing.T) {
	clock := clock.NewSettable()
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances(), RateLimit: 2.5, Now: clock.Now})
	success := 0
	for range 10 {
		if do(t, tc3Call{action: cvmAction, version: cvmVersion, region: testRegion, body: `{}`, timestamp: clock.Now().Unix()}.request(t, s)).code() == "Success" {
			success++
		}
	}
	if success != 2 {
		t.Fatalf("%d of 10 requests succeeded at 2.5/s with a frozen clock; want 2", success)
	}
}
