// Package emulator is a local emulator of the Tencent Cloud CVM API 3.0
// actions DescribeInstancesStatus, DescribeInstances and DescribeTaskInfo
// (version 2017-03-12), of TAT's DescribeAutomationAgentStatus (2020-10-28),
// of STS (2018-08-13:
// AssumeRole, AssumeRoleWithWebIdentity, AssumeRoleWithSAML, GetSessionToken,
// GetCallerIdentity) and of the CVM metadata credential endpoint. The
// official SDKs cannot tell it from the real endpoint (sdkcheck holds them
// to it); the client's tests, the e2e tests, the bench and the demo run
// against it; cmd/cvm-emulator is its command.
//
// The manual, for users, is the guide: templates/guides/emulator.md.tmpl,
// published as docs/guides/emulator.md and as `cvm-emulator --help` (a test
// in cmd/cvm-emulator keeps the two in step). It covers the flags, the data
// file, reloading, STS, identities and MFA, the admin API, the faults and
// the statistics. This page is for engineers: where things are, and the
// protocol details the guide leaves out.
//
// # Independent of the client
//
// It shares no code with the project's client (internal/cvm and the
// packages under it), and must not import it: its signature checks are a
// second implementation of TC3-HMAC-SHA256 and signature v1, held to the
// official known answers (signature_test.go), so that two implementations
// that agree are the evidence that both are right. Its tests start it
// through emutest, which likewise knows no client.
//
// # What is where
//
//   - server.go: the Server, New, Reload, SetInstances; listen.go: serving
//     it on a port (Start, Listen, Close); serveapi.go: the request path,
//     from ServeHTTP through the checks (process) to the written answer.
//   - request.go, params.go: reading a request, whatever its form, and
//     binding its parameters; response.go: the API 3.0 envelope and errors.
//   - signature.go, auth.go: signing and authentication; identity.go,
//     credentials.go, sts.go, oidc.go, saml.go, totp.go: accounts, temporary
//     credentials, the STS actions and what vouches for them.
//   - actions.go: the actions and DescribeInstancesStatus; store.go: a
//     region's instances and their transitions; validate.go: instance IDs,
//     states and regions.
//   - ratelimit.go: the per-account token buckets; faults.go: fault
//     injection and churn; stats.go: counters; admin.go: /_emulator/…;
//     package clock: the emulator's shifted clock, and the settable one
//     tests drive.
//   - types.go: Config and the data's types; datafile.go: the data file, and
//     errors that give a JSON path, line and column; generate.go: generated
//     regions for the bench.
//
// # Endpoints
//
//   - / — the API. POST with a JSON body signed with TC3-HMAC-SHA256; GET with
//     the parameters in the query string, signed with TC3-HMAC-SHA256 (common
//     parameters in X-TC-* headers or in the query) or with signature v1
//     (HmacSHA1 or HmacSHA256); POST application/x-www-form-urlencoded,
//     signed either way. A request with an Authorization header is TC3, one
//     without is signature v1. List parameters are flattened as
//     InstanceIds.0, InstanceIds.1, … or from 1 (InstanceIds.1, …); the
//     numbering must be contiguous.
//   - /v2/index.php — the legacy API 2.0 gateway of the older documentation
//     page: the same API, signature v1 computed over that path; its example
//     request (InstanceIds.1, InstanceIds.2, Offset=0, Limit=2) gets the
//     example's answer shape.
//   - /latest/meta-data/cam/security-credentials/ — unsigned, like the real
//     169.254 metadata service: the role name (Config.CAMRoleName) as plain
//     text; /latest/meta-data/cam/security-credentials/<role> returns a fresh
//     temporary credential {"TmpSecretId","TmpSecretKey","ExpiredTime",
//     "Expiration","Token","Code":"Success"} valid for
//     Config.TempCredentialTTL. Another role name answers 404.
//   - /_emulator/… — the unsigned admin API (below).
//   - Any other path answers 404 with a JSON {"error": …}.
//
// Every processed API request is answered with HTTP 200, Content-Type
// application/json and the API 3.0 envelope
// {"Response":{…,"RequestId":"<random UUID v4>"}}, errors included:
// {"Response":{"Error":{"Code":…,"Message":…},"RequestId":…}}. Messages are
// in English whatever X-TC-Language says.
//
// # Checks, in order, and their error codes
//
//  1. Transport. Methods other than GET and POST, and POST bodies that are not
//     application/json or application/x-www-form-urlencoded (or have no
//     Content-Type) → UnsupportedProtocol (the emulator's choice: the service
//     documents that code for "only GET and POST are supported").
//     Size limits → RequestSizeLimitExceeded: GET query string over 32 KB,
//     TC3 POST body over 10 MB, signature v1 POST body over 1 MB. A JSON body
//     that does not parse, or is not an object → InvalidParameter ("The
//     request body is not valid JSON: …"); an empty JSON body reads as {}.
//     A parameter repeated in a query or form → InvalidParameter.
//  2. Action and version. Missing Action or Version → MissingParameter;
//     an action the emulator does not serve → InvalidAction; another version
//     → NoSuchVersion.
//  3. Region. Missing → MissingParameter, for DescribeInstancesStatus and
//     every STS action alike: each one's page marks Region required, STS's
//     too though STS is global. A region that is neither one of the 18 the
//     CVM page lists nor one present in the data → UnsupportedRegion.
//  4. Authentication, exactly as the service:
//     a malformed Authorization header (not TC3-HMAC-SHA256, missing
//     Credential/SignedHeaders/Signature, SignedHeaders without content-type
//     and host, a credential scope whose date is not the UTC date of the
//     timestamp or whose service is not the action's — cvm for
//     DescribeInstancesStatus, sts for AssumeRole), or a JSON POST without
//     Authorization → AuthFailure.InvalidAuthorization;
//     signature v1 without SecretId, Signature, Timestamp or Nonce →
//     MissingParameter;
//     a timestamp more than 5 minutes from the emulator's clock →
//     AuthFailure.SignatureExpire;
//     an unknown SecretId → AuthFailure.SecretIdNotFound;
//     a wrong signature → AuthFailure.SignatureFailure;
//     a missing or wrong token for a credential that has one, a token on a
//     credential that has none, a revoked or expired temporary credential →
//     AuthFailure.TokenFailure.
//     AssumeRoleWithWebIdentity and AssumeRoleWithSAML are sent unsigned, as
//     the official SDK sends them: header Authorization: SKIP, the common
//     X-TC-* headers, a JSON body. Any other Authorization (a TC3 signature,
//     "skip", none: signature v1) or an X-TC-Token → the emulator's choice,
//     AuthFailure.InvalidAuthorization; the timestamp is still required
//     (MissingParameter) and checked (AuthFailure.SignatureExpire).
//     Authorization: SKIP on any other action → AuthFailure.InvalidAuthorization.
//     Official SDKs disagree on what to sign on a non-default port: the Host
//     header's host:port or the bare host name. Both are accepted, for TC3
//     and v1. TC3 canonical header values are accepted as sent and
//     lowercased (the documentation lowercases them), and
//     X-TC-Content-SHA256: UNSIGNED-PAYLOAD is honoured.
//  5. Rate limit (Config.RateLimit > 0): a token bucket per (account,
//     action), as the service counts, refilled at RateLimit per second,
//     holding at most one second's worth (RateLimit tokens, at least 1),
//     full at first use. The account is the one the credential belongs to
//     (see Identities under STS): a permanent key listed in
//     Config.Identity.Accounts counts for its account, a temporary
//     credential for the account of the identity it was issued for (a role
//     session for the role's account, GetSessionToken for its key's), any
//     other key for DefaultAccountID. So two processes reading with
//     different keys, or different temporary credentials, of one account
//     share its requests per second. The unsigned actions share one bucket
//     per action. DescribeInstances (40/s), DescribeTaskInfo (20/s) and
//     DescribeAutomationAgentStatus (60/s) keep
//     their own documented limits (actionDef.rateLimit) whenever
//     RateLimit > 0. A request takes
//     a token when it arrives, after authentication and before any latency;
//     with none left it gets RequestLimitExceeded with the service's message
//     ("Your current request times equals to `N` in a second, which exceeds
//     the frequency limit `R` for a second. Please reduce the frequency of
//     calls.").
//  6. Injected API errors (Faults.Errors).
//  7. Parameters. A parameter the action does not take → UnknownParameter. A
//     value of the wrong type (a string where an integer belongs, a number in
//     InstanceIds, a list parameter without .N, non-contiguous numbering) →
//     InvalidParameter. An integer out of range → InvalidParameterValue.
//
// # DescribeInstancesStatus
//
//   - InstanceIds: at most 100 (more → InvalidParameterValue.LimitExceeded).
//     An ID that is not "ins-" followed by 8 lowercase letters or digits →
//     InvalidInstanceId.Malformed naming it. IDs that do not exist are left
//     out (there is no NotFound code). Answers keep the order the IDs were
//     given in, each ID once. An empty InstanceIds means all instances, as
//     the real service reads it.
//   - Offset: integer, default 0, negative → InvalidParameterValue. Past the
//     end: an empty InstanceStatusSet with the true TotalCount.
//   - Limit: integer, default 20 — also when InstanceIds are given (50 IDs and
//     no Limit return 20 of them) — over 100 →
//     InvalidParameterValue.LimitExceeded, under 1 → InvalidParameterValue.
//   - TotalCount is the true number of matches. Listings are sorted by
//     InstanceId, so paging is stable.
//   - States come from the data: each instance's load-time state, changed by
//     its Transitions once their delay has passed since load (New,
//     SetInstances or PUT /_emulator/instances). The current state is
//     computed when asked; a region is kept as a slice sorted by ID plus an
//     index by ID, so a page costs O(page) whatever the region's size.
//
// # DescribeInstances
//
// Offset, Limit and InstanceIds as DescribeInstancesStatus. Filters
// (instance-id, instance-state; at most 10 filters of at most 5 values;
// values of one filter OR, filters AND) are bound from JSON
// [{"Name","Values"}] or flat Filters.N.Name / Filters.N.Values.M (filters.go).
// InstanceIds with Filters → InvalidParameter; another filter name or a
// filter without values → InvalidFilter; a sixth value →
// InvalidFilterValue.LimitExceeded; a malformed instance-id value →
// InvalidParameterValue.InstanceIdMalformed (all on the SDK's list of the
// action's codes). InstanceSet carries the state and the instance's
// Readiness (readiness.go; unset operation fields and ExpiredTime are null),
// plus basic fields made up alike for all: Placement.Zone <region>-1,
// InstanceType S5.MEDIUM4, InstanceName = the ID, CreatedTime = load time,
// InstanceChargeType PREPAID when ExpiredTime is set. A filtered listing
// scans the region: O(region), unlike the status listing.
//
// # DescribeTaskInfo
//
// Served in ap-guangzhou only, as its page says (another region →
// UnsupportedRegion), for the MaintenanceTasks of every region's
// instances. Its times, StartDate and EndDate are "YYYY-MM-DD hh:mm:ss" in
// UTC+8 (the emulator's choice: the service's zone; the page names none);
// StartDate defaults to today 00:00:00 there and EndDate to now, so older
// open tasks are missed unless StartDate is sent. Every bad value is
// InvalidParameterValue, the one parameter code on the SDK's list for the
// action. Alias is the instance name, which the emulator makes its ID;
// DeviceStatus and OperateStatus follow TaskStatus, whose numbering they
// share. Sorted by OrderField (null last), then TaskId.
//
// # DescribeAutomationAgentStatus
//
// One listener serves every service: an action name says which (cvm, tat or
// sts), and the TC3 scope's service and X-TC-Version must be that one's.
// Region is required, as the current page has it (the 2023 one said
// optional). The region's instances that
// have an Agent, sorted by ID (or in the order of InstanceIds); an instance
// without one is absent. Filters agent-status, environment, instance-id.
// Codes from the SDK's list for the action: InstanceIds with Filters →
// InvalidParameter.ConflictParameter; another filter →
// InvalidParameterValue.InvalidFilter; a malformed ID →
// InvalidParameterValue.InvalidInstanceId; over 100 IDs, 10 filters or 5
// values → InvalidParameterValue.LimitExceeded. SupportFeatures is [].
//
// The emulator's clock is Config.Now (default time.Now) shifted by
// SetClockOffset: it governs signature expiry, transitions, rate limiting,
// temporary credential expiry, token and assertion validity and TOTP codes.
//
// # Logging
//
// One slog line per API request ("api request": request_id, method, path,
// action, region, signature method, secret_id, code, delay, server_time).
// The unsigned STS actions have no SecretId: their line says signature=SKIP
// and names the identity provider (by="OIDC provider <ProviderId>" or
// by="SAML provider <PrincipalArn>") and the role asked for, as does the
// "temporary credential issued" line of the key they get. Secret keys,
// signatures and tokens are never logged.
package emulator
