package runner

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPlainHTTPToARemoteHostIsRefused(t *testing.T) {
	t.Parallel()

	tests := []struct {
		url     string
		inClear bool
	}{
		{"http://api.example.test", true},
		{"http://64.15.188.230", true},
		{"http://127.0.0.1:8099", false},
		{"http://127.8.9.10", false},
		{"http://[::1]:8099", false},
		{"http://LOCALHOST:1", false},
		{"https://api.example.test", false},
	}

	for _, tt := range tests {
		if got := SendsSecretsInClear(tt.url); got != tt.inClear {
			t.Errorf("SendsSecretsInClear(%q) = %v, want %v", tt.url, got, tt.inClear)
		}

		_, err := New(Config{RunnerURL: tt.url, BearerToken: "t"})
		if refused := errors.Is(err, ErrInsecureHTTP); refused != tt.inClear {
			t.Errorf("New with runner URL %s: err = %v", tt.url, err)
		}
		if _, err := New(Config{RunnerURL: tt.url, BearerToken: "t", AllowInsecureHTTP: true}); err != nil {
			t.Errorf("New with runner URL %s and AllowInsecureHTTP: %v", tt.url, err)
		}
	}

	_, err := New(Config{APIURL: "http://api.example.test", Username: "u", Password: "p"})
	if !errors.Is(err, ErrInsecureHTTP) || !strings.Contains(err.Error(), "allow_insecure_http") {
		t.Errorf("New with a plain http API URL: err = %v", err)
	}
}

// tlsServer is an HTTPS test server that counts the requests it answers.
func tlsServer(t *testing.T) (*httptest.Server, *fakeAPI, string) {
	t.Helper()
	f := &fakeAPI{executions: records(1), t: t}
	srv := httptest.NewUnstartedServer(f)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // Refused handshakes are expected.
	srv.StartTLS()
	t.Cleanup(srv.Close)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})

	return srv, f, string(certPEM)
}

// otherCertificate is a self-signed certificate that signed nothing a test
// server uses.
func otherCertificate(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "another test authority"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}

	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestTLSOptions(t *testing.T) {
	t.Parallel()
	srv, f, certPEM := tlsServer(t)
	otherPEM := otherCertificate(t)
	t.Cleanup(func() {
		if n := f.logins.Load(); n != 2 {
			t.Errorf("logins that passed the TLS check = %d, want 2", n)
		}
	})

	tests := []struct {
		name    string
		change  func(*Config)
		wantErr string
	}{
		{"the server's certificate as ca_cert_pem", func(c *Config) { c.CACertPEM = certPEM }, ""},
		{"verification off", func(c *Config) { c.InsecureSkipVerify = true }, ""},
		{"system roots only", func(*Config) {}, "certificate"},
		{"another certificate as ca_cert_pem", func(c *Config) { c.CACertPEM = otherPEM }, "certificate"},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newTestClient(t, srv, func(cfg *Config) {
				quickRetries(3)(cfg)
				tt.change(cfg)
			})

			_, err := c.JobExecutions(t.Context(), "WFAQ", "job-1")
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var apiErr *Error
			if !errors.As(err, &apiErr) || apiErr.Kind != KindTransport ||
				!strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want a certificate error", err)
			}
			if apiErr.Attempts != 1 {
				t.Errorf("attempts = %d: a certificate error must not be retried", apiErr.Attempts)
			}
		})
	}
}

func TestCheckCACertPEM(t *testing.T) {
	t.Parallel()
	_, _, certPEM := tlsServer(t)

	if err := CheckCACertPEM(certPEM); err != nil {
		t.Errorf("CheckCACertPEM(a certificate) = %v", err)
	}
	for _, bad := range []string{"", "not a certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"} {
		if err := CheckCACertPEM(bad); err == nil {
			t.Errorf("CheckCACertPEM(%q) = nil, want an error", bad)
		}
	}
	if _, err := New(Config{BearerToken: "t", CACertPEM: "junk"}); err == nil {
		t.Error("New accepted junk as ca_cert_pem")
	}
}

// loopbackProxy is an HTTP proxy on loopback that answers plain HTTP requests
// itself, with the fake API, and refuses every CONNECT, so nothing it is asked
// for ever leaves the machine.
type loopbackProxy struct {
	api *fakeAPI

	mu   sync.Mutex
	seen []string
}

func (p *loopbackProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.seen = append(p.seen, r.Method+" "+r.Host)
	p.mu.Unlock()

	if r.Method == http.MethodConnect {
		http.Error(w, "this test proxy tunnels nowhere", http.StatusForbidden)
		return
	}
	p.api.ServeHTTP(w, r)
}

func (p *loopbackProxy) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()

	return append([]string(nil), p.seen...)
}

// TestProxyVariablesAreHonouredInEveryTLSConfiguration points the proxy
// variables at a proxy on loopback and the client at a name that no resolver
// knows: every request must go to the proxy.
func TestProxyVariablesAreHonouredInEveryTLSConfiguration(t *testing.T) {
	_, _, certPEM := tlsServer(t)
	proxy := &loopbackProxy{api: &fakeAPI{executions: records(1), t: t}}
	proxySrv := httptest.NewServer(proxy)
	t.Cleanup(proxySrv.Close)
	for _, name := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"} {
		t.Setenv(name, proxySrv.URL)
	}
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")

	configs := map[string]Config{
		"default":              {},
		"ca_cert_pem":          {CACertPEM: certPEM},
		"insecure_skip_verify": {InsecureSkipVerify: true},
	}
	for name, cfg := range configs {
		cfg.BearerToken, cfg.AccountAlias = testToken, "WFAQ"

		cfg.RunnerURL = "https://runner.example.test"
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		mustUseProxy(t, c, proxySrv.URL)
		_, err = c.JobExecutions(t.Context(), "WFAQ", "job-1")
		if KindOf(err) != KindTransport {
			t.Errorf("%s, https: err = %v, want the proxy's refusal", name, err)
		}

		cfg.RunnerURL, cfg.AllowInsecureHTTP = "http://runner.example.test", true
		if c, err = New(cfg); err != nil {
			t.Fatal(err)
		}
		mustUseProxy(t, c, proxySrv.URL)
		if _, err := c.JobExecutions(t.Context(), "WFAQ", "job-1"); err != nil {
			t.Errorf("%s, http through the proxy: %v", name, err)
		}
	}

	want := strings.Repeat("CONNECT runner.example.test:443\nGET runner.example.test\n", len(configs))
	if got := strings.Join(proxy.requests(), "\n") + "\n"; got != want {
		t.Errorf("the proxy saw:\n%s\nwant:\n%s", got, want)
	}
}

// mustUseProxy stops the test unless c sends its Runner calls to the proxy
// at proxyURL, so that no request is ever aimed at the made-up host itself.
func mustUseProxy(t *testing.T, c *Client, proxyURL string) {
	t.Helper()

	transport, ok := c.httpClient.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("the transport is %T", c.httpClient.Transport)
	}
	got, err := transport.Proxy(&http.Request{URL: c.runnerURL})
	if err != nil || got == nil || got.String() != proxyURL {
		t.Fatalf("requests to %s would go to proxy %v (%v), want %s", c.runnerURL, got, err, proxyURL)
	}
}

func TestRedirectToAnotherHostIsNotFollowed(t *testing.T) {
	t.Parallel()
	elsewhere := &fakeAPI{executions: records(1), t: t}
	other := httptest.NewServer(elsewhere)
	t.Cleanup(other.Close)
	f := &fakeAPI{t: t}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/authentication/login" {
			f.ServeHTTP(w, r)
			return
		}
		http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	t.Cleanup(srv.Close)
	c := newTestClient(t, srv, quickRetries(3))

	_, err := c.JobExecutions(t.Context(), "WFAQ", "job-1")

	if KindOf(err) != KindTransport || !strings.Contains(err.Error(), "redirect to another host") {
		t.Errorf("err = %v, want the redirect refused", err)
	}
	if n := len(elsewhere.runnerRequests()); n != 0 {
		t.Errorf("the other host got %d requests, want none", n)
	}
}

// recordingLogger keeps every log line as text.
type recordingLogger struct {
	mu    sync.Mutex
	lines []string
}

func (l *recordingLogger) Debug(_ context.Context, msg string, fields map[string]any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf("%s %v", msg, fields))
}

func TestLogLinesHoldNoSecret(t *testing.T) {
	t.Parallel()
	api := &expiringTokens{uses: 1, calls: map[string]int{}}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	lines := &recordingLogger{}
	c := newTestClient(t, srv, func(cfg *Config) { cfg.Logger = lines })

	for range 3 {
		if _, err := c.JobExecutions(t.Context(), "WFAQ", "job-1"); err != nil {
			t.Fatal(err)
		}
	}

	all := strings.Join(lines.lines, "\n")
	if !strings.Contains(all, "logging in again") {
		t.Fatalf("the log shows no second login:\n%s", all)
	}
	for _, secret := range []string{testPassword, "token-1", "token-2", "token-3", "Bearer"} {
		if strings.Contains(all, secret) {
			t.Errorf("the log holds %q:\n%s", secret, all)
		}
	}
}
