package provider

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

// badInput is one thing a user can get wrong, and what they must be told.
type badInput struct {
	name string
	// provider is merged over a working provider block (endpoint, region,
	// keys of the test emulator); a nil value removes an attribute.
	provider map[string]any
	data     map[string]any    // the data source block; default reads ins-aaaaaaaa
	env      map[string]string // "$DIR" stands for a directory holding files
	files    map[string]string // written into $DIR; a value "<dir>" makes a directory
	// stage is the step that must refuse it: "validate" (what `terraform
	// validate` reports), "configure" (the provider block, after the
	// environment is merged) or "read".
	stage string
	attr  string   // the attribute the error is attached to ("" for none)
	want  []string // the error's summary and detail contain each of these
	// absent are strings the error must not contain (secrets).
	absent []string
	// requests is how many requests may reach the emulator (default none).
	requests int64
	// terraform also runs the case through `terraform plan`
	// (TestAccBadInputThroughTerraform). Every case is checked in process;
	// terraform is for what only it shows: diagnostics as rendered, a few
	// cases of each stage, values known only after apply, and the messages
	// new users met through terraform (timeouts.read without a unit, the
	// misspelt "RUNING", wait_stable_for longer than timeouts.read, an
	// allowed_account_ids mismatch).
	terraform bool
}

// ok is a configuration that must be accepted.
const ok = ""

func badInputs() []badInput {
	ids := func(v ...any) map[string]any { return map[string]any{"instance_ids": v} }
	longID := "ins-" + strings.Repeat("a", 10000)
	return []badInput{
		// Instance IDs: refused by `terraform validate`, at their index.
		{name: "malformed ID", terraform: true, data: ids("ins-aaaaaaaa", "ins-1122"), stage: "validate", attr: "instance_ids[1]",
			want: []string{`"ins-1122" is not a valid instance ID`, `"ins-" followed by exactly 8 lowercase letters or digits`}},
		{name: "upper-case ID", data: ids("INS-R8HR2UPY"), stage: "validate", attr: "instance_ids[0]", want: []string{`use "ins-r8hr2upy"`, "lower()"}},
		{name: "mixed-case ID", data: ids("ins-R8hr2upy"), stage: "validate", attr: "instance_ids[0]", want: []string{`use "ins-r8hr2upy"`}},
		{name: "padded ID", data: ids("ins-aaaaaaaa", " ins-5d8a23rs "), stage: "validate", attr: "instance_ids[1]", want: []string{"surrounding spaces", `use "ins-5d8a23rs"`, "trimspace()"}},
		{name: "ID with a newline", data: ids("ins-5d8a23rs\n"), stage: "validate", attr: "instance_ids[0]", want: []string{"surrounding spaces"}},
		{name: "empty ID", data: ids("ins-aaaaaaaa", "", "ins-5d8a23rs"), stage: "validate", attr: "instance_ids[1]", want: []string{"the instance ID is empty", `"ins-" followed by`}},
		{name: "ID one character too long", data: ids("ins-r8hr2upyy"), stage: "validate", attr: "instance_ids[0]", want: []string{`"ins-r8hr2upyy" is not a valid instance ID`}},
		{name: "ID 10,004 characters long", data: ids(longID), stage: "validate", attr: "instance_ids[0]", want: []string{"(10004 characters)", "is not a valid instance ID"}, absent: []string{longID[:200]}},
		{name: "ID with a non-ASCII letter", data: ids("ins-r8hr2upÿ"), stage: "validate", attr: "instance_ids[0]", want: []string{"is not a valid instance ID"}},
		{name: "ID of another resource type", data: ids("i-r8hr2upy"), stage: "validate", attr: "instance_ids[0]", want: []string{"is not a valid instance ID"}},
		{name: "null ID", data: ids("ins-aaaaaaaa", nil), stage: "validate", attr: "instance_ids[1]", want: []string{"must not be null"}},
		{name: "IDs known only after apply", terraform: true, data: map[string]any{"instance_ids": unknown}, stage: ok},
		{name: "one ID known only after apply", data: ids("ins-aaaaaaaa", unknown), stage: ok},

		{name: "a thousand upper-case IDs: one error", data: map[string]any{"instance_ids": thousandUpper()}, stage: "validate", attr: "instance_ids",
			want: []string{"1000 instance IDs are not in lower case", "and 995 more", "lower()"}},

		// wait_for_states.
		{name: "misspelt wait state", terraform: true, data: map[string]any{"instance_ids": []string{"ins-aaaaaaaa"}, "wait_for_states": []string{"RUNING"}},
			stage: "validate", attr: "wait_for_states[0]", want: []string{`"RUNING" is not a state (did you mean "RUNNING"?)`, `"STOPPED"`}},
		{name: "lower-case wait state", data: map[string]any{"instance_ids": []string{"ins-aaaaaaaa"}, "wait_for_states": []string{"RUNNING", "running"}},
			stage: "validate", attr: "wait_for_states[1]", want: []string{`"running"`, `"RUNNING"`}},
		{name: "empty wait_for_states", data: map[string]any{"instance_ids": []string{"ins-aaaaaaaa"}, "wait_for_states": []string{}},
			stage: "validate", attr: "wait_for_states", want: []string{"at least 1"}},
		{name: "null wait state", data: map[string]any{"instance_ids": []string{"ins-aaaaaaaa"}, "wait_for_states": []any{"RUNNING", nil}},
			stage: "validate", attr: "wait_for_states[1]", want: []string{"must not be null", "RUNNING"}},

		// Regions.
		{name: "provider region not a region name", terraform: true, provider: map[string]any{"region": "Guangzhou"}, stage: "validate", attr: "region", want: []string{"Tencent Cloud region name", `"ap-guangzhou"`}},
		{name: "provider region with a space", provider: map[string]any{"region": "ap guangzhou"}, stage: "validate", attr: "region", want: []string{"Tencent Cloud region name"}},
		{name: "data source region in upper case", data: map[string]any{"region": "AP-GUANGZHOU"}, stage: "validate", attr: "region", want: []string{"Tencent Cloud region name"}},
		{name: "empty data source region", data: map[string]any{"region": ""}, stage: "validate", attr: "region", want: []string{"Tencent Cloud region name"}},
		{name: "region from the environment", provider: map[string]any{"region": nil}, env: map[string]string{EnvRegion: "ap_guangzhou"},
			stage: "configure", attr: "region", want: []string{"Invalid Region", EnvRegion, `"ap_guangzhou"`}},
		{name: "region from the profile", provider: map[string]any{"region": nil, "secret_id": nil, "secret_key": nil},
			env:   map[string]string{EnvSharedCredentials: "$DIR"},
			files: map[string]string{"default.credential": `{"secretId": "AKIDx", "secretKey": "k"}`, "default.configure": `{"_sys_param": {"region": "Guangzhou"}}`},
			stage: "configure", want: []string{"Invalid Region In Profile", `"Guangzhou"`, ".configure"}},
		{name: "well-formed region the service does not offer", data: map[string]any{"region": "xx-nowhere"}, stage: "read", requests: 1,
			want: []string{"UnsupportedRegion", "RequestId", "Check region / TENCENTCLOUD_REGION"}},

		// Endpoints.
		{name: "endpoint without a scheme", provider: map[string]any{"endpoint": "cvm.tencentcloudapi.com"}, stage: "validate", attr: "endpoint", want: []string{"is not a URL", "https://cvm.tencentcloudapi.com"}},
		{name: "empty endpoint", provider: map[string]any{"endpoint": ""}, stage: "validate", attr: "endpoint", want: []string{"is not a URL"}},
		{name: "endpoint with a path only", provider: map[string]any{"endpoint": "file:///etc/passwd"}, stage: "validate", attr: "endpoint", want: []string{"is not a URL"}},
		{name: "plain http to a remote host", provider: map[string]any{"endpoint": "http://cvm.example.com"}, stage: "validate", attr: "endpoint", want: []string{"plain http", "not a loopback address", "Use https"}},
		{name: "plain http to a name that starts like loopback", provider: map[string]any{"endpoint": "http://127.0.0.1.nip.io:9100"}, stage: "validate", attr: "endpoint", want: []string{"not a loopback address"}},
		{name: "plain http to localhost.example.com", provider: map[string]any{"endpoint": "http://localhost.example.com"}, stage: "validate", attr: "endpoint", want: []string{"not a loopback address"}},
		{name: "plain http to all interfaces", provider: map[string]any{"endpoint": "http://0.0.0.0:9100"}, stage: "validate", attr: "endpoint", want: []string{"not a loopback address"}},
		{name: "plain http from the environment", provider: map[string]any{"endpoint": nil}, env: map[string]string{EnvEndpoint: "http://10.0.0.8:9100"},
			stage: "configure", attr: "endpoint", want: []string{EnvEndpoint, "not a loopback address"}},
		{name: "unsupported scheme", provider: map[string]any{"endpoint": "ftp://127.0.0.1:9100"}, stage: "validate", attr: "endpoint", want: []string{`unsupported scheme "ftp"`, "use https"}},
		{name: "endpoint with credentials in it", provider: map[string]any{"endpoint": "https://AKIDx:hunter2secret@cvm.tencentcloudapi.com"}, stage: "validate", attr: "endpoint",
			want: []string{"user information", "secret_id/secret_key"}, absent: []string{"hunter2secret"}},
		{name: "plain http endpoint with credentials in it", provider: map[string]any{"endpoint": "http://AKIDx:hunter2secret@10.0.0.8:9100"}, stage: "validate", attr: "endpoint",
			want: []string{"REDACTED", "user information"}, absent: []string{"hunter2secret"}},
		{name: "unparsable endpoint with credentials in it", provider: map[string]any{"endpoint": "https://AKIDx:hunter2 secret@cvm.tencentcloudapi.com"}, stage: "validate", attr: "endpoint",
			want: []string{"is not a URL", "REDACTED@cvm.tencentcloudapi.com"}, absent: []string{"hunter2"}},
		{name: "endpoint with a query", provider: map[string]any{"endpoint": "https://cvm.tencentcloudapi.com/?debug=1"}, stage: "validate", attr: "endpoint", want: []string{"query or fragment"}},
		{name: "protocol neither HTTPS nor HTTP", provider: map[string]any{"protocol": "FTP"}, stage: "validate", attr: "protocol", want: []string{`"HTTPS"`, `"HTTP"`}},
		{name: "protocol from the environment", env: map[string]string{EnvProtocol: "ftp"}, stage: "configure", attr: "protocol", want: []string{EnvProtocol, "HTTPS"}},
		{name: "domain that is not a domain name", provider: map[string]any{"domain": "bad domain"}, stage: "validate", attr: "domain", want: []string{`"bad domain" is not a domain name such as "tencentcloudapi.com"`}},
		{name: "domain from the environment", provider: map[string]any{"endpoint": nil}, env: map[string]string{EnvDomain: "bad domain"},
			stage: "configure", attr: "endpoint", want: []string{"Invalid Endpoint", "domain and protocol", `"https://cvm.bad domain"`}},
		{name: "HTTP protocol to a remote domain", provider: map[string]any{"endpoint": nil, "protocol": "HTTP"}, stage: "configure", attr: "endpoint",
			want: []string{"plain http", "not a loopback address"}},

		// rate_limit and max_retries.
		{name: "zero rate_limit", provider: map[string]any{"rate_limit": 0}, stage: "validate", attr: "rate_limit", want: []string{"rate_limit: 0 is not between 0.1 and 1000 requests per second"}},
		{name: "negative rate_limit", provider: map[string]any{"rate_limit": -5}, stage: "validate", attr: "rate_limit", want: []string{"between 0.1"}},
		{name: "huge rate_limit", provider: map[string]any{"rate_limit": 1e9}, stage: "validate", attr: "rate_limit", want: []string{"between 0.1"}},
		{name: "rate limit 0 from the environment", env: map[string]string{EnvRateLimit: "0"}, stage: "configure", attr: "rate_limit", want: []string{EnvRateLimit, "between 0.1 and 1000"}},
		{name: "negative rate limit from the environment", env: map[string]string{EnvRateLimit: "-5"}, stage: "configure", attr: "rate_limit", want: []string{EnvRateLimit}},
		{name: "rate limit NaN from the environment", env: map[string]string{EnvRateLimit: "NaN"}, stage: "configure", attr: "rate_limit", want: []string{EnvRateLimit, `"NaN"`}},
		{name: "rate limit Inf from the environment", env: map[string]string{EnvRateLimit: "+Inf"}, stage: "configure", attr: "rate_limit", want: []string{EnvRateLimit}},
		{name: "rate limit that is not a number", env: map[string]string{EnvRateLimit: "fast"}, stage: "configure", attr: "rate_limit", want: []string{EnvRateLimit, `"fast"`}},
		{name: "zero max_retries: no retries", provider: map[string]any{"max_retries": 0}, stage: ok, requests: 1},
		{name: "negative max_retries", provider: map[string]any{"max_retries": -1}, stage: "validate", attr: "max_retries", want: []string{"-1 is not between 0 and 100"}},
		{name: "max_retries over 100", provider: map[string]any{"max_retries": 101}, stage: "validate", attr: "max_retries", want: []string{"between 0 and 100"}},
		{name: "fractional max_retries", provider: map[string]any{"max_retries": 2.5}, stage: "validate", attr: "max_retries", want: []string{"2.5"}},
		{name: "max retries 0 from the environment", env: map[string]string{EnvMaxRetries: "0"}, stage: ok, requests: 1},
		{name: "max retries over 100 from the environment", env: map[string]string{EnvMaxRetries: "200"}, stage: "configure", attr: "max_retries", want: []string{EnvMaxRetries, `"200" is not between 0 and 100`}},
		{name: "max retries not a whole number", env: map[string]string{EnvMaxRetries: "1.5"}, stage: "configure", attr: "max_retries", want: []string{EnvMaxRetries, `"1.5"`}},

		{name: "request_timeout without a unit", provider: map[string]any{"request_timeout": "5"}, stage: "validate", attr: "request_timeout",
			want: []string{`request_timeout: "5" has no unit`, `"30s"`}},
		{name: "request_timeout of zero", provider: map[string]any{"request_timeout": "0s"}, stage: "validate", attr: "request_timeout", want: []string{`"0s" is not a duration between "1s" and "1h"`}},
		{name: "request timeout from the environment", env: map[string]string{EnvRequestTimeout: "soon"}, stage: "configure", attr: "request_timeout", want: []string{EnvRequestTimeout, `"soon"`}},
		{name: "empty region quoted", provider: map[string]any{"region": ""}, stage: "validate", attr: "region", want: []string{`region: "" is not a Tencent Cloud region name`}},

		// include and wait_for_ready (readiness).
		{name: "misspelt readiness check", terraform: true, data: map[string]any{"instance_ids": []string{"ins-aaaaaaaa"}, "include": []string{"operation", "agnet"}},
			stage: "validate", attr: "include", want: []string{`"agnet" (did you mean "agent"?) is not a readiness check`, `"maintenance" (no open maintenance task; cvm:DescribeTaskInfo)`}},
		{name: "upper-case readiness checks", data: map[string]any{"instance_ids": []string{"ins-aaaaaaaa"}, "include": []string{"Agent", "MAINTENANCE"}},
			stage: "validate", attr: "include", want: []string{`"Agent" (did you mean "agent"?), "MAINTENANCE" (did you mean "maintenance"?) are not readiness checks`}},
		{name: "null readiness check", data: map[string]any{"instance_ids": []string{"ins-aaaaaaaa"}, "include": []any{"agent", nil}},
			stage: "validate", attr: "include", want: []string{"null is not a readiness check"}},
		{name: "readiness checks known only after apply", data: map[string]any{"instance_ids": []string{"ins-aaaaaaaa"}, "include": unknown}, stage: ok},
		{name: "wait_for_ready with other states", data: map[string]any{"instance_ids": []string{"ins-aaaaaaaa"}, "wait_for_ready": true, "wait_for_states": []string{"RUNNING", "STOPPED"}},
			stage: "validate", attr: "wait_for_states", want: []string{"Wait For Ready With Other States", `wait_for_states = ["RUNNING", "STOPPED"]`, "Remove wait_for_states"}},
		{name: "wait_for_ready with states known only after apply", data: map[string]any{"instance_ids": []string{"ins-aaaaaaaa"}, "wait_for_ready": true, "wait_for_states": unknown, "include": []string{"agent"}},
			stage: ok},
		{name: "wait_for_ready takes wait_stable_for", data: map[string]any{"instance_ids": []string{"ins-aaaaaaaa"}, "wait_for_ready": true, "wait_stable_for": "2m", "timeouts": map[string]any{"read": "1m"}},
			stage: "validate", attr: "wait_stable_for", want: []string{`wait_stable_for = "2m" cannot fit in timeouts.read = "1m"`}},

		// wait_stable_for.
		{name: "wait_stable_for without wait_for_states", data: map[string]any{"instance_ids": []string{"ins-aaaaaaaa"}, "wait_stable_for": "5s"}, stage: "validate", attr: "wait_stable_for",
			want: []string{`wait_stable_for = "5s"`, "set wait_for_states"}},
		{name: "wait_stable_for longer than timeouts.read", terraform: true,
			data:  map[string]any{"instance_ids": []string{"ins-aaaaaaaa"}, "wait_for_states": []string{"RUNNING"}, "wait_stable_for": "30s", "timeouts": map[string]any{"read": "10s"}},
			stage: "validate", attr: "wait_stable_for",
			want: []string{"Wait Stable For Longer Than The Read Timeout", `wait_stable_for = "30s" cannot fit in timeouts.read = "10s"`, "Lower wait_stable_for below 10s, or raise timeouts.read"}},
		{name: "wait_stable_for as long as the default timeouts.read", data: map[string]any{"instance_ids": []string{"ins-aaaaaaaa"}, "wait_for_states": []string{"RUNNING"}, "wait_stable_for": "20m"},
			stage: "validate", attr: "wait_stable_for", want: []string{`wait_stable_for = "20m" cannot fit in timeouts.read = 20m (the default of timeouts.read)`}},
		{name: "wait_stable_for within timeouts.read", data: map[string]any{"instance_ids": []string{"ins-aaaaaaaa"}, "wait_for_states": []string{"RUNNING"}, "wait_stable_for": "0s", "timeouts": map[string]any{"read": "10s"}},
			stage: ok, requests: 1},
		{name: "wait_stable_for without a unit", data: map[string]any{"instance_ids": []string{"ins-aaaaaaaa"}, "wait_for_states": []string{"RUNNING"}, "wait_stable_for": "5"}, stage: "validate",
			attr: "wait_stable_for", want: []string{`"5" has no unit`}},

		// Credentials.
		{name: "secret_id without secret_key", provider: map[string]any{"secret_key": nil}, stage: "configure", want: []string{"secret_id is set but secret_key is not", "set both"}},
		{name: "secret_key without secret_id", provider: map[string]any{"secret_id": nil}, stage: "configure", want: []string{"secret_id is not", "set both"}},
		{name: "secret ID only in the environment", provider: map[string]any{"secret_id": nil, "secret_key": nil}, env: map[string]string{EnvSecretID: "AKIDx"},
			stage: "configure", want: []string{"secret_key is not", EnvSecretKey}},
		{name: "no credentials anywhere", terraform: true, provider: map[string]any{"secret_id": nil, "secret_key": nil}, stage: "configure",
			want: []string{"No Usable Tencent Cloud Credentials", EnvSecretID, "tccli profile", "cam_role_name"}},
		{name: "credential file that is not JSON", provider: map[string]any{"secret_id": nil, "secret_key": nil, "profile": "ops", "shared_credentials_dir": "$DIR"},
			files: map[string]string{"ops.credential": `secretId = AKIDx`}, stage: "configure", want: []string{"ops.credential", "not valid JSON", `"secretId"`}},
		{name: "credential file without a secret key", provider: map[string]any{"secret_id": nil, "secret_key": nil, "profile": "ops", "shared_credentials_dir": "$DIR"},
			files: map[string]string{"ops.credential": `{"secretId": "AKIDx"}`}, stage: "configure", want: []string{"ops.credential", `needs both "secretId" and "secretKey"`}},
		{name: "unreadable credential file", provider: map[string]any{"secret_id": nil, "secret_key": nil, "profile": "ops", "shared_credentials_dir": "$DIR"},
			files: map[string]string{"ops.credential": "<dir>"}, stage: "configure", want: []string{"cannot read the credential file", "ops.credential"}},
		{name: "missing named profile", provider: map[string]any{"secret_id": nil, "secret_key": nil, "profile": "nope", "shared_credentials_dir": "$DIR"},
			stage: "configure", want: []string{`profile "nope"`, "does not exist", "the directory holds no profile"}},
		{name: "misspelt profile", provider: map[string]any{"secret_id": nil, "secret_key": nil, "profile": "tema", "shared_credentials_dir": "$DIR"},
			files: map[string]string{"team.credential": `{"secretId": "AKIDx", "secretKey": "k"}`, "prod.credential": `{"secretId": "AKIDy", "secretKey": "k"}`},
			stage: "configure", want: []string{`profile "tema"`, "does not exist", "the profiles there are prod, team"}},
		{name: "missing profile named in the environment", provider: map[string]any{"secret_id": nil, "secret_key": nil}, env: map[string]string{EnvProfile: "nope"},
			stage: "configure", want: []string{`profile "nope"`, "does not exist"}},
		{name: "profile configuration that is not JSON", provider: map[string]any{"secret_id": nil, "secret_key": nil, "region": nil, "profile": "ops", "shared_credentials_dir": "$DIR"},
			files: map[string]string{"ops.credential": `{"secretId": "AKIDx", "secretKey": "k"}`, "ops.configure": `region=ap-guangzhou`},
			stage: "configure", want: []string{"ops.configure", "not valid JSON"}},
		{name: "empty profile name", provider: map[string]any{"profile": ""}, stage: "validate", attr: "profile", want: []string{`profile is ""`, "must not be empty"}},
		{name: "empty shared_credentials_dir", provider: map[string]any{"shared_credentials_dir": ""}, stage: "validate", attr: "shared_credentials_dir", want: []string{"must not be empty"}},
		{name: "empty cam_role_name", provider: map[string]any{"cam_role_name": ""}, stage: "validate", attr: "cam_role_name", want: []string{"must not be empty"}},

		// assume_role.
		{name: "assume_role without a role ARN", terraform: true, provider: map[string]any{"assume_role": map[string]any{"session_name": "ci"}}, stage: "configure",
			attr: "assume_role.role_arn", want: []string{"Missing Role ARN", "qcs::cam::uin/100000000001:roleName/deployer"}},
		{name: "role ARN of another cloud", provider: map[string]any{"assume_role": map[string]any{"role_arn": "arn:aws:iam::123456789012:role/x"}}, stage: "validate",
			attr: "assume_role.role_arn", want: []string{"qcs::cam::uin/100000000001:roleName/deployer"}},
		{name: "session too short", provider: map[string]any{"assume_role": map[string]any{"role_arn": "qcs::cam::uin/1:roleName/r", "session_duration": 30}}, stage: "validate",
			attr: "assume_role.session_duration", want: []string{"between 60 and 43200"}},
		{name: "session name with a space", provider: map[string]any{"assume_role": map[string]any{"role_arn": "qcs::cam::uin/1:roleName/r", "session_name": "my session"}}, stage: "validate",
			attr: "assume_role.session_name", want: []string{"2 to 128"}},
		{name: "role ARN from the environment", env: map[string]string{EnvAssumeRoleARN: "reader"}, stage: "configure", attr: "assume_role",
			want: []string{EnvAssumeRoleARN, `"reader"`, "qcs::cam::uin/"}},
		{name: "session duration from the environment", env: map[string]string{EnvAssumeRoleARN: "qcs::cam::uin/1:roleName/r", EnvAssumeRoleDuration: "2h"},
			stage: "configure", attr: "assume_role", want: []string{EnvAssumeRoleDuration, `"2h"`, "between 60 and 43200 seconds"}},
		{name: "session name from the environment", env: map[string]string{EnvAssumeRoleARN: "qcs::cam::uin/1:roleName/r", EnvAssumeRoleSession: "my session"},
			stage: "configure", attr: "assume_role", want: []string{EnvAssumeRoleSession, `"my session"`, "2 to 128"}},
		{name: "role ARN known only after apply", provider: map[string]any{"assume_role": map[string]any{"role_arn": unknown}}, stage: "configure",
			attr: "assume_role.role_arn", want: []string{"Unknown Provider Attribute Value"}},

		// Signing in: web identity, SAML, MFA, profiles, account guards.
		{name: "web identity token file missing", provider: webIdentity(map[string]any{"web_identity_token_file": "$DIR/no-such-token"}),
			stage: "configure", want: []string{"no-such-token", "assume_role_with_web_identity.web_identity_token_file", "cannot be read"}},
		{name: "web identity token file unreadable", provider: webIdentity(map[string]any{"web_identity_token_file": "$DIR/token"}), files: map[string]string{"token": "<dir>"},
			stage: "configure", want: []string{"token", "cannot be read", "is a directory"}},
		{name: "web identity token file empty", provider: webIdentity(map[string]any{"web_identity_token_file": "$DIR/token"}), files: map[string]string{"token": "  \n"},
			stage: "configure", want: []string{"is empty"}},
		{name: "web identity token JSON without the token", provider: webIdentity(map[string]any{"web_identity_token_file": "$DIR/token"}), files: map[string]string{"token": `{"token": "x"}`},
			stage: "configure", want: []string{`"web_identity_token"`}},
		{name: "expired web identity token", provider: webIdentity(map[string]any{"web_identity_token": expiredJWT}),
			stage: "configure", want: []string{"expired at", "fresh token"}, absent: []string{expiredJWT}},
		{name: "web identity token that is not a JWT", provider: webIdentity(map[string]any{"web_identity_token": "hunter2-not-a-jwt"}),
			stage: "configure", want: []string{"is not a JWT"}, absent: []string{"hunter2-not-a-jwt"}},
		{name: "web identity without any token", provider: webIdentity(nil), stage: "configure",
			want: []string{"has no token", EnvAssumeRoleWebIdentityTokenFile, "TFC_WORKLOAD_IDENTITY_TOKEN", "id-token: write"}},
		{name: "web identity role file missing", provider: webIdentity(map[string]any{"role_arn": nil, "role_arn_file": "$DIR/role", "web_identity_token": liveJWT}),
			stage: "configure", want: []string{"role ARN file", "cannot be read"}},
		{name: "web identity with a role and a role file", provider: webIdentity(map[string]any{"role_arn_file": "$DIR/role"}), stage: "validate",
			attr: "assume_role_with_web_identity.role_arn_file", want: []string{"Conflicting Credential Sources", "two roles"}},
		{name: "web identity with a token and a token file", provider: webIdentity(map[string]any{"web_identity_token": liveJWT, "web_identity_token_file": "$DIR/t"}), stage: "validate",
			attr: "assume_role_with_web_identity.web_identity_token_file", want: []string{"two tokens"}},
		{name: "assume_role and assume_role_with_web_identity", terraform: true,
			provider: map[string]any{"assume_role": map[string]any{"role_arn": accRole}, "assume_role_with_web_identity": map[string]any{"role_arn": accRole, "web_identity_token": liveJWT}},
			stage:    "validate", attr: "assume_role_with_web_identity", want: []string{"Conflicting Credential Sources", "assume_role and assume_role_with_web_identity", "keep one"}},
		{name: "pod identity without TKE's variables", provider: map[string]any{"enable_pod_oidc": true}, env: map[string]string{EnvTKERegion: "ap-guangzhou"},
			stage: "configure", attr: "enable_pod_oidc", want: []string{EnvTKEProviderID, EnvTKERoleARN, EnvTKEWebIdentityTokenFile, "are not set"}},
		{name: "web identity token and SAML assertion in the environment", env: map[string]string{EnvAssumeRoleARN: accRole, EnvAssumeRoleWebIdentityToken: liveJWT, EnvAssumeRoleSAMLAssertion: "PHNhbWw+"},
			stage: "configure", attr: "assume_role", want: []string{"Both a web identity token", "SAML assertion", "unset one"}},
		{name: "web identity token in the environment without a role", env: map[string]string{EnvAssumeRoleWebIdentityToken: liveJWT},
			stage: "configure", attr: "assume_role.role_arn", want: []string{"needs a role", EnvAssumeRoleARN}},
		{name: "SAML without a principal", provider: map[string]any{"assume_role_with_saml": map[string]any{"saml_assertion": "PHNhbWw+", "role_arn": accRole}},
			stage: "configure", attr: "assume_role_with_saml.principal_arn", want: []string{"principal_arn", EnvAssumeRolePrincipalARN}},
		{name: "MFA serial without a code", provider: map[string]any{"mfa_certification": map[string]any{"serial_number": "qcs::cam:uin/1::mfa/softToken"}},
			stage: "configure", attr: "mfa_certification", want: []string{"both serial_number and token_code", EnvMFATokenCode}},
		{name: "MFA session with an assumed role", provider: map[string]any{"mfa_certification": map[string]any{"serial_number": "s", "token_code": "123456"}, "assume_role": map[string]any{"role_arn": accRole}},
			stage: "validate", attr: "mfa_certification", want: []string{"cannot be combined with assume_role", "serial_number and token_code in assume_role"}},
		{name: "empty MFA serial in assume_role", provider: map[string]any{"assume_role": map[string]any{"role_arn": accRole, "serial_number": ""}},
			stage: "validate", attr: "assume_role.serial_number", want: []string{"Empty Serial Number", `assume_role.serial_number is ""`, "must not be empty"}},
		{name: "assume_role MFA code without a serial", provider: map[string]any{"assume_role": map[string]any{"role_arn": accRole, "token_code": "123456"}},
			stage: "configure", attr: "assume_role", want: []string{"both serial_number and token_code", EnvAssumeRoleSerialNumber}, absent: []string{"123456"}},
		{name: "MFA code of five digits", provider: map[string]any{"assume_role": map[string]any{"role_arn": accRole, "serial_number": "qcs::cam:uin/1::mfa/softToken", "token_code": "12345"}},
			stage: "validate", attr: "assume_role.token_code", want: []string{"Invalid Token Code", "(5 characters) is not the 6-digit code"}, absent: []string{"12345"}},
		{name: "MFA session code with a space", provider: map[string]any{"mfa_certification": map[string]any{"serial_number": "s", "token_code": "123 456"}},
			stage: "validate", attr: "mfa_certification.token_code", want: []string{"6-digit code"}, absent: []string{"123 456"}},
		{name: "MFA code from the environment", provider: map[string]any{"assume_role": map[string]any{"role_arn": accRole, "serial_number": "qcs::cam:uin/1::mfa/softToken"}},
			env: map[string]string{EnvAssumeRoleTokenCode: "OTP123"}, stage: "configure", attr: "assume_role", want: []string{EnvAssumeRoleTokenCode, "6-digit code"}, absent: []string{"OTP123"}},
		{name: "MFA session code from the environment", env: map[string]string{EnvMFASerialNumber: "s", EnvMFATokenCode: "1234567"},
			stage: "configure", attr: "mfa_certification", want: []string{EnvMFATokenCode, "6-digit code"}, absent: []string{"1234567"}},
		{name: "allowed and forbidden accounts", provider: map[string]any{"allowed_account_ids": []string{"1"}, "forbidden_account_ids": []string{"2"}},
			stage: "validate", attr: "forbidden_account_ids", want: []string{"cannot both be set"}},
		{name: "account guard with SAML", provider: map[string]any{"allowed_account_ids": []string{"1"}, "assume_role_with_saml": map[string]any{"role_arn": accRole}},
			stage: "validate", attr: "allowed_account_ids", want: []string{"not supported with assume_role_with_saml"}},
		{name: "account ID that is not one", provider: map[string]any{"allowed_account_ids": []string{"prod"}}, stage: "validate",
			attr: "allowed_account_ids", want: []string{`"prod" is not an account ID`}},
		{name: "account guard mismatch", terraform: true, provider: map[string]any{"allowed_account_ids": []string{"100000000002"}}, stage: "read", requests: 1,
			want: []string{"Wrong Tencent Cloud Account", "account 100000000001", "100000000002", "The credential came from secret_id/secret_key"}},
		{name: "metadata endpoint that is not a URL", provider: map[string]any{"metadata_endpoint": "metadata.tencentyun.com"}, stage: "validate",
			attr: "metadata_endpoint", want: []string{`"metadata.tencentyun.com" is not an http or https URL`}},
		{name: "metadata endpoint from the environment", env: map[string]string{EnvMetadataEndpoint: "ftp://x"}, stage: "configure",
			attr: "metadata_endpoint", want: []string{EnvMetadataEndpoint, `"ftp://x"`}},
		{name: "CAM role and keys at once", provider: map[string]any{"cam_role_name": "deployer"}, stage: "validate", attr: "cam_role_name",
			want: []string{"two base credentials", "keep one"}},
		{name: "STS endpoint over plain http to a remote host", provider: map[string]any{"sts_endpoint": "http://sts.example.com"}, stage: "validate",
			attr: "sts_endpoint", want: []string{"plain http", "not a loopback address"}},
		{name: "TAT endpoint over plain http to a remote host", provider: map[string]any{"tat_endpoint": "http://tat.example.com"}, stage: "validate",
			attr: "tat_endpoint", want: []string{"plain http", "not a loopback address"}},
		{name: "TAT endpoint from the environment", env: map[string]string{EnvTATEndpoint: "http://10.0.0.8:9100"}, stage: "configure",
			attr: "tat_endpoint", want: []string{"Invalid Endpoint", EnvTATEndpoint, "not a loopback address"}},
		// TAT follows a local endpoint, so HTTP is fine; beside a remote
		// one it would go to tat.tencentcloudapi.com in plain http.
		{name: "HTTP protocol with a local endpoint", provider: map[string]any{"protocol": "HTTP"}, stage: ok, requests: 1},
		{name: "HTTP protocol with a remote endpoint", provider: map[string]any{"protocol": "HTTP", "endpoint": "https://cvm.example.com"}, stage: "configure",
			attr: "tat_endpoint", want: []string{"TAT endpoint", `"http://tat.tencentcloudapi.com"`, "not a loopback address", EnvTATEndpoint}},
		{name: "expired oauth profile", provider: map[string]any{"secret_id": nil, "secret_key": nil, "profile": "me", "shared_credentials_dir": "$DIR"},
			files: map[string]string{"me.credential": `{"expiresAt": 1700000000, "oauth": {}, "secretId": "AKIDx", "secretKey": "k", "token": "t", "type": "oauth"}`},
			stage: "configure", want: []string{`profile "me"`, "oauth login that expired at 2023-11-14", "tccli auth login --profile me"}},
		{name: "expired sso profile", provider: map[string]any{"secret_id": nil, "secret_key": nil, "profile": "me", "shared_credentials_dir": "$DIR"},
			files: map[string]string{"me.credential": `{"expiresAt": 1700000000, "sso": {}, "secretId": "AKIDx", "secretKey": "k", "token": "t", "type": "sso"}`},
			stage: "configure", want: []string{"sso login that expired", "tccli sso login --profile me"}},
		{name: "profile of an unknown type", provider: map[string]any{"secret_id": nil, "secret_key": nil, "profile": "me", "shared_credentials_dir": "$DIR"},
			files: map[string]string{"me.credential": `{"secretId": "AKIDx", "secretKey": "k", "type": "federated"}`},
			stage: "configure", want: []string{`type "federated"`, "refused rather than guessed"}},
		{name: "profile with a key that may change identity", provider: map[string]any{"secret_id": nil, "secret_key": nil, "profile": "me", "shared_credentials_dir": "$DIR"},
			files: map[string]string{"me.credential": `{"secretId": "AKIDx", "secretKey": "k", "source-profile": "admin"}`},
			stage: "configure", want: []string{`"source-profile"`, "half-read", "remove the key"}, absent: []string{"did you mean"}},
		{name: "profile with a misspelt key", provider: map[string]any{"secret_id": nil, "secret_key": nil, "profile": "me", "shared_credentials_dir": "$DIR"},
			files: map[string]string{"me.credential": `{"secretId": "AKIDx", "secretKey": "k", "role-arn": "` + accRole + `", "role-sesion-name": "ci"}`},
			stage: "configure", want: []string{`"role-sesion-name"`, `did you mean "role-session-name"?`}},
		{name: "profile key in the wrong case", provider: map[string]any{"secret_id": nil, "secret_key": nil, "profile": "me", "shared_credentials_dir": "$DIR"},
			files: map[string]string{"me.credential": `{"SecretId": "AKIDx", "secretKey": "k"}`},
			stage: "configure", want: []string{`"SecretId"`, `did you mean "secretId"?`}},
		{name: "profile role that is not a role ARN", provider: map[string]any{"secret_id": nil, "secret_key": nil, "profile": "me", "shared_credentials_dir": "$DIR"},
			files: map[string]string{"me.credential": `{"secretId": "AKIDx", "secretKey": "k", "role-arn": "deployer"}`},
			stage: "configure", want: []string{`role-arn "deployer" is not a role ARN`}},
		{name: "profile role with an MFA session", provider: map[string]any{"secret_id": nil, "secret_key": nil, "profile": "me", "shared_credentials_dir": "$DIR",
			"mfa_certification": map[string]any{"serial_number": "s", "token_code": "123456"}},
			files: map[string]string{"me.credential": `{"secretId": "AKIDx", "secretKey": "k", "role-arn": "` + accRole + `"}`},
			stage: "configure", want: []string{"cannot be combined with the role-arn of profile"}},

		// Values known only after apply cannot configure the provider.
		{name: "region known only after apply", terraform: true, provider: map[string]any{"region": unknown}, stage: "configure", attr: "region", want: []string{"Unknown Provider Attribute Value", "known only after apply"}},
		{name: "secret key known only after apply", provider: map[string]any{"secret_key": unknown}, stage: "configure", attr: "secret_key", want: []string{"Unknown Provider Attribute Value", "environment variable"}},
		{name: "endpoint known only after apply", provider: map[string]any{"endpoint": unknown}, stage: "configure", attr: "endpoint", want: []string{"Unknown Provider Attribute Value"}},

		// Timeouts.
		{name: "timeout that does not parse", data: map[string]any{"instance_ids": []string{"ins-aaaaaaaa"}, "timeouts": map[string]any{"read": "soon"}}, stage: "validate",
			attr: "timeouts.read", want: []string{"timeouts.read", `"soon" is not a duration`, `"10m"`}},
		{name: "timeout without a unit", terraform: true, data: map[string]any{"instance_ids": []string{"ins-aaaaaaaa"}, "timeouts": map[string]any{"read": "5"}}, stage: "validate",
			attr: "timeouts.read", want: []string{"Invalid Read Timeout", `timeouts.read: "5" has no unit: write "5s" for 5 seconds or "5m" for 5 minutes`}},
		{name: "empty timeout", data: map[string]any{"instance_ids": []string{"ins-aaaaaaaa"}, "timeouts": map[string]any{"read": ""}}, stage: "validate",
			attr: "timeouts.read", want: []string{`"" is not a duration`}},
		{name: "negative timeout", data: map[string]any{"instance_ids": []string{"ins-aaaaaaaa"}, "timeouts": map[string]any{"read": "-5m"}}, stage: "validate",
			attr: "timeouts.read", want: []string{`"-5m" is not a duration between "1s" and "24h"`}},
		{name: "zero timeout", data: map[string]any{"instance_ids": []string{"ins-aaaaaaaa"}, "timeouts": map[string]any{"read": "0s"}}, stage: "validate",
			attr: "timeouts.read", want: []string{`"0s" is not a duration between`}},
	}
}

const accRole = "qcs::cam::uin/100000000001:roleName/reader"

// jwt is an unsigned JWT with the given claims, enough for what the
// provider checks itself.
func jwt(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(claims)) + "." + enc([]byte("signature"))
}

var (
	expiredJWT = jwt(`{"iss":"https://oidc.example","exp":1700000000}`)
	liveJWT    = jwt(`{"iss":"https://oidc.example","exp":4102444800}`)
)

// webIdentity is a provider block signing in with a web identity, with the
// given attributes changed (nil removes one).
func webIdentity(with map[string]any) map[string]any {
	block := map[string]any{"provider_id": "ci", "role_arn": accRole}
	for k, v := range with {
		block[k] = v
	}
	return map[string]any{"assume_role_with_web_identity": block}
}

func thousandUpper() []string {
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = fmt.Sprintf("INS-%08d", i)
	}
	return ids
}

// setUp starts an emulator, writes the case's files, and returns the
// provider and data source configurations to use and the case's isolated
// environment (testEnv) as an option.
func (tc badInput) setUp(t *testing.T) (e *emutest.Emulator, provider, data map[string]any, env Option) {
	t.Helper()
	e = emutest.Start(t, emulator.Config{
		Credentials: []emulator.Credential{{SecretID: accSecretID, SecretKey: accSecretKey}},
		Regions:     seeded(inst("ins-aaaaaaaa", "RUNNING")),
	}, emutest.Options{})
	dir := t.TempDir()
	for name, content := range tc.files {
		if content == "<dir>" {
			if err := os.Mkdir(filepath.Join(dir, name), 0o700); err != nil {
				t.Fatal(err)
			}
			continue
		}
		writeFile(t, filepath.Join(dir, name), content)
	}
	vars := map[string]string{}
	for k, v := range tc.env {
		vars[k] = strings.ReplaceAll(v, "$DIR", dir)
	}
	provider = map[string]any{"endpoint": e.URL, "sts_endpoint": e.URL, "region": DefaultRegion, "secret_id": accSecretID, "secret_key": accSecretKey}
	for k, v := range tc.provider {
		provider[k] = withDir(v, dir)
	}
	data = tc.data
	if data == nil {
		data = map[string]any{"instance_ids": []string{"ins-aaaaaaaa"}}
	}

	return e, provider, data, testEnv(t, vars)
}

// withDir puts dir for "$DIR" in v's strings, nested blocks included.
func withDir(v any, dir string) any {
	switch v := v.(type) {
	case string:
		return strings.ReplaceAll(v, "$DIR", dir)
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = withDir(e, dir)
		}
		return out
	}
	return v
}

// Everything a user can get wrong is refused with a message that names the
// attribute (or variable) and the fix, before any request, and nothing
// crashes. Terraform itself runs a few of these end to end in
// TestAccBadInputThroughTerraform.
func TestBadInputIsRefusedBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	for _, tc := range badInputs() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, pcfg, dcfg, env := tc.setUp(t)
			out := runProtocol(t, pcfg, dcfg, env)
			t.Logf("stage %q:%s", out.stage, out)
			if out.stage != tc.stage {
				t.Fatalf("refused at %q, want %q:%s", out.stage, tc.stage, out)
			}
			if got := e.Requests(); got != tc.requests {
				t.Errorf("%d requests reached the emulator, want %d", got, tc.requests)
			}
			if tc.stage == ok {
				return
			}
			errs := out.errors()
			if len(errs) != 1 {
				t.Errorf("%d errors, want exactly one:%s", len(errs), out)
			}
			d := errs[0]
			text := d.Summary + "\n" + d.Detail
			if want := parseAttrPath(t, tc.attr); !sameAttrPath(d.Attribute, want) {
				t.Errorf("the error is attached to %s, want %s (compared step by step)", attrPath(d.Attribute), attrPath(want))
			}
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("the error does not say %q:\n%s", w, text)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(text, a) {
					t.Errorf("the error repeats %q:\n%s", a, text)
				}
			}
			if len(d.Detail) > 2000 {
				t.Errorf("a %d-character detail: shorten what is quoted", len(d.Detail))
			}
		})
	}
}

// Ten thousand valid IDs are read, with exactly one request per hundred.
func TestTenThousandIDs(t *testing.T) {
	t.Parallel()
	instances := emulator.GenerateInstances(10000, 10)
	e := emutest.Start(t, emulator.Config{
		Credentials: []emulator.Credential{{SecretID: accSecretID, SecretKey: accSecretKey}},
		Regions:     seeded(instances...),
		RateLimit:   40,
	}, emutest.Options{})
	ids := make([]string, 0, 10000)
	// 9,990 that exist, in reverse order, and 10 that do not.
	for i := len(instances) - 1; i >= 10; i-- {
		ids = append(ids, instances[i].InstanceId)
	}
	for i := range 10 {
		ids = append(ids, fmt.Sprintf("ins-zz%06d", i))
	}
	out := runProtocol(t,
		map[string]any{"endpoint": e.URL, "region": DefaultRegion, "secret_id": accSecretID, "secret_key": accSecretKey, "rate_limit": 40},
		map[string]any{"instance_ids": ids})
	if out.stage != "" {
		t.Fatalf("refused at %s:%s", out.stage, out)
	}
	if got := e.Requests(); got != 100 {
		t.Fatalf("%d requests for 10,000 IDs, want exactly 100", got)
	}
	if st := e.Stats(); st.Throttled != 0 {
		t.Fatalf("%d requests throttled at the service's 40/s", st.Throttled)
	}
	var state map[string]tftypes.Value
	if err := out.state.As(&state); err != nil {
		t.Fatal(err)
	}
	var found, missing []tftypes.Value
	if err := state["instances"].As(&found); err != nil {
		t.Fatal(err)
	}
	if err := state["missing_instance_ids"].As(&missing); err != nil {
		t.Fatal(err)
	}
	if len(found) != 9990 || len(missing) != 10 {
		t.Fatalf("%d found and %d missing, want 9990 and 10", len(found), len(missing))
	}
	var first map[string]tftypes.Value
	var firstID string
	if err := found[0].As(&first); err != nil {
		t.Fatal(err)
	}
	if err := first["instance_id"].As(&firstID); err != nil || firstID != instances[len(instances)-1].InstanceId {
		t.Fatalf("the first instance is %s, want %s (the order asked for)", firstID, instances[len(instances)-1].InstanceId)
	}
}

func TestHCLRendering(t *testing.T) {
	t.Parallel()
	got := hclBlock(`data "x" "y"`, map[string]any{"instance_ids": []any{"a\"b", nil}, "timeouts": map[string]any{"read": "1m"}, "n": 2.5, "gone": nil})
	want := "data \"x\" \"y\" {\n  instance_ids = [\"a\\\"b\", null]\n  n = 2.5\n  timeouts {\n  read = \"1m\"\n}\n}\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if _, err := os.Stat("."); err != nil {
		t.Fatal(err)
	}
}
