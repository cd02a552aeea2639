package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/cvmkit/terraform-provider-cvm/internal/credentials"
	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
)

// Schema is the provider block: every attribute falls back to an
// environment variable, named as the official provider names it.
func (p *CVMProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The cvm provider reads the states of Tencent Cloud CVM instances " +
			"(API 3.0 `DescribeInstancesStatus`), and on request whether they are ready for a deploy (`DescribeInstances`, " +
			"`DescribeTaskInfo` and TAT `DescribeAutomationAgentStatus`), so that configurations can show them, gate deploys on them " +
			"in preconditions and watch them in `check` blocks. It accepts the credentials, profiles and " +
			"environment variables of the official `tencentcloudstack/tencentcloud` provider.",
		Attributes: map[string]schema.Attribute{
			"region": schema.StringAttribute{
				MarkdownDescription: "Region whose instances are read, unless a data source names its own; STS calls are sent in it too, " +
					"as STS requires a region (`enable_pod_oidc` uses `TKE_REGION`). " +
					"Falls back to `TENCENTCLOUD_REGION`, then the region of the shared profile, then `ap-guangzhou`.",
				Optional:   true,
				Validators: []validator.String{regionRule},
			},
			"secret_id": schema.StringAttribute{
				MarkdownDescription: "API secret ID (`AKID…`). Falls back to `TENCENTCLOUD_SECRET_ID`. Set together with `secret_key`.",
				Optional:            true,
			},
			"secret_key": schema.StringAttribute{
				MarkdownDescription: "API secret key. Falls back to `TENCENTCLOUD_SECRET_KEY`. Prefer the environment variable or a profile over a literal in configuration.",
				Optional:            true,
				Sensitive:           true,
			},
			"security_token": schema.StringAttribute{
				MarkdownDescription: "Security token of temporary credentials, sent with every request. Falls back to `TENCENTCLOUD_SECURITY_TOKEN`.",
				Optional:            true,
				Sensitive:           true,
			},
			"profile": schema.StringAttribute{
				MarkdownDescription: "tccli profile to read credentials (and the region) from when no keys are given: its keys; with `role-arn`, that role assumed with them; " +
					"of type `cvm-role`, the instance's CAM role; of type `oauth` or `sso`, the login's keys until they expire. Falls back to `TENCENTCLOUD_PROFILE`, then `default`.",
				Optional:   true,
				Validators: []validator.String{notEmpty{}},
			},
			"shared_credentials_dir": schema.StringAttribute{
				MarkdownDescription: "Directory of the tccli profiles: `<profile>.credential` (as tccli writes it) and `<profile>.configure` (region). " +
					"Falls back to `TENCENTCLOUD_SHARED_CREDENTIALS_DIR`, then `~/.tccli`.",
				Optional:   true,
				Validators: []validator.String{notEmpty{}},
			},
			"cam_role_name": schema.StringAttribute{
				MarkdownDescription: "CAM role bound to the CVM instance Terraform runs on: its temporary credentials are read from the instance metadata service and refreshed before they expire. " +
					"Used when no keys and no profile are found. Falls back to `TENCENTCLOUD_CAM_ROLE_NAME`.",
				Optional:   true,
				Validators: []validator.String{notEmpty{}},
			},
			"domain": schema.StringAttribute{
				MarkdownDescription: "Root domain of the API, as in the official provider (default `tencentcloudapi.com`): the CVM endpoint becomes `cvm.<domain>`, STS `sts.<domain>` and TAT `tat.<domain>`. Falls back to `TENCENTCLOUD_DOMAIN`. `endpoint` takes precedence for CVM.",
				Optional:            true,
				Validators:          []validator.String{domainRule},
			},
			"protocol": schema.StringAttribute{
				MarkdownDescription: "`HTTPS` (default) or `HTTP`, for endpoints built from `domain`. Plain HTTP is refused unless the host is a loopback address. Falls back to `TENCENTCLOUD_PROTOCOL`.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.OneOfCaseInsensitive(protocols...)},
			},
			"endpoint": schema.StringAttribute{
				MarkdownDescription: "Full URL of the CVM API, for example `http://127.0.0.1:9100` for the local `cvm-emulator`. " +
					"Plain `http` is accepted only for loopback hosts, because credentials and tokens travel in the request. Falls back to `TENCENTCLOUD_CVM_ENDPOINT`.",
				Optional:   true,
				Validators: []validator.String{endpointValidator{}},
			},
			"sts_endpoint": schema.StringAttribute{
				MarkdownDescription: "Full URL of STS, which every temporary credential comes from (assumed roles, web identity, SAML, MFA sessions) and which `allowed_account_ids` asks, " +
					"for example `http://127.0.0.1:9100` for the local `cvm-emulator`. Plain `http` only for loopback hosts. Default `sts.<domain>`. Falls back to `" + EnvSTSEndpoint + "`.",
				Optional:   true,
				Validators: []validator.String{endpointValidator{}},
			},
			"tat_endpoint": schema.StringAttribute{
				MarkdownDescription: "Full URL of TAT (TencentCloud Automation Tools), called only by reads whose `include` has `\"agent\"` (`DescribeAutomationAgentStatus`, " +
					"which needs the `tat:DescribeAutomationAgentStatus` permission), for example `http://127.0.0.1:9100` for the local `cvm-emulator`. Plain `http` only for loopback hosts. " +
					"Default `endpoint` when it points at a loopback host (the emulator serves TAT too, so no request leaves for the real service), else `tat.<domain>`. Falls back to `" + EnvTATEndpoint + "`.",
				Optional:   true,
				Validators: []validator.String{endpointValidator{}},
			},
			"metadata_endpoint": schema.StringAttribute{
				MarkdownDescription: "URL of the CVM instance metadata service, which serves the CAM role credentials of `cam_role_name` and of `cvm-role` profiles; " +
					"for example `http://127.0.0.1:9100` for the local `cvm-emulator`. Default `" + credentials.DefaultMetadataURL + "`. Falls back to `" + EnvMetadataEndpoint + "`.",
				Optional:   true,
				Validators: []validator.String{metadataEndpoint{}},
			},
			"enable_pod_oidc": schema.BoolAttribute{
				MarkdownDescription: "Sign in as the TKE pod's identity: the service account's OIDC token (`TKE_WEB_IDENTITY_TOKEN_FILE`, re-read at every renewal) for the role `TKE_ROLE_ARN` " +
					"of the identity provider `TKE_PROVIDER_ID`, with STS in `TKE_REGION`, as the official provider does. TKE sets the four variables in a pod whose service account has the role. " +
					"Conflicts with the other `assume_role*` sources.",
				Optional: true,
			},
			"allowed_account_ids": schema.SetAttribute{
				MarkdownDescription: "Accounts (UINs) the credential may belong to. Before the first read the provider asks STS `GetCallerIdentity` who it is, once; " +
					"a credential of any other account reads nothing and fails with the account it found. Conflicts with `forbidden_account_ids`, " +
					"`assume_role_with_saml` and `assume_role_with_web_identity`, as in the official provider.",
				ElementType: types.StringType,
				Optional:    true,
				Validators:  []validator.Set{accountIDs{}},
			},
			"forbidden_account_ids": schema.SetAttribute{
				MarkdownDescription: "Accounts (UINs) the credential must not belong to, checked the same way as `allowed_account_ids`. Conflicts with `allowed_account_ids`, " +
					"`assume_role_with_saml` and `assume_role_with_web_identity`.",
				ElementType: types.StringType,
				Optional:    true,
				Validators:  []validator.Set{accountIDs{}},
			},
			"rate_limit": schema.Float64Attribute{
				MarkdownDescription: fmt.Sprintf("The most `DescribeInstancesStatus` requests per second this provider configuration sends, %s, default %d: "+
					"a ceiling shared by all its reads in one run, whatever their regions, not a promise. The service allows 40 per second per account, counting every process "+
					"that uses it (each alias is a process of its own, and so is every other run or tool on the account); when it throttles, the provider halves its rate and "+
					"climbs back as answers succeed, so that processes sharing an account settle on their shares by themselves. Falls back to `%s`.",
					rateLimitRange, cvm.DefaultRateLimit, EnvRateLimit),
				Optional:   true,
				Validators: []validator.Float64{rateLimitRange},
			},
			"max_retries": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("How often one request is retried after throttling, service errors, timeouts or network failures: %s, default %d; "+
					"0 sends each request once. A throttled request is sent again at the rate limiter's next slot; other failures after an exponential backoff with jitter. "+
					"Answers that no retry can change (a wrong key, a wrong endpoint path, an untrusted certificate) fail at once. Falls back to `%s`.",
					maxRetriesRange, cvm.DefaultMaxRetries, EnvMaxRetries),
				Optional:   true,
				Validators: []validator.Int64{maxRetriesRange},
			},
			"request_timeout": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("How long one attempt of a request may wait for a complete answer before it is abandoned and retried, as %s. Default `\"%s\"`. "+
					"A whole read, every attempt and wait included, is bounded by the data source's `timeouts.read`. Falls back to `%s`.",
					requestTimeoutRange, short(cvm.DefaultRequestTimeout), EnvRequestTimeout),
				Optional:   true,
				Validators: []validator.String{requestTimeoutRange},
			},
		},
		Blocks: map[string]schema.Block{
			"assume_role": schema.SingleNestedBlock{
				MarkdownDescription: "Assume a CAM role with STS `AssumeRole`, signed with the base credential (keys, profile or CAM role); the role's temporary credentials are renewed before they expire. " +
					"Each attribute falls back to its `" + envAssumeRolePrefix + "*` variable, and without the block `" + EnvAssumeRoleARN + "` alone has the same effect. " +
					"It takes precedence over a profile's `role-arn`.",
				Attributes: map[string]schema.Attribute{
					"role_arn":         roleARNAttribute(),
					"session_name":     sessionNameAttribute(),
					"session_duration": sessionDurationAttribute(),
					"policy": schema.StringAttribute{
						MarkdownDescription: "A CAM policy (JSON) that further restricts the role's permissions for this session.",
						Optional:            true,
					},
					"external_id": schema.StringAttribute{
						MarkdownDescription: "External ID required by the role's trust policy, if any. Falls back to `" + EnvAssumeRoleExternalID + "`.",
						Optional:            true,
					},
					"source_identity": schema.StringAttribute{
						MarkdownDescription: "Source identity (the caller's UIN) recorded with the session. Falls back to `" + EnvAssumeRoleSourceIdentity + "`.",
						Optional:            true,
					},
					"serial_number": mfaSerialAttribute(", when the role requires MFA; set with `token_code`", EnvAssumeRoleSerialNumber),
					"token_code": mfaCodeAttribute("A code is used once, so an MFA session is not renewed: it lasts `session_duration`, and a run that outlives it fails and says so. ",
						EnvAssumeRoleTokenCode),
				},
			},
			"assume_role_with_web_identity": schema.SingleNestedBlock{
				MarkdownDescription: "Assume a role with an OIDC token (STS `AssumeRoleWithWebIdentity`, sent unsigned): no other credential is needed. The token is, in this order, " +
					"`web_identity_token`, the file `web_identity_token_file` (re-read at every renewal, since mounted tokens rotate), HCP Terraform's workload identity token " +
					"(`TFC_WORKLOAD_IDENTITY_TOKEN`), or a token requested from GitHub Actions (`ACTIONS_ID_TOKEN_REQUEST_URL`, in a job with `permissions: id-token: write`) for `audience`. " +
					"Conflicts with `assume_role`, `assume_role_with_saml`, `enable_pod_oidc` and `mfa_certification`.",
				Attributes: map[string]schema.Attribute{
					"provider_id": schema.StringAttribute{
						MarkdownDescription: "Name of the OIDC identity provider in CAM. Default `OIDC`, as in the official provider. Falls back to `" + EnvAssumeRoleProviderID + "`.",
						Optional:            true,
						Validators:          []validator.String{notEmpty{}},
					},
					"web_identity_token": schema.StringAttribute{
						MarkdownDescription: "The OIDC token (a JWT). Falls back to `" + EnvAssumeRoleWebIdentityToken + "`. Conflicts with `web_identity_token_file`.",
						Optional:            true,
						Sensitive:           true,
						Validators:          []validator.String{notEmpty{}},
					},
					"web_identity_token_file": schema.StringAttribute{
						MarkdownDescription: "A file holding the token: the JWT itself (as Kubernetes projects it), or JSON `{\"web_identity_token\": \"…\"}` (as the official provider reads it). " +
							"Falls back to `" + EnvAssumeRoleWebIdentityTokenFile + "`.",
						Optional:   true,
						Validators: []validator.String{notEmpty{}},
					},
					"role_arn": roleARNAttribute(),
					"role_arn_file": schema.StringAttribute{
						MarkdownDescription: "A file holding the role ARN. Falls back to `" + EnvAssumeRoleARNFile + "` (and the official provider's spelling, `" + EnvAssumeRoleARNFileOfficial + "`). Conflicts with `role_arn`.",
						Optional:            true,
						Validators:          []validator.String{notEmpty{}},
					},
					"session_name":     sessionNameAttribute(),
					"session_duration": sessionDurationAttribute(),
					"audience": schema.StringAttribute{
						MarkdownDescription: "The audience of a token requested from GitHub Actions: the client ID of the OIDC identity provider in CAM. Default `" + DefaultWebIdentityAudience + "`. " +
							"(HCP Terraform's token has the audience set by the workspace variable `TFC_WORKLOAD_IDENTITY_AUDIENCE`.)",
						Optional:   true,
						Validators: []validator.String{notEmpty{}},
					},
				},
			},
			"assume_role_with_saml": schema.SingleNestedBlock{
				MarkdownDescription: "Assume a role with a SAML assertion from your identity provider (STS `AssumeRoleWithSAML`, sent unsigned): no other credential is needed. " +
					"An assertion is good for one session: it lasts `session_duration`, and a run that outlives it fails and says so. " +
					"Conflicts with `assume_role`, `assume_role_with_web_identity`, `enable_pod_oidc` and `mfa_certification`.",
				Attributes: map[string]schema.Attribute{
					"saml_assertion": schema.StringAttribute{
						MarkdownDescription: "The base64-encoded SAML response. Falls back to `" + EnvAssumeRoleSAMLAssertion + "`.",
						Optional:            true,
						Sensitive:           true,
						Validators:          []validator.String{notEmpty{}},
					},
					"principal_arn": schema.StringAttribute{
						MarkdownDescription: "ARN of the SAML identity provider, `qcs::cam::uin/<account>:saml-provider/<name>`. Falls back to `" + EnvAssumeRolePrincipalARN + "`.",
						Optional:            true,
						Validators:          []validator.String{notEmpty{}},
					},
					"role_arn":         roleARNAttribute(),
					"session_name":     sessionNameAttribute(),
					"session_duration": sessionDurationAttribute(),
				},
			},
			"mfa_certification": schema.SingleNestedBlock{
				MarkdownDescription: "Use the base key through an MFA session (STS `GetSessionToken`): the same identity, MFA-authenticated. The base must be a permanent key. " +
					"A code is used once, so the session lasts `duration_seconds` and is not renewed. Without the block, `" + EnvMFASerialNumber + "` and `" + EnvMFATokenCode + "` have the same effect. " +
					"Conflicts with the `assume_role*` sources (for a role that needs MFA, set `assume_role`'s `serial_number` and `token_code`).",
				Attributes: map[string]schema.Attribute{
					"serial_number": mfaSerialAttribute("", EnvMFASerialNumber),
					"token_code":    mfaCodeAttribute("", EnvMFATokenCode),
					"duration_seconds": schema.Int64Attribute{
						MarkdownDescription: fmt.Sprintf("Lifetime of the session, %s. Default %d. Falls back to `%s`.", mfaDurationRange, DefaultMFADuration, EnvMFADuration),
						Optional:            true,
						Validators:          []validator.Int64{mfaDurationRange},
					},
				},
			},
		},
	}
}

func roleARNAttribute() schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: "ARN of the role, `qcs::cam::uin/<account>:roleName/<name>`. Falls back to `" + EnvAssumeRoleARN + "`.",
		Optional:            true,
		Validators:          []validator.String{roleARNRule},
	}
}

// mfaSerialAttribute is serial_number, the MFA device's; use says what the
// block needs it for, if more than the device.
func mfaSerialAttribute(use, env string) schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: "Serial number of the MFA device, `qcs::cam:uin/<account>::mfa/softToken`" + use + ". Falls back to `" + env + "`.",
		Optional:            true,
		Validators:          []validator.String{notEmpty{}},
	}
}

// mfaCodeAttribute is token_code, the MFA device's code; more is what the
// block says of it besides, a sentence or "".
func mfaCodeAttribute(more, env string) schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: "The 6-digit MFA code shown by the device now. " + more + "STS accepts each code once: every Terraform command that reads " +
			"(`plan`, `apply`, `refresh`) signs in anew and needs a code the device has not shown before. Falls back to `" + env + "`.",
		Optional:   true,
		Sensitive:  true,
		Validators: []validator.String{mfaCodeRule},
	}
}

func sessionNameAttribute() schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: "Name of the role session, shown in CloudAudit. Default `" + DefaultSessionName + "`. Falls back to `" + EnvAssumeRoleSession + "`.",
		Optional:            true,
		Validators:          []validator.String{sessionNameRule},
	}
}

func sessionDurationAttribute() schema.Int64Attribute {
	return schema.Int64Attribute{
		MarkdownDescription: fmt.Sprintf("Lifetime of the temporary credentials, %s. Default %d. Falls back to `%s`.", sessionDurationRange, DefaultSessionDuration, EnvAssumeRoleDuration),
		Optional:            true,
		Validators:          []validator.Int64{sessionDurationRange},
	}
}
