package runner

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/http/httpproxy"
)

// ErrInsecureHTTP is the error for a plain http:// URL to a host that is not
// loopback, to which credentials and tokens are not sent unless allowed.
var ErrInsecureHTTP = errors.New("plain http:// to a host that is not loopback would send credentials " +
	"and tokens unencrypted; use https://, or allow it with allow_insecure_http")

// errRedirectRefused is the error for a redirect to another host or scheme.
var errRedirectRefused = errors.New("the API answered with a redirect to another host or scheme, " +
	"which is not followed so that credentials stay with the configured URL")

// newHTTPClient builds the default HTTP client: a clone of
// http.DefaultTransport with the TLS options of cfg and the proxy
// environment variables (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) read now.
func newHTTPClient(cfg Config) (*http.Client, error) {
	base, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return nil, errors.New("http.DefaultTransport is not an *http.Transport")
	}
	transport := base.Clone()

	// NOTE: http.ProxyFromEnvironment reads the environment once per process;
	// reading it here gives the same rules, taken when the client is made.
	proxy := httpproxy.FromEnvironment().ProxyFunc()
	transport.Proxy = func(req *http.Request) (*url.URL, error) { return proxy(req.URL) }

	if transport.TLSClientConfig == nil {
		transport.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if cfg.CACertPEM != "" {
		pool, err := certPool(cfg.CACertPEM)
		if err != nil {
			return nil, err
		}
		transport.TLSClientConfig.RootCAs = pool
	}
	transport.TLSClientConfig.InsecureSkipVerify = cfg.InsecureSkipVerify //nolint:gosec // Opt-in, warned.

	timeout := cfg.RequestTimeout
	if timeout == 0 {
		timeout = DefaultRequestTimeout
	}

	return &http.Client{Transport: transport, Timeout: timeout, CheckRedirect: sameOrigin}, nil
}

// sameOrigin follows a redirect only within the scheme and host of the
// request that was first made.
func sameOrigin(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	if req.URL.Scheme != first.Scheme || !strings.EqualFold(req.URL.Host, first.Host) {
		return errRedirectRefused
	}
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}

	return nil
}

// CheckCACertPEM reports whether pem holds at least one certificate.
func CheckCACertPEM(pem string) error {
	_, err := certPool(pem)
	return err
}

func certPool(pem string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(pem)) {
		return nil, errors.New("ca_cert_pem holds no PEM-encoded certificate " +
			"(-----BEGIN CERTIFICATE----- blocks)")
	}

	return pool, nil
}

// SendsSecretsInClear reports whether raw is a plain http:// URL to a host
// that is not loopback: 127.0.0.0/8, ::1 or localhost.
func SendsSecretsInClear(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}

	return sendsSecretsInClear(u)
}

func sendsSecretsInClear(u *url.URL) bool {
	if !strings.EqualFold(u.Scheme, "http") {
		return false
	}

	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return false
	}
	ip := net.ParseIP(host)

	return ip == nil || !ip.IsLoopback()
}
