// Package emulator is a local, faithful emulator of the Tencent Cloud CVM API
// 3.0 action DescribeInstancesStatus (version 2017-03-12), of STS (2018-08-13:
// AssumeRole, AssumeRoleWithWebIdentity, AssumeRoleWithSAML, GetSessionToken,
// GetCallerIdentity) and of the CVM metadata credential endpoint. The
// official SDKs cannot tell it from the real endpoint; tests and the demo run
// against it.
//
// It shares no code with the project's client: its signature checks are an
// independent implementation, tested against the official known answers.
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
//     per action. A request takes
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
// # STS (service sts, version 2018-08-13)
//
// Identities. Every permanent credential belongs to an account:
// Config.Identity.Accounts (data file: identity.accounts) lists the
// SecretIds of each; an unlisted one, the default credential included,
// belongs to DefaultAccountID (100000000001). A role ARN is
// qcs::cam::uin/<account>:roleName/<name> or qcs::cam::uin/<account>:role/<ID>;
// a malformed one → InvalidParameter (AssumeRole) or
// InvalidParameter.ParamError (the others). With accounts configured, a
// role of an account that is neither listed nor DefaultAccountID →
// ResourceNotFound.RoleNotFound; with none, any account's role exists.
// RoleSessionName is 2–128 of [\w+=,.@-]. A missing required parameter →
// MissingParameter. Every credential answer is {Credentials{Token,
// TmpSecretId, TmpSecretKey}, ExpiredTime (Unix), Expiration (RFC 3339 UTC)};
// the credential works for every action until it expires or
// RevokeTemporaryCredentials, then AuthFailure.TokenFailure.
//
//   - AssumeRole (signed by any credential, permanent or temporary):
//     RoleArn, RoleSessionName, DurationSeconds (default 7200, 1–43200, else
//     InvalidParameterValue), Policy (≤ 2048 characters, else
//     InvalidParameterValue), ExternalId, SourceIdentity (1–128 characters,
//     else InvalidParameter.ParamError), SerialNumber + TokenCode (MFA,
//     checked as for GetSessionToken when either is given; one without the
//     other → MissingParameter).
//   - AssumeRoleWithWebIdentity (unsigned): ProviderId, WebIdentityToken,
//     RoleArn, RoleSessionName, DurationSeconds (default 7200, 1–43200, else
//     InvalidParameter.ParamError). ProviderId names an OIDC provider
//     (identity.oidc_providers); the token must be an RS256 JWT whose
//     signature verifies with the provider's public key, whose iss is the
//     provider's Issuer, whose aud (a string or an array) holds one of its
//     Audiences, whose exp is after the emulator's clock and whose nbf, if
//     present, is not after it. An unknown provider or any failed check →
//     InvalidParameter.WebIdentityTokenError, the message saying which check
//     failed. No clock leeway is allowed.
//   - AssumeRoleWithSAML (unsigned): SAMLAssertion, PrincipalArn, RoleArn,
//     RoleSessionName, DurationSeconds (default 7200, 1–43200, else
//     InvalidParameter.OverTimeError). PrincipalArn names a SAML provider
//     (identity.saml_providers). The assertion is a base64 SAML 2.0
//     <samlp:Response>: its status (if any) Success, an <Assertion> whose
//     Issuer (or the response's) is the provider's, Conditions NotOnOrAfter
//     after the emulator's clock (required) and NotBefore (optional) not
//     after it. Otherwise, or an unknown PrincipalArn →
//     InvalidParameter.ParamError. The attribute
//     https://cloud.tencent.com/SAML/Attributes/Role must hold a value
//     "RoleArn,PrincipalArn" (either order) naming the requested role, else
//     UnauthorizedOperation. The XML signature is NOT verified: that needs
//     XML-DSig and canonicalization, which the standard library lacks; any
//     well-formed assertion from a configured issuer is trusted.
//   - GetSessionToken (signed by a permanent key; a temporary one →
//     FailedOperation.TempKeyNotAllowed): SerialNumber and TokenCode
//     (required), DurationSeconds (default 1800, 1–129600, else
//     InvalidParameter.OverTimeError; the service's lower cap for root
//     accounts is not modelled). The credential keeps the caller's identity.
//   - GetCallerIdentity (signed, no parameters): Arn, AccountId, UserId,
//     PrincipalId, Type. A permanent key: Type CAMUser, its account as
//     AccountId, UserId and PrincipalId, Arn qcs::cam::uin/<account>:uin/<account>.
//     A role session (AssumeRole, web identity, SAML, the metadata role):
//     Type CAMRole, AccountId the role's account, UserId
//     <roleId>:<RoleSessionName>, Arn qcs::sts:<account>:assumed-role/<roleId>,
//     PrincipalId the account that asked (AssumeRole: the caller's; web
//     identity: the role's; SAML: the provider's; metadata: DefaultAccountID).
//     roleId is the ID of a :role/<ID> ARN, else a stable 19-digit number
//     derived from the ARN. A GetSessionToken credential answers as its
//     permanent key. The metadata credential is a session "cvm-instance" of
//     qcs::cam::uin/100000000001:roleName/<CAMRoleName>.
//
// MFA. SerialNumber names a device of identity.mfa_devices, written
// qcs::cam:uin/<account>::mfa/softToken; TokenCode is its TOTP code (RFC
// 6238: HMAC-SHA1, 6 digits, 30-second steps, base32 secret) at the
// emulator's clock, the step before and after accepted. A code passes once.
// Tencent Cloud's pages do not say whether a code may be used twice; RFC
// 6238, which its virtual MFA devices follow, has the verifier refuse the
// second attempt of an OTP it validated (section 5.2), and AWS STS, whose
// SerialNumber/TokenCode parameters these mirror, refuses a reused code. The
// MFA check comes last, so that a request refused for another reason does
// not spend the code. Another device type than
// softToken in such a serial number → FailedOperation.MFATypeNotSupported;
// an unknown device, a device of another account than the caller's, a wrong
// code or one already used → FailedOperation.CheckMFAError.
//
// # Clock
//
// Config.Now (default time.Now) shifted by SetClockOffset is the emulator's
// clock for signature expiry, transitions, rate limiting, temporary
// credential expiry, OIDC token and SAML assertion validity and TOTP codes. Shifting it also moves instances through their
// transitions.
//
// # Admin API (unsigned)
//
//	GET  /_emulator/stats      Stats as JSON
//	POST /_emulator/reset      zero the stats
//	PUT  /_emulator/instances  body like the data file's "regions" object;
//	                           replaces those regions, transitions from now
//	GET  /_emulator/faults     the current Faults
//	PUT  /_emulator/faults     replace the Faults ({} turns them off)
//	POST /_emulator/revoke     RevokeTemporaryCredentials
//	GET  /_emulator/clock      {"offset": "0s", "now": "…"}
//	PUT  /_emulator/clock      {"offset": "10m"}: SetClockOffset
//
// A bad body answers HTTP 400 with {"error": "…"} naming the problem (for
// instances, the JSON path and line and column); a wrong method 405.
//
// # Faults
//
// The body of PUT /_emulator/faults, and SetFaults:
//
//	{
//	  "latency": "200ms",         // replaces Config.Latency while set (non-zero)
//	  "jitter": "50ms",           // plus a uniform random 0..jitter per answer
//	  "errors": {"InternalError": 0.1, "RequestLimitExceeded": 0.2},
//	  "http_502": 0.05,           // HTML 502 Bad Gateway, not JSON
//	  "http_504": 0.05,           // HTML 504 Gateway Time-out
//	  "reset": 0.02,              // connection reset (RST) without an answer
//	  "truncate": 0.02,           // Content-Length of the whole JSON, half of it sent, connection closed
//	  "slow": 0.1, "slow_delay": "5s", // answer delayed by slow_delay more
//	  "appear": 0.1,              // listings: a new instance (PENDING, RUNNING 5s later) is created first
//	  "disappear": 0.1,           // listings: a random instance is removed first
//	  "churn_every": "1s",        // every region: one instance launched or terminated per interval
//	  "actions": ["DescribeInstancesStatus"] // all but churn_every; default: every API action
//	}
//
// Probabilities are per request, within 0..1. reset, http_502, http_504 and
// the errors replace the answer and exclude each other: one random number
// picks at most one of them (in that order, then error codes in sorted
// order), so their sum must not exceed 1. A transport outcome (reset, 502,
// 504) happens before authentication and does not take a rate-limit token;
// an injected error code is answered after authentication and rate limiting
// as an ordinary API error. truncate, slow, jitter, appear and disappear are
// drawn independently. "Listings" are requests without InstanceIds.
//
// churn_every is time-based churn, as under autoscaling: each time that
// much of the emulator's clock has passed since the faults were set, every
// region (in name order) gets one event, drawn 50/50: a new instance
// launched (a fresh random ID, PENDING, RUNNING 5 s after its interval) or a
// random instance terminated (removed; nothing when the region is empty).
// The events are applied lazily, before any API request is served, all that
// are due, up to 1,000 events at once (across the regions; at least one
// interval): the intervals beyond are skipped, and a log line says how
// many. They draw from their own source seeded from Config.Seed, so the
// same seed and the same request timing give the same churn. It ignores
// "actions"; "0s" or leaving it out turns it off, and intervals under 1ms
// are refused.
// Durations are strings such as "1.5s". The random source is seeded from
// Config.Seed and drawn in a fixed order, so the same sequence of requests
// meets the same faults. Unknown fields and unknown action names are refused.
//
// Latency, jitter and slow delays are waited after the answer is computed
// and are cut short when the client goes away or the server closes; nothing
// is written then.
//
// # Stats
//
// Requests counts API requests (/ and /v2/index.php). ByAction counts by
// action name ("(unknown)" for missing or unknown actions). ByCode counts
// "Success", error codes, and "HTTP502", "HTTP504", "ConnectionReset" for
// injected transport faults; a truncated answer counts under its code.
// Throttled counts RequestLimitExceeded answers, from the rate limiter or
// injected. BySecretID says who signed: for each SecretId whose signature
// verified (a wrong signature proves nothing about its sender), its
// requests and their codes, its account and, for a temporary key, the
// action that issued it ("metadata" for the metadata endpoint), the role
// and session it was issued for, and the OIDC ProviderId or SAML
// PrincipalArn that vouched. Never a secret key or token.
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
