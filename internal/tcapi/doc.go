// Package tcapi calls Tencent Cloud API 3.0 actions: endpoints, TC3-HMAC-SHA256
// signing, the transport and the classification of its failures, retries
// with backoff, and the adaptive rate limiters. It knows no service's
// actions and no credential source: a service package (cvm) names its
// actions and decodes their answers, and the credentials package supplies
// the CredentialSource each request is signed with.
//
// The client signs and sends its own requests rather than going through the
// official SDK's generic client: every retry must be re-signed with a fresh
// timestamp, transport failures and half-read bodies must be told apart from
// API errors, and nothing may log a credential. The SDK's region breaker
// (which silently moves requests to another host), its process-wide logger
// and its debug dump of Authorization headers are therefore never involved.
package tcapi
