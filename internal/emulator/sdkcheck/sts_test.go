package sdkcheck

import (
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	sts "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/sts/v20180813"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
)

const mfaSecret = "JBSWY3DPEHPK3PXP"

// TestSDKSTS drives every STS action through the official sts client and
// the SDK's own credential providers, as the provider's credential sources
// will, and uses each credential for CVM.
func TestSDKSTS(t *testing.T) {
	account := "200000000002"
	role := "qcs::cam::uin/" + account + ":roleName/deployer"
	oidc := emutest.NewOIDCIssuer(t, "github")
	idp := emutest.NewSAMLIdP(account, "corp")
	s := emutest.Listen(t, emulator.Config{
		Regions: seedInstances(),
		Identity: emulator.Identity{
			Accounts:      []emulator.Account{{AccountId: account, SecretIds: []string{emulator.DefaultSecretID}}},
			OIDCProviders: []emulator.OIDCProvider{oidc.Provider},
			SAMLProviders: []emulator.SAMLProvider{idp.Provider},
			MFADevices:    []emulator.MFADevice{{SerialNumber: emutest.MFASerial(account), TOTPSecret: mfaSecret}},
		},
	})
	signed, err := sts.NewClient(defaultCred(), testRegion, newProfile(s))
	if err != nil {
		t.Fatal(err)
	}
	unsigned, err := sts.NewClient(nil, testRegion, newProfile(s))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	type tmp struct{ id, key, token *string }
	got := map[string]tmp{}

	ar := sts.NewAssumeRoleRequest()
	ar.RoleArn, ar.RoleSessionName, ar.DurationSeconds = common.StringPtr(role), common.StringPtr("ops"), common.Uint64Ptr(900)
	ar.SerialNumber, ar.TokenCode = common.StringPtr(emutest.MFASerial(account)), common.StringPtr(emutest.TOTPCode(mfaSecret, now))
	ar.SourceIdentity = common.StringPtr(account)
	if r, err := signed.AssumeRole(ar); err != nil {
		t.Errorf("AssumeRole: %v", err)
	} else {
		got["AssumeRole"] = tmp{r.Response.Credentials.TmpSecretId, r.Response.Credentials.TmpSecretKey, r.Response.Credentials.Token}
	}

	wi := sts.NewAssumeRoleWithWebIdentityRequest()
	wi.ProviderId, wi.RoleArn, wi.RoleSessionName = common.StringPtr("github"), common.StringPtr(role), common.StringPtr("ci")
	wi.WebIdentityToken = common.StringPtr(oidc.Token(emutest.STSAudience, "repo:cvmkit/x", time.Hour))
	if r, err := unsigned.AssumeRoleWithWebIdentity(wi); err != nil {
		t.Errorf("AssumeRoleWithWebIdentity: %v", err)
	} else {
		got["AssumeRoleWithWebIdentity"] = tmp{r.Response.Credentials.TmpSecretId, r.Response.Credentials.TmpSecretKey, r.Response.Credentials.Token}
	}
	wi.WebIdentityToken = common.StringPtr(oidc.Token("someone-else", "repo:cvmkit/x", time.Hour))
	if _, err := unsigned.AssumeRoleWithWebIdentity(wi); sdkCode(err) != sts.INVALIDPARAMETER_WEBIDENTITYTOKENERROR {
		t.Errorf("a token for another audience: %v", err)
	}

	sa := sts.NewAssumeRoleWithSAMLRequest()
	sa.SAMLAssertion = common.StringPtr(idp.Assertion(role, now.Add(-time.Minute), now.Add(time.Hour)))
	sa.PrincipalArn, sa.RoleArn, sa.RoleSessionName = common.StringPtr(idp.Provider.PrincipalArn), common.StringPtr(role), common.StringPtr("alice")
	if r, err := unsigned.AssumeRoleWithSAML(sa); err != nil {
		t.Errorf("AssumeRoleWithSAML: %v", err)
	} else {
		got["AssumeRoleWithSAML"] = tmp{r.Response.Credentials.TmpSecretId, r.Response.Credentials.TmpSecretKey, r.Response.Credentials.Token}
	}
	sa.RoleArn = common.StringPtr("qcs::cam::uin/999:roleName/x")
	if _, err := unsigned.AssumeRoleWithSAML(sa); sdkCode(err) != sts.UNAUTHORIZEDOPERATION {
		t.Errorf("a role the assertion does not grant: %v", err)
	}

	st := sts.NewGetSessionTokenRequest()
	// AssumeRole spent the current code, and a code is good once: the
	// device's next one, which the emulator accepts as drift.
	st.SerialNumber, st.TokenCode = common.StringPtr(emutest.MFASerial(account)), common.StringPtr(emutest.TOTPCode(mfaSecret, now.Add(30*time.Second)))
	if r, err := signed.GetSessionToken(st); err != nil {
		t.Errorf("GetSessionToken: %v", err)
	} else {
		got["GetSessionToken"] = tmp{r.Response.Credentials.TmpSecretId, r.Response.Credentials.TmpSecretKey, r.Response.Credentials.Token}
	}
	if _, err := signed.GetSessionToken(st); sdkCode(err) != sts.FAILEDOPERATION_CHECKMFAERROR {
		t.Errorf("a TOTP code used twice: %v", err)
	}
	st.TokenCode = common.StringPtr("000000")
	if _, err := signed.GetSessionToken(st); sdkCode(err) != sts.FAILEDOPERATION_CHECKMFAERROR {
		t.Errorf("a wrong TOTP code: %v", err)
	}

	for action, c := range got {
		cred := common.NewTokenCredential(*c.id, *c.key, *c.token)
		if _, err := describe(sdkClient(t, s, cred), nil, nil, nil); err != nil {
			t.Errorf("%s: DescribeInstancesStatus with its credential: %v", action, err)
		}
		client, _ := sts.NewClient(cred, testRegion, newProfile(s))
		id, err := client.GetCallerIdentity(sts.NewGetCallerIdentityRequest())
		if err != nil || *id.Response.AccountId != account {
			t.Errorf("%s: GetCallerIdentity %v %v", action, err, id)
			continue
		}
		want := "CAMRole"
		if action == "GetSessionToken" {
			want = "CAMUser"
		}
		if *id.Response.Type != want {
			t.Errorf("%s: Type %s, want %s", action, *id.Response.Type, want)
		}
	}
	if len(got) != 4 {
		t.Fatalf("credentials from %d sources, want 4", len(got))
	}
}

// TestSDKUnderTransportFaults: the SDK reports the emulator's transport
// faults as client-side errors, not API codes, as it does the service's.
func TestSDKUnderTransportFaults(t *testing.T) {
	s := emutest.Listen(t, emulator.Config{Regions: seedInstances()})
	for _, tc := range []struct {
		f    emulator.Faults
		code string
	}{
		{emulator.Faults{HTTP502: 1}, "ClientError."},
		{emulator.Faults{HTTP504: 1}, "ClientError."},
		{emulator.Faults{Reset: 1}, "ClientError.NetworkError"},
	} {
		if err := s.SetFaults(tc.f); err != nil {
			t.Fatal(err)
		}
		if _, err := describe(sdkClient(t, s, defaultCred()), nil, nil, nil); !strings.HasPrefix(sdkCode(err), tc.code) {
			t.Errorf("%+v: %v, want %s…", tc.f, err, tc.code)
		}
	}
}
