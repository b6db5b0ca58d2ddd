// Package runner is a client for the CenturyLink Cloud Runner API: the CLC
// login and the executions of Runner jobs. It knows nothing of Terraform.
package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Defaults used when a Config field is left empty.
const (
	DefaultAPIURL           = "https://api.ctl.io"
	DefaultRunnerURL        = "https://api.runner.ctl.io"
	DefaultRequestTimeout   = 30 * time.Second
	DefaultPageSize         = 100
	DefaultMaxResponseBytes = 64 << 20
	DefaultMaxRetries       = 4
	DefaultFirstRetryWait   = time.Second
	DefaultLongestRetryWait = 30 * time.Second
)

// Config holds what a Client needs. Either BearerToken, or Username and
// Password, must be set.
type Config struct {
	APIURL    string // base of the CLC v2 API, where login lives
	RunnerURL string // base of the Runner API

	Username    string
	Password    string
	BearerToken string // when set, no login is made

	// AccountAlias overrides the account alias learned from the login answer.
	AccountAlias string

	RequestTimeout   time.Duration // bounds each HTTP request
	PageSize         int           // executions asked for per page, 1 to 100
	MaxResponseBytes int64         // larger answers are refused
	UserAgent        string

	// MaxRetries is how many times a failed attempt is repeated: after a
	// connection error, a timeout, or HTTP 429, 502, 503 or 504. 0 means none.
	MaxRetries int
	// FirstRetryWait and LongestRetryWait bound the wait before a retry when the
	// API sends no Retry-After; zero means the defaults.
	FirstRetryWait   time.Duration
	LongestRetryWait time.Duration

	// CACertPEM, when set, holds the only certificates trusted as roots.
	CACertPEM string
	// InsecureSkipVerify turns off the check of the server's certificate.
	InsecureSkipVerify bool
	// AllowInsecureHTTP lets credentials and tokens go over plain http:// to
	// a host that is not loopback.
	AllowInsecureHTTP bool

	// HTTPClient replaces the default client, which uses a clone of
	// http.DefaultTransport with the TLS options above and the proxy
	// environment variables. RequestTimeout and the TLS options are not
	// applied to a client given here.
	HTTPClient *http.Client
	// Logger receives the client's log lines; nil discards them.
	Logger Logger

	// MaxParallelRequests bounds how many pages of one read are requested at
	// once, 1 to MaxParallelRequestsLimit; 0 means DefaultMaxParallelRequests.
	MaxParallelRequests int
}

// Logger receives structured log lines. Fields never hold a secret.
type Logger interface {
	Debug(ctx context.Context, msg string, fields map[string]any)
}

type discardLogger struct{}

func (discardLogger) Debug(context.Context, string, map[string]any) {}

// Session is what a login gives.
type Session struct {
	Token        string
	AccountAlias string
}

// Client calls the CLC login and Runner APIs. It is safe for concurrent use;
// concurrent callers share one login.
type Client struct {
	apiURL    *url.URL
	runnerURL *url.URL
	username  string
	password  string
	alias     string

	httpClient       *http.Client
	retry            *retryablehttp.Client
	userAgent        string
	pageSize         int
	maxResponseBytes int64
	log              Logger

	// loginSlot lets one caller log in at a time; the others wait for its
	// session instead of logging in again.
	loginSlot chan struct{}
	// rejected keeps the login's refusal of the username and password, so
	// that they are sent only once. Read and written holding loginSlot.
	rejected error

	// fixedToken is true when the token was configured rather than issued
	// by a login, so a rejected token cannot be replaced.
	fixedToken bool

	mu      sync.Mutex
	session *Session

	maxParallel int // page requests in flight at once in one read
}

// New checks cfg and returns a Client. It makes no request.
func New(cfg Config) (*Client, error) {
	apiURL, err := parseBaseURL("api_url", cfg.APIURL, DefaultAPIURL)
	if err != nil {
		return nil, err
	}
	runnerURL, err := parseBaseURL("runner_url", cfg.RunnerURL, DefaultRunnerURL)
	if err != nil {
		return nil, err
	}
	if cfg.BearerToken == "" && (cfg.Username == "" || cfg.Password == "") {
		return nil, errors.New("either a bearer token, or a username and a password, is required")
	}
	if cfg.PageSize < 0 || cfg.PageSize > 100 {
		return nil, fmt.Errorf("page size %d is out of range: it must be from 1 to 100", cfg.PageSize)
	}
	if cfg.MaxRetries < 0 {
		return nil, fmt.Errorf("max retries %d is negative", cfg.MaxRetries)
	}
	if !cfg.AllowInsecureHTTP {
		for _, u := range []*url.URL{apiURL, runnerURL} {
			if sendsSecretsInClear(u) {
				return nil, fmt.Errorf("%s: %w", u.Redacted(), ErrInsecureHTTP)
			}
		}
	}

	c := &Client{
		apiURL:           apiURL,
		runnerURL:        runnerURL,
		username:         cfg.Username,
		password:         cfg.Password,
		alias:            cfg.AccountAlias,
		httpClient:       cfg.HTTPClient,
		userAgent:        cfg.UserAgent,
		pageSize:         cfg.PageSize,
		maxResponseBytes: cfg.MaxResponseBytes,
		log:              cfg.Logger,
		loginSlot:        make(chan struct{}, 1),
	}
	if cfg.BearerToken != "" {
		c.session = &Session{Token: cfg.BearerToken, AccountAlias: cfg.AccountAlias}
		c.fixedToken = true
	}
	if c.httpClient == nil {
		var err error
		if c.httpClient, err = newHTTPClient(cfg); err != nil {
			return nil, err
		}
	}
	c.retry = c.newRetryClient(cfg)
	if c.userAgent == "" {
		c.userAgent = "terraform-provider-clc"
	}
	if c.pageSize == 0 {
		c.pageSize = DefaultPageSize
	}
	if c.maxResponseBytes <= 0 {
		c.maxResponseBytes = DefaultMaxResponseBytes
	}
	if c.log == nil {
		c.log = discardLogger{}
	}
	if c.maxParallel, err = parallelism(cfg.MaxParallelRequests); err != nil {
		return nil, err
	}

	return c, nil
}

// CheckBaseURL reports whether raw can be the base URL of an API.
func CheckBaseURL(raw string) error {
	_, err := baseURL(raw)
	return err
}

func parseBaseURL(name, raw, fallback string) (*url.URL, error) {
	if raw == "" {
		raw = fallback
	}

	u, err := baseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}

	return u, nil
}

func baseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		if strings.Contains(raw, "@") {
			// The text may hold a password; do not repeat it.
			return nil, errors.New("it is not a valid URL")
		}
		return nil, fmt.Errorf("%q is not a valid URL", raw)
	}
	if u.User != nil {
		return nil, errors.New("a URL with user information is not accepted; use username and password")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%q must start with https:// (or http://)", raw)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%q has no host", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		// The query may hold a secret: name only what comes before it.
		return nil, fmt.Errorf("%q must not carry a query or a fragment",
			u.Scheme+"://"+u.Host+u.EscapedPath())
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")

	return u, nil
}

// AccountAlias returns the configured account alias or, failing that, the
// one the login answered with. It logs in if it must.
func (c *Client) AccountAlias(ctx context.Context) (string, error) {
	if c.alias != "" {
		return c.alias, nil
	}

	s, err := c.Session(ctx)
	if err != nil {
		return "", err
	}
	if s.AccountAlias == "" {
		message := "no account alias is configured, and a bearer token does not tell one"
		if c.username != "" {
			message = "no account alias is configured, and the login answer named none"
		}
		return "", &Error{Kind: KindMissingAccountAlias, Message: message}
	}

	return s.AccountAlias, nil
}

// Session returns the current session, logging in first when there is none.
// Concurrent callers wait for one login.
func (c *Client) Session(ctx context.Context) (Session, error) {
	if s := c.currentSession(); s != nil {
		return *s, nil
	}

	select {
	case c.loginSlot <- struct{}{}:
	case <-ctx.Done():
		return Session{}, ctx.Err()
	}
	defer func() { <-c.loginSlot }()

	if s := c.currentSession(); s != nil {
		return *s, nil
	}
	if c.rejected != nil {
		return Session{}, c.rejected
	}

	s, err := c.login(ctx)
	if KindOf(err) == KindCredentialsRejected {
		// The same username and password would be refused again; asking
		// again for every data source only risks locking the account.
		c.rejected = err
	}
	if err != nil {
		return Session{}, err
	}

	c.mu.Lock()
	c.session = &s
	c.mu.Unlock()

	return s, nil
}

func (c *Client) currentSession() *Session {
	c.mu.Lock()
	defer c.mu.Unlock()

	return c.session
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type loginResponse struct {
	UserName      string `json:"userName"`
	AccountAlias  string `json:"accountAlias"`
	LocationAlias string `json:"locationAlias"`
	BearerToken   string `json:"bearerToken"`
}

func (c *Client) login(ctx context.Context) (Session, error) {
	body, err := json.Marshal(loginRequest{Username: c.username, Password: c.password})
	if err != nil {
		return Session{}, fmt.Errorf("encoding the login request: %w", err)
	}

	u := joinURL(c.apiURL, nil, "v2", "authentication", "login")
	c.log.Debug(ctx, "Logging in to the CLC API", map[string]any{"url": u})

	resp, err := c.send(ctx, http.MethodPost, u, "", body)
	if err != nil {
		return Session{}, err
	}

	switch {
	case resp.status == http.StatusBadRequest:
		resp.err.Kind = KindCredentialsRejected
	case resp.err != nil:
		resp.err.Kind = KindLoginFailed
	}
	if resp.err != nil {
		return Session{}, resp.err
	}

	var answer loginResponse
	if err := decodeJSON(resp.body, &answer); err != nil {
		return Session{}, resp.malformed(err)
	}
	if answer.BearerToken == "" {
		return Session{}, resp.malformed(errors.New("the login answer has no bearerToken"))
	}

	c.log.Debug(ctx, "Logged in to the CLC API", map[string]any{
		"user_name": answer.UserName, "account_alias": answer.AccountAlias,
	})

	return Session{Token: answer.BearerToken, AccountAlias: answer.AccountAlias}, nil
}

// get makes an authorized GET of a Runner API URL, logging in first if there
// is no session yet. Any status other than 2xx is returned as an *Error.
//
// A 401 to a token from a login leads to one more login, shared with every
// concurrent caller that saw the same token rejected, and one more try.
func (c *Client) get(ctx context.Context, rawURL string) (*response, error) {
	session, err := c.Session(ctx)
	if err != nil {
		return nil, err
	}

	resp, err := c.send(ctx, http.MethodGet, rawURL, session.Token, nil)
	if err != nil {
		return nil, err
	}

	if resp.status == http.StatusUnauthorized && !c.fixedToken {
		c.log.Debug(ctx, "The Runner API rejected the token from the login; logging in again",
			map[string]any{"method": resp.method, "path": resp.path})
		c.forgetSession(session.Token)

		if session, err = c.Session(ctx); err != nil {
			return nil, err
		}
		if resp, err = c.send(ctx, http.MethodGet, rawURL, session.Token, nil); err != nil {
			return nil, err
		}
		if resp.status == http.StatusUnauthorized {
			resp.err.Kind = KindTokenRejectedAfterLogin
		}
	}
	if resp.err != nil {
		return nil, resp.err
	}

	return resp, nil
}

// forgetSession drops the session if it still holds token, so that the next
// call of Session logs in again. A session that a concurrent caller already
// renewed is kept.
func (c *Client) forgetSession(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()

	if c.session != nil && c.session.Token == token {
		c.session = nil
	}
}

// response is one HTTP answer, read in full.
type response struct {
	method string
	path   string
	status int
	body   []byte
	// err is set for any status other than 2xx.
	err *Error
}

func (r *response) malformed(err error) *Error {
	return &Error{Kind: KindMalformed, Method: r.method, Path: r.path, StatusCode: r.status, Err: err}
}

// send makes a request, retrying as the retry policy allows, and reads the
// whole answer. A non-2xx status is not an error of send: it comes back in
// response.err, classified.
func (c *Client) send(
	ctx context.Context, method, rawURL, token string, body []byte,
) (*response, error) {
	var rawBody any
	if body != nil {
		rawBody = body
	}

	attempts := new(int)
	req, err := retryablehttp.NewRequestWithContext(withAttempts(ctx, attempts), method, rawURL, rawBody)
	if err != nil {
		return nil, fmt.Errorf("building the request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	path := req.URL.EscapedPath()

	// The body is read inside the retry loop, so that an answer cut off
	// halfway is retried like any other broken connection.
	var data []byte
	var handled *http.Response
	req.SetResponseHandler(func(httpResp *http.Response) error {
		defer httpResp.Body.Close()
		handled = httpResp
		var readErr error
		data, readErr = c.readBody(httpResp)
		return readErr
	})

	started := time.Now()
	httpResp, err := c.retry.Do(req)
	if httpResp != nil && httpResp != handled {
		// Retries ran out on a retryable status; its body is still unread.
		defer httpResp.Body.Close()
		if err == nil {
			data, err = c.readBody(httpResp)
		}
	}
	if err != nil {
		return nil, c.sendError(ctx, method, path, httpResp, err, *attempts)
	}

	c.log.Debug(ctx, "Received an API answer", map[string]any{
		"method": method, "path": path, "status": httpResp.StatusCode, "attempts": *attempts,
		"bytes": len(data), "duration_ms": time.Since(started).Milliseconds(),
	})

	r := &response{method: method, path: path, status: httpResp.StatusCode, body: data}
	if httpResp.StatusCode < 200 || httpResp.StatusCode > 299 {
		r.err = &Error{
			Kind:       kindOfStatus(httpResp.StatusCode),
			Method:     method,
			Path:       path,
			StatusCode: httpResp.StatusCode,
			Message:    redact(errorMessage(data), c.password, token),
			Attempts:   *attempts,
		}
		if wait, ok := retryAfter(httpResp.Header.Get("Retry-After"), time.Now()); ok && retryable(httpResp) {
			r.err.RetryAfter = wait
		}
	}

	return r, nil
}

// readBody reads a whole answer, refusing one larger than the limit before
// more than the limit is read.
func (c *Client) readBody(httpResp *http.Response) ([]byte, error) {
	if httpResp.ContentLength > c.maxResponseBytes {
		return nil, &tooLargeError{limit: c.maxResponseBytes}
	}

	data, err := io.ReadAll(io.LimitReader(httpResp.Body, c.maxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	if int64(len(data)) > c.maxResponseBytes {
		return nil, &tooLargeError{limit: c.maxResponseBytes}
	}

	return data, nil
}

// sendError classifies an error of the retry loop: the caller's context
// ending, an answer over the size limit, or a failed connection.
func (c *Client) sendError(
	ctx context.Context, method, path string, httpResp *http.Response, err error, attempts int,
) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}

	e := &Error{Kind: KindTransport, Method: method, Path: path, Err: stripURL(err), Attempts: attempts}
	if httpResp != nil {
		e.StatusCode = httpResp.StatusCode
	}
	var tooLarge *tooLargeError
	if errors.As(err, &tooLarge) {
		e.Kind = KindTooLarge
	}

	return e
}

func kindOfStatus(status int) Kind {
	switch {
	case status == http.StatusBadRequest:
		return KindBadRequest
	case status == http.StatusUnauthorized:
		return KindTokenRejected
	case status == http.StatusForbidden:
		return KindForbidden
	case status == http.StatusNotFound:
		return KindNotFound
	case status == http.StatusTooManyRequests:
		return KindRateLimited
	case status >= 500 && status <= 599:
		return KindServer
	default:
		return KindUnexpectedStatus
	}
}

// stripURL drops the URL from a *url.Error: the caller's Error already names
// the method and path, and a URL may carry a query.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}

	return err
}

// errorMessage reads the message out of an error body in any of the forms
// CLC services use: {"message"}, {"error"}, {"modelState"}, or [{"message"}].
func errorMessage(body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return ""
	}

	var object struct {
		Message    string              `json:"message"`
		Error      string              `json:"error"`
		ModelState map[string][]string `json:"modelState"`
	}
	if json.Unmarshal(body, &object) == nil {
		parts := []string{}
		for _, s := range []string{object.Message, object.Error} {
			if s != "" {
				parts = append(parts, s)
			}
		}
		fields := slices.Sorted(maps.Keys(object.ModelState))
		for _, field := range fields {
			parts = append(parts, field+": "+strings.Join(object.ModelState[field], "; "))
		}
		return sanitizeMessage(strings.Join(parts, "; "))
	}

	var list []struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &list) == nil {
		parts := []string{}
		for _, item := range list {
			if item.Message != "" {
				parts = append(parts, item.Message)
			}
		}
		return sanitizeMessage(strings.Join(parts, "; "))
	}

	if body[0] == '<' {
		return "the answer is an HTML page, not JSON"
	}

	return sanitizeMessage(string(body))
}

// redact hides secrets that an API echoed back in its message.
func redact(message string, secrets ...string) string {
	for _, secret := range secrets {
		if secret != "" {
			message = strings.ReplaceAll(message, secret, "(redacted)")
		}
	}

	return message
}

// joinURL appends path segments to base, escaping each one so that no value
// can add a segment of its own or climb out of the path.
func joinURL(base *url.URL, query url.Values, segments ...string) string {
	var b strings.Builder

	b.WriteString(base.Scheme)
	b.WriteString("://")
	b.WriteString(base.Host)
	b.WriteString(base.EscapedPath())
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	if len(query) > 0 {
		b.WriteByte('?')
		b.WriteString(query.Encode())
	}

	return b.String()
}
