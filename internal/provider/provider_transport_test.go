package provider

import (
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"golang.org/x/net/http/httpproxy"

	"github.com/clc-tf/terraform-provider-clc/internal/emulator"
)

// tlsEmulator serves an emulator over HTTPS on loopback with the test
// certificate of net/http/httptest, and returns the certificate as PEM.
func tlsEmulator(t *testing.T, cfg emulator.Config) (*emulator.Server, *httptest.Server, string) {
	t.Helper()
	e, err := emulator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(e.Handler())
	t.Cleanup(srv.Close)

	return e, srv, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
}

func TestConfigureTransportSettings(t *testing.T) {
	_, _, certPEM := tlsEmulator(t, emulator.Config{})
	str := func(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
	num := func(n int64) tftypes.Value { return tftypes.NewValue(tftypes.Number, n) }
	boolean := func(b bool) tftypes.Value { return tftypes.NewValue(tftypes.Bool, b) }

	tests := []struct {
		name   string
		config map[string]tftypes.Value
		env    map[string]string
		// want holds the severity, summary and a piece of the detail of
		// every diagnostic, in order.
		want []string
	}{
		{name: "defaults"},
		{name: "every setting in range", config: map[string]tftypes.Value{
			"max_retries": num(0), "max_response_bytes": num(1), "ca_cert_pem": str(certPEM),
			"allow_insecure_http": boolean(false),
		}},
		{
			name:   "too many retries",
			config: map[string]tftypes.Value{"max_retries": num(21)},
			want:   []string{"Error", "Invalid Maximum Retries", "is 21, which is out of range"},
		},
		{
			name: "retries from the environment",
			env:  map[string]string{"CLC_MAX_RETRIES": "some"},
			want: []string{"Error", "Invalid Maximum Retries", "environment variable CLC_MAX_RETRIES"},
		},
		{
			name:   "response limit of zero",
			config: map[string]tftypes.Value{"max_response_bytes": num(0)},
			want:   []string{"Error", "Invalid Maximum Response Size", "from 1 to 1073741824"},
		},
		{
			name:   "junk as CA certificate",
			config: map[string]tftypes.Value{"ca_cert_pem": str("junk")},
			want:   []string{"Error", "Invalid CA Certificate", "no PEM-encoded certificate"},
		},
		{
			name:   "verification off",
			config: map[string]tftypes.Value{"insecure_skip_verify": boolean(true)},
			want:   []string{"Warning", "TLS Certificate Verification Off", "any certificate"},
		},
		{
			name: "CA certificate and verification off",
			env:  map[string]string{"CLC_CA_CERT_PEM": certPEM, "CLC_INSECURE_SKIP_VERIFY": "true"},
			want: []string{
				"Error", "Conflicting TLS Settings", "environment variable CLC_CA_CERT_PEM",
				"Warning", "TLS Certificate Verification Off", "any certificate",
			},
		},
		{
			name: "unreadable boolean",
			env:  map[string]string{"CLC_INSECURE_SKIP_VERIFY": "maybe"},
			want: []string{"Error", "Invalid Insecure Skip Verify Setting", `"maybe", which is not a boolean`},
		},
		{
			name:   "plain http to a remote runner",
			config: map[string]tftypes.Value{"runner_url": str("http://runner.example.test")},
			want:   []string{"Error", "Insecure API URL", "set allow_insecure_http = true"},
		},
		{
			name: "plain http to a remote API from the environment",
			env:  map[string]string{"CLC_API_URL": "http://64.15.188.230"},
			want: []string{"Error", "Insecure API URL", "api_url (from the environment variable CLC_API_URL)"},
		},
		{
			name: "plain http allowed",
			config: map[string]tftypes.Value{
				"runner_url": str("http://runner.example.test"), "allow_insecure_http": boolean(true),
			},
		},
		{
			name: "plain http allowed from the environment",
			env: map[string]string{
				"CLC_RUNNER_URL": "http://runner.example.test", "CLC_ALLOW_INSECURE_HTTP": "1",
			},
		},
		{
			name:   "plain http to loopback",
			config: map[string]tftypes.Value{"runner_url": str("http://[::1]:8099")},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			tt.config = cloneWith(tt.config, "bearer_token", str("t"))

			resp := configureValues(t, tt.config)

			var got []string
			for _, d := range resp.Diagnostics {
				severity := "Error"
				if d.Severity() == diag.SeverityWarning {
					severity = "Warning"
				}
				got = append(got, severity, d.Summary(), d.Detail())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("diagnostics = %q, want %d", got, len(tt.want)/3)
			}
			for i := 0; i < len(got); i += 3 {
				if got[i] != tt.want[i] || got[i+1] != tt.want[i+1] || !strings.Contains(got[i+2], tt.want[i+2]) {
					t.Errorf("diagnostic %q %q: %q, want %q %q containing %q",
						got[i], got[i+1], got[i+2], tt.want[i], tt.want[i+1], tt.want[i+2])
				}
			}
			if resp.Diagnostics.HasError() == (resp.DataSourceData != nil) {
				t.Errorf("errors: %v, but a client configured: %v", resp.Diagnostics.HasError(),
					resp.DataSourceData != nil)
			}
		})
	}
}

func cloneWith(values map[string]tftypes.Value, name string, v tftypes.Value) map[string]tftypes.Value {
	out := map[string]tftypes.Value{name: v}
	for k, value := range values {
		out[k] = value
	}

	return out
}

func TestAccTransport_tls(t *testing.T) {
	e, srv, certPEM := tlsEmulator(t, emulator.Config{})
	config := func(extra string) string {
		return loginBlock(srv.URL, "max_retries = 3", extra) +
			fmt.Sprintf("data \"clc_job_executions\" \"test\" { job_id = %q }\n", apiPageJob)
	}

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config(fmt.Sprintf("ca_cert_pem = %q", certPEM)),
				ConfigStateChecks: []statecheck.StateCheck{
					expect(knownvalue.ListSizeExact(2), "executions"),
				},
			},
			{
				Config: config("insecure_skip_verify = true"),
				ConfigStateChecks: []statecheck.StateCheck{
					expect(knownvalue.ListSizeExact(2), "executions"),
				},
			},
			{
				Config:      config(""),
				ExpectError: errorLike("Runner API Unreachable", "POST /v2/authentication/login", "certificate"),
			},
		},
	})

	// The certificate error is not retried: no request got through, and the
	// TLS handshakes are not counted by the emulator.
	if n := e.Count(http.MethodGet, apiPagePath); n == 0 {
		t.Error("no read got through with ca_cert_pem or insecure_skip_verify")
	}
}

// TestAccTransport_proxyAndPlainHTTP points the provider at a host name that
// only the proxy in HTTP_PROXY knows: the emulator, which answers requests in
// proxy form as it answers any other. Without allow_insecure_http the
// provider refuses plain http:// to that host before sending anything.
func TestAccTransport_proxyAndPlainHTTP(t *testing.T) {
	e := startEmulator(t)
	for _, name := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"} {
		t.Setenv(name, e.URL())
	}
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")
	// The provider reads the proxy variables this way; unless they send the
	// made-up host to the emulator, nothing must be sent at all.
	target := &url.URL{Scheme: "http", Host: "clc.example.test"}
	if proxy, err := httpproxy.FromEnvironment().ProxyFunc()(target); err != nil || proxy == nil ||
		"http://"+proxy.Host != e.URL() {
		t.Fatalf("the proxy variables send %s to %v (%v), not to the emulator", target, proxy, err)
	}
	config := func(extra string) string {
		return fmt.Sprintf(`
provider "clc" {
  api_url    = "http://clc.example.test"
  runner_url = "http://clc.example.test"
  username   = %q
  password   = %q
  %s
}
data "clc_job_executions" "test" { job_id = %q }
`, emulator.DefaultUsername, emulator.DefaultPassword, extra, apiPageJob)
	}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      config(""),
				ExpectError: errorLike("Insecure API URL", "allow_insecure_http = true"),
			},
			{
				Config: config("allow_insecure_http = true"),
				ConfigStateChecks: []statecheck.StateCheck{
					expect(knownvalue.ListSizeExact(2), "executions"),
				},
			},
		},
	})

	if e.Logins() == 0 || e.Count(http.MethodGet, apiPagePath) == 0 {
		t.Errorf("the proxy saw no login or read: %+v", e.Requests())
	}
}

// TestAccTransport_traceLogHoldsNoSecret reads at TF_LOG=TRACE through a
// login, retries, an expired token and a configured bearer token, and looks
// for the password and every token in the log file.
//
// The provider runs in the test's process, so the Terraform CLI never sees
// its log lines (TF_LOG_PROVIDER has no effect on them): terraform-plugin-log's
// test sink writes them to TF_LOG_PATH at the TF_LOG level, or to
// TF_ACC_LOG_PATH at TRACE. TF_ACC_LOG_PATH also receives the CLI's own TRACE
// log, through terraform-plugin-testing, so the file holds both.
func TestAccTransport_traceLogHoldsNoSecret(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "trace.log")
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_LOG_PATH", logFile)
	t.Setenv("TF_ACC_LOG_PATH", logFile)

	// The first read is answered 503 and the retry 401, as the token was
	// good for one call only; the read logs in again and succeeds.
	password := "pw-" + rand.Text()
	e := startEmulatorWith(t, emulator.Config{
		Password:  password,
		TokenUses: 1,
		Faults:    []emulator.Fault{{Path: apiPagePath, Times: 1, Status: 503, RetryAfter: "0"}},
	})
	withToken := startEmulator(t)
	token := loginTo(t, withToken)

	// The secrets come from the environment: terraform-plugin-testing
	// itself logs the configuration it writes, literals and all.
	read := func(config string) {
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: protoV6ProviderFactories,
			Steps:                    []resource.TestStep{{Config: config}},
		})
	}
	clearEnv(t)
	t.Setenv("CLC_USERNAME", emulator.DefaultUsername)
	t.Setenv("CLC_PASSWORD", password)
	read(fmt.Sprintf(`
provider "clc" {
  api_url    = %q
  runner_url = %q
}
data "clc_job_executions" "one" { job_id = %q }
`, e.URL(), e.URL(), apiPageJob))

	clearEnv(t)
	t.Setenv("CLC_BEARER_TOKEN", token)
	read(fmt.Sprintf(`
provider "clc" {
  runner_url    = %q
  account_alias = "WFAQ"
}
data "clc_job_executions" "one" { job_id = %q }
`, withToken.URL(), apiPageJob))

	data, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	log := string(data)
	for _, line := range []string{"Logging in to the CLC API", "An API call failed for now",
		"The Runner API rejected the token from the login", "Received an API answer",
		"Configured the CLC provider"} {
		if !strings.Contains(log, "[DEBUG] clc: "+line) {
			t.Errorf("the TRACE log has no provider line %q", line)
		}
	}
	if !strings.Contains(log, "Terraform version") {
		t.Error("the TRACE log has no line of the Terraform CLI")
	}
	secrets := append([]string{password, token}, e.IssuedTokens()...)
	if len(secrets) < 4 {
		t.Fatalf("want at least two tokens from the login, got %d", len(secrets)-2)
	}
	for _, secret := range secrets {
		if strings.Contains(log, secret) {
			t.Errorf("the TRACE log (%d bytes) holds the secret %.8s…", len(log), secret)
		}
	}
}

// loginTo logs in to the emulator as the default user and returns the token.
func loginTo(t *testing.T, e *emulator.Server) string {
	t.Helper()
	body := fmt.Sprintf(`{"username": %q, "password": %q}`, emulator.DefaultUsername, emulator.DefaultPassword)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.URL()+emulator.LoginPath,
		strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Transport: &http.Transport{}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()

	var answer struct {
		BearerToken string `json:"bearerToken"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil || answer.BearerToken == "" {
		t.Fatalf("login: %v, token %q", err, answer.BearerToken)
	}

	return answer.BearerToken
}

func TestMaskSecrets(t *testing.T) {
	var out strings.Builder
	ctx := tflogtest.RootLogger(t.Context(), &out)
	ctx = maskSecrets(ctx, []string{"hunter2", "tok-123"})

	tflog.Trace(ctx, "Logging in as alice with hunter2", map[string]any{
		"note": "token tok-123", "authorization": "Bearer opaque-value", "password": "other-value",
	})

	for _, secret := range []string{"hunter2", "tok-123", "opaque-value", "other-value"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("the log line holds %q: %s", secret, out.String())
		}
	}
	if !strings.Contains(out.String(), "Logging in as alice") {
		t.Errorf("the log line is missing: %q", out.String())
	}
}
