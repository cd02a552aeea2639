package cvm

import (
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/emulator"
	"github.com/cvmkit/terraform-provider-cvm/internal/emulator/emutest"
	"github.com/cvmkit/terraform-provider-cvm/internal/tcapi"
)

func startTLS(t *testing.T) *emutest.Emulator {
	t.Helper()
	return emutest.Start(t, emulator.Config{
		Regions:     regionOf(emulator.GenerateInstances(120, 8)),
		Credentials: []emulator.Credential{{SecretID: testSecretID, SecretKey: testSecretKey}},
	}, emutest.Options{TLS: true})
}

// An https endpoint whose certificate no trusted authority signed is
// refused at once, with an error that names certificate verification and
// says how to trust a private CA. Retrying cannot help, so it is not
// retried.
func TestUnknownCertificateAuthorityIsRefused(t *testing.T) {
	e := startTLS(t)
	start := time.Now()
	_, err := newClient(t, e.URL).DescribeInstancesStatus(t.Context(), testRegion, nil)
	var apiErr *tcapi.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want an *tcapi.APIError", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "certificate") || !strings.Contains(msg, "verif") {
		t.Fatalf("error %q must name certificate verification", msg)
	}
	if apiErr.Code != tcapi.CodeCertificate || apiErr.Cause != tcapi.CauseCertificate {
		t.Fatalf("code %s, cause %d; want %s, tcapi.CauseCertificate, for which the provider says how to trust a private CA", apiErr.Code, apiErr.Cause, tcapi.CodeCertificate)
	}
	if apiErr.Attempts != 1 || time.Since(start) > 2*time.Second {
		t.Fatalf("%d attempts in %s; a certificate that cannot be verified must not be retried", apiErr.Attempts, time.Since(start))
	}
	if e.Requests() != 0 {
		t.Fatalf("%d requests got past the TLS handshake", e.Requests())
	}
}

const envTLSChildURL = "CVM_TEST_TLS_CHILD_URL"

// A CA added the usual way, SSL_CERT_FILE, is trusted. Go reads the system
// pool once per process, so the read runs in a fresh copy of this test
// binary with the variable set.
func TestCertificateAuthorityFromSSLCertFile(t *testing.T) {
	if url := os.Getenv(envTLSChildURL); url != "" {
		res, err := newClient(t, url).DescribeInstancesStatus(t.Context(), testRegion, nil)
		if err != nil {
			t.Fatalf("with SSL_CERT_FILE naming the endpoint's CA: %v", err)
		}
		if len(res.Instances) != 120 {
			t.Fatalf("got %d instances, want 120", len(res.Instances))
		}
		return
	}
	e := startTLS(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestCertificateAuthorityFromSSLCertFile$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), envTLSChildURL+"="+e.URL, "SSL_CERT_FILE="+e.CAFile, "SSL_CERT_DIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestCertificateAuthorityFromSSLCertFile") {
		t.Fatalf("the child read failed (%v):\n%s", err, out)
	}
	if got := e.Stats().ByAction["DescribeInstancesStatus"]; got != 2 {
		t.Fatalf("%d requests reached the emulator over TLS, want 2", got)
	}
}

// The default transport is the one whose trust the tests above exercise:
// nothing in the client turns verification off.
func TestDefaultTransportVerifiesCertificates(t *testing.T) {
	c := newClient(t, "https://127.0.0.1:1")
	tr, ok := c.cfg.HTTPClient.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("transport is %T", c.cfg.HTTPClient.Transport)
	}
	if tr.TLSClientConfig != nil && tr.TLSClientConfig.InsecureSkipVerify {
		t.Fatal("certificate verification is off")
	}
}
