// Package credentials makes the tcapi.CredentialSource that signs a
// provider's requests: static keys, tccli profiles (keys, a CVM role, oauth
// and sso logins), the CAM role of the instance from the metadata service,
// and, through STS (called with tcapi), assumed roles, web identities (a
// token, a token file, HCP Terraform's or GitHub Actions' token), SAML
// assertions and MFA sessions, and the account guard around them.
//
// Config.Resolve applies the order of precedence to plain values whose
// labels say where each came from, so that errors name the setting while
// this package knows nothing of Terraform; STS.Chain then stacks the
// sources. It imports no service package: any service signs with what it
// makes.
package credentials
