package main

import (
	"flag"
	"fmt"
	"io"
)

// printHelp writes the manual: what cvm-emulator serves, its flags, the data
// file, the admin API and the faults.
func printHelp(w io.Writer, fs *flag.FlagSet) {
	_, _ = fmt.Fprintf(w, "%s\n\n%s\nFlags:\n", versionLine(), helpIntro)
	fs.SetOutput(w)
	fs.PrintDefaults()
	_, _ = fmt.Fprint(w, helpBody)
}

const helpIntro = `Usage: cvm-emulator [flags]

A local emulator of the Tencent Cloud API for tests, demos and CI jobs:
  - CVM DescribeInstancesStatus (version 2017-03-12) at / and at the legacy
    gateway /v2/index.php, signed with TC3-HMAC-SHA256 or signature v1;
  - CVM DescribeInstances (Filters instance-id, instance-state; 40/s) and
    DescribeTaskInfo (served in ap-guangzhou for every region's tasks;
    StartDate defaults to today 00:00:00 UTC+8; 20/s);
  - TAT (2020-10-28) DescribeAutomationAgentStatus (Filters agent-status,
    environment, instance-id; 60/s), on the same listener: sign for tat;
  - STS (2018-08-13) AssumeRole, AssumeRoleWithWebIdentity,
    AssumeRoleWithSAML, GetSessionToken, GetCallerIdentity;
  - the CVM metadata credential endpoint
    /latest/meta-data/cam/security-credentials/[emulator-cvm-role];
  - an unsigned admin API under /_emulator/.
The official SDKs cannot tell it from the real service: give them endpoint
HOST:PORT and scheme http (the Go SDK's HttpProfile.Endpoint and .Scheme).
This project's provider: TENCENTCLOUD_CVM_ENDPOINT=http://HOST:PORT.

Once it listens, it prints exactly one line on stdout:
  cvm-emulator listening on http://127.0.0.1:9100
(the real port when --listen asks for port 0). Everything else goes to
stderr: one "loaded REGION: N instances" line per region at start and at
each reload, then a log line per API request, naming the SecretId that
signed it (for the unsigned STS actions: the identity provider and the
role). Secrets are never logged.

Signals: SIGHUP reloads --data; SIGINT and SIGTERM stop (exit 0). Bad flags
exit 2, any other failure (a bad data file, a port in use) 1.
`

const helpBody = `
Default credential: SecretId AKIDemulator, SecretKey emulator-secret
(--secret-id/--secret-key), accepted in addition to the data file's. Unless
the data file's identity says otherwise, every credential belongs to
account 100000000001.

DATA FILE (--data)

Every field is optional; unknown fields are refused, and an error names the
file, line, column and JSON path (such as regions["ap-guangzhou"][1].InstanceState).

  {
    "credentials": [
      {"secret_id": "AKIDexample", "secret_key": "example-key"},
      {"secret_id": "AKIDtemp", "secret_key": "temp-key", "token": "must-be-sent"}
    ],
    "regions": {
      "ap-guangzhou": [
        {"InstanceId": "ins-r8hr2upy", "InstanceState": "RUNNING"},
        {"InstanceId": "ins-5d8a23rs", "InstanceState": "STARTING",
         "Transitions": [{"After": "3s", "InstanceState": "RUNNING"}]},
        {"InstanceId": "ins-7ab2c4de", "InstanceState": "RUNNING",
         "LatestOperation": "ResetInstance", "LatestOperationState": "FAILED",
         "LatestOperationErrorMsg": "disk busy", "LatestOperationRequestId": null,
         "RestrictState": "NORMAL", "IsolatedSource": "NOTISOLATED",
         "ExpiredTime": "2026-12-31T16:00:00Z",
         "Agent": {"AgentStatus": "Offline", "Version": "1.1.4",
                   "LastHeartbeatTime": "2026-12-04T10:00:00+08:00", "Environment": "Linux"},
         "MaintenanceTasks": [{"TaskId": "rep-xr36mn2a", "TaskTypeId": 102, "TaskStatus": 1,
                               "CreateTime": "2026-12-04 10:00:00", "AuthTime": "", "EndTime": ""}],
         "Transitions": [{"After": "30s", "Agent": {"AgentStatus": "Online"}}]}
      ],
      "ap-tokyo": []
    },
    "identity": {
      "accounts": [{"AccountId": "200000000002", "SecretIds": ["AKIDexample"]}],
      "oidc_providers": [{"ProviderId": "github", "Issuer": "https://token.actions.githubusercontent.com",
                          "Audiences": ["sts.tencentcloudapi.com"], "PublicKeyFile": "oidc.pem"}],
      "saml_providers": [{"PrincipalArn": "qcs::cam::uin/100000000001:saml-provider/idp",
                          "Issuer": "https://idp.example.com"}],
      "mfa_devices": [{"SerialNumber": "qcs::cam:uin/100000000001::mfa/softToken",
                       "TOTPSecret": "JBSWY3DPEHPK3PXP"}]
    }
  }

  credentials   permanent keys; "token" makes every request signed with the
                key carry that X-TC-Token.
  regions       instances per region: InstanceId is "ins-" and 8 lowercase
                letters or digits, unique across regions; InstanceState one
                of PENDING LAUNCH_FAILED RUNNING STOPPED STARTING STOPPING
                REBOOTING SHUTDOWN TERMINATING ENTER_RESCUE_MODE RESCUE_MODE
                EXIT_RESCUE_MODE ENTER_SERVICE_LIVE_MIGRATE
                SERVICE_LIVE_MIGRATE EXIT_SERVICE_LIVE_MIGRATE. A region named
                here is served even if the CVM documentation does not list it.
    readiness   optional, under the API's names (DescribeInstances, TAT,
                DescribeTaskInfo): LatestOperation*, null unless set;
                LatestOperationState SUCCESS OPERATING FAILED; RestrictState
                NORMAL (default) EXPIRED PROTECTIVELY_ISOLATED;
                IsolatedSource ARREAR EXPIRE MANMADE NOTISOLATED (default);
                ExpiredTime ISO 8601 UTC, null unless set; Agent (absent: no
                agent, left out of DescribeAutomationAgentStatus), its
                AgentStatus Online or Offline, LastHeartbeatTime RFC 3339;
                MaintenanceTasks: TaskId rep-..., TaskTypeId 101-107,
                TaskStatus 1-6, times "YYYY-MM-DD hh:mm:ss" (UTC+8).
    Transitions change InstanceState and/or any readiness field After a
                delay counted from (re)load; fields not named stay; an Agent
                step changes the fields it names; MaintenanceTasks replaces
                the list.
  identity.accounts        which account each SecretId belongs to (others:
                100000000001). With accounts listed, STS refuses roles of
                other accounts (ResourceNotFound.RoleNotFound).
  identity.oidc_providers  AssumeRoleWithWebIdentity: tokens must be RS256
                JWTs signed by PublicKeyFile's key (PEM RSA public key or
                certificate, relative to the data file), with iss = Issuer,
                aud among Audiences, not expired (exp), not before nbf.
  identity.saml_providers  AssumeRoleWithSAML: base64 <samlp:Response> from
                Issuer, within its Conditions NotBefore/NotOnOrAfter, whose
                https://cloud.tencent.com/SAML/Attributes/Role attribute
                holds "ROLE_ARN,PRINCIPAL_ARN". The XML signature is NOT
                verified.
  identity.mfa_devices     GetSessionToken, and AssumeRole's SerialNumber +
                TokenCode: TOTP (RFC 6238, SHA-1, 6 digits, 30 s, base32
                secret), one step of drift accepted; each code passes
                once (again: FailedOperation.CheckMFAError).

Reload (SIGHUP) re-reads the file: its credentials (plus --secret-id),
identity and regions (plus --instances) replace the current ones; a region
no longer in the file is emptied; transitions restart. Temporary
credentials, faults, the clock offset, stats and regions set only through
the admin API are kept; --listen, --latency, --rate-limit and --seed are not
re-read. A bad file is reported on stderr and the previous data stays.

ADMIN API (unsigned, JSON)

  GET  /_emulator/stats      {"requests", "throttled", "by_action", "by_code",
                             "by_secret_id"} since start or reset.
                             by_secret_id says who signed: per SecretId
                             whose signature verified, {"requests",
                             "by_code", "account", "temporary"} and, for a
                             temporary key, "issued_by" (the STS action or
                             "metadata"), "role" and "session" it was issued
                             for, "provider" (OIDC ProviderId or SAML
                             PrincipalArn). Never a secret key or token.
  POST /_emulator/reset      zero the stats
  PUT  /_emulator/instances  body like the data file's "regions": replaces
                             those regions, transitions from now
  GET  /_emulator/faults     the current faults
  PUT  /_emulator/faults     replace the faults ({} turns them off)
  POST /_emulator/revoke     revoke every temporary credential
  GET  /_emulator/clock      {"offset": "0s", "now": "..."}
  PUT  /_emulator/clock      {"offset": "10m"}: shift the emulator's clock
                             (signatures, transitions, expiry, TOTP)
A bad body answers HTTP 400 {"error": "..."}, a wrong method 405.

FAULTS (PUT /_emulator/faults)

  {
    "latency": "200ms",        replaces --latency while set
    "jitter": "50ms",          plus a random 0..jitter per answer
    "errors": {"InternalError": 0.1, "RequestLimitExceeded": 0.2},
    "http_502": 0.05,          HTML 502 Bad Gateway
    "http_504": 0.05,          HTML 504 Gateway Time-out
    "reset": 0.02,             connection reset, no answer
    "truncate": 0.02,          half the body, then the connection closes
    "slow": 0.1, "slow_delay": "5s",
    "appear": 0.1,             listings: an instance is launched first
    "disappear": 0.1,          listings: a random instance is removed first
    "churn_every": "1s",       every interval, each region launches or
                               terminates one instance (50/50)
    "actions": ["DescribeInstancesStatus"]   only these actions get
                               the faults above (default: every action);
                               churn_every ignores it
  }
Probabilities are per request (0..1); reset, http_502, http_504 and the
errors exclude each other, so their sum is at most 1. Draws come from
--seed: the same requests meet the same faults.

EXAMPLES

  cvm-emulator --listen 127.0.0.1:0 --instances 1000
  cvm-emulator --data instances.json --rate-limit 0 &
  kill -HUP %1          # after editing instances.json
  curl -X PUT localhost:9100/_emulator/faults -d '{"errors": {"InternalError": 0.2}}'

Guide: https://registry.terraform.io/providers/cvmkit/cvm/latest/docs/guides/emulator
`
