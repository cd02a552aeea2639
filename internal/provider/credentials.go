package provider

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
)

// credentialSources says, in order of precedence, where a credential can come
// from; the error for "none found" lists it.
const credentialSources = `Provide them in one of these ways, in this order of precedence:
  - secret_id and secret_key (and security_token for temporary keys) in the provider block;
  - the environment variables TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY (and TENCENTCLOUD_SECURITY_TOKEN);
  - a tccli profile: %s (profile / TENCENTCLOUD_PROFILE, shared_credentials_dir / TENCENTCLOUD_SHARED_CREDENTIALS_DIR);
  - cam_role_name / TENCENTCLOUD_CAM_ROLE_NAME, on a CVM instance with that CAM role bound.
assume_role (TENCENTCLOUD_ASSUME_ROLE_ARN) then applies on top of whichever credential was found`

// baseCredential picks the credential in the documented order: keys
// (configuration, then environment), then the shared tccli profile, then
// the CAM role of the instance. It returns the profile it read, if any, so
// that its region can be used.
func baseCredential(cs credentialSettings, metadataURL string, hc *http.Client) (cvm.CredentialSource, *cvm.Profile, error) {
	switch {
	case cs.secretID != "" && cs.secretKey != "":
		return cvm.StaticCredentials("secret_id/secret_key", cvm.Credential{SecretID: cs.secretID, SecretKey: cs.secretKey, Token: cs.securityToken}), nil, nil
	case cs.secretID != "":
		return nil, nil, fmt.Errorf("secret_id is set but secret_key is not: set both (or %s and %s)", EnvSecretID, EnvSecretKey)
	case cs.secretKey != "":
		return nil, nil, fmt.Errorf("secret_key is set but secret_id is not: set both (or %s and %s)", EnvSecretID, EnvSecretKey)
	}

	p, found, err := cvm.LoadProfile(cs.sharedDir, cs.profile)
	if err != nil {
		return nil, nil, fmt.Errorf("profile %q: %w", cs.profile, err)
	}
	if found {
		return cvm.StaticCredentials(fmt.Sprintf("profile %q (%s)", cs.profile, p.CredentialFile),
			cvm.Credential{SecretID: p.SecretID, SecretKey: p.SecretKey, Token: p.Token}), &p, nil
	}
	if cs.profileExplicit && cs.camRoleName == "" {
		return nil, nil, fmt.Errorf("profile %q was asked for, but %s does not exist", cs.profile, p.CredentialFile)
	}

	if cs.camRoleName != "" {
		return cvm.CAMRoleCredentials(cs.camRoleName, metadataURL, hc, nil), nil, nil
	}
	return nil, nil, fmt.Errorf("%w found. "+credentialSources, errNoCredentials, p.CredentialFile)
}

var errNoCredentials = errors.New("no Tencent Cloud credentials")
