package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Default credentials and account, used when Config leaves them empty.
const (
	DefaultUsername     = "demo"
	DefaultPassword     = "demo-password"
	DefaultAccountAlias = "WFAQ"
)

// Forms in which the executions of a job can be served.
const (
	// FormArray serves the executions as a bare JSON array, as the 2015 page shows.
	FormArray = "array"
	// FormPaged serves the executions in a paged envelope with totalSize,
	// page, size and results.
	FormPaged = "paged"
)

// LoginPath is the path of the CLC login call the emulator answers.
const LoginPath = "/v2/authentication/login"

// shutdownTimeout bounds how long Close waits for requests in flight.
const shutdownTimeout = 2 * time.Second

// Job is one job and its executions, as the emulator serves them.
type Job struct {
	// AccountAlias is the account the job belongs to.
	AccountAlias string `json:"account_alias"`
	// ID is the job id used in the URL path.
	ID string `json:"job_id"`
	// Form is FormArray or FormPaged.
	Form string `json:"form"`
	// Executions are served as they are, in this order.
	Executions []json.RawMessage `json:"executions"`
}

// Config holds the accepted credentials and the data served.
type Config struct {
	// Username is the accepted login user; DefaultUsername when empty.
	Username string
	// Password is the accepted login password; DefaultPassword when empty.
	Password string
	// AccountAlias is the accountAlias returned by login; DefaultAccountAlias when empty.
	AccountAlias string
	// Jobs are the jobs served; nil means the embedded fixtures (see Fixtures).
	Jobs []Job
	// OnRequest, when set, is called once for every request after it is
	// recorded. It must be safe for concurrent use.
	OnRequest func(Request)
	// Faults script misbehaviours for the requests they match; the first
	// fault that applies to a request wins (see Fault).
	Faults []Fault
	// TokenUses, when above 0, makes every issued token good for that many
	// Runner API calls; later calls with it are answered 401.
	TokenUses int
	// Latency, when above zero, delays the answer to every request by this
	// long, as a distant API would; requests wait in parallel, not in turn.
	// A request whose client goes away stops waiting.
	Latency time.Duration
}

// Request is one request the emulator received, as it recorded it.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Path is r.URL.EscapedPath(), exactly as received.
	Path string
	// RawQuery is the query string without the question mark.
	RawQuery string
	// Authorized tells whether the request carried a currently valid bearer token.
	Authorized bool
	// Status is the HTTP status the emulator answered.
	Status int
}

// jobKey identifies a job by account alias and job id, both unescaped.
type jobKey struct {
	alias string
	id    string
}

// Server is a running or not yet started emulator. Create it with New.
type Server struct {
	username     string
	password     string
	accountAlias string
	onRequest    func(Request)
	faults       *faultScript
	latency      time.Duration

	mu       sync.Mutex
	jobs     map[jobKey]Job
	tokens   map[string]struct{}
	requests []Request
	http     *http.Server
	listener net.Listener
	served   chan struct{}
	closed   bool

	// transitions are the status changes not yet made, in the order given.
	transitions []transition
}

// New checks cfg and returns a server that is ready to Start or to serve
// through Handler. It fails on a job with an unknown form, a missing account
// alias or job id, a "/" in either, an execution that is not valid JSON, or
// two jobs with the same account alias and job id.
func New(cfg Config) (*Server, error) {
	s := &Server{
		username:     valueOr(cfg.Username, DefaultUsername),
		password:     valueOr(cfg.Password, DefaultPassword),
		accountAlias: valueOr(cfg.AccountAlias, DefaultAccountAlias),
		onRequest:    cfg.OnRequest,
		faults:       newFaultScript(cfg),
		latency:      cfg.Latency,
		jobs:         make(map[jobKey]Job),
		tokens:       make(map[string]struct{}),
	}

	jobs := cfg.Jobs
	if jobs == nil {
		var err error
		if jobs, err = Fixtures(); err != nil {
			return nil, err
		}
	}

	for _, job := range jobs {
		stored, err := prepareJob(job)
		if err != nil {
			return nil, err
		}
		key := jobKey{alias: job.AccountAlias, id: job.ID}
		if _, dup := s.jobs[key]; dup {
			return nil, fmt.Errorf("job %q in account %q is configured more than once",
				job.ID, job.AccountAlias)
		}
		s.jobs[key] = stored
	}

	return s, nil
}

// PutJob adds job, or replaces the job with the same account alias and id,
// while the server runs. It fails on the same problems as New.
func (s *Server) PutJob(job Job) error {
	stored, err := prepareJob(job)
	if err != nil {
		return err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.jobs[jobKey{alias: job.AccountAlias, id: job.ID}] = stored

	return nil
}

// prepareJob validates job and returns a private copy with every execution
// compacted, so later changes to the caller's slices cannot reach the server.
func prepareJob(job Job) (Job, error) {
	if job.AccountAlias == "" {
		return Job{}, fmt.Errorf("job %q has no account alias", job.ID)
	}
	if job.ID == "" {
		return Job{}, fmt.Errorf("a job in account %q has no job id", job.AccountAlias)
	}
	if strings.Contains(job.AccountAlias, "/") || strings.Contains(job.ID, "/") {
		return Job{}, fmt.Errorf("job %q in account %q has a \"/\" in its alias or id, "+
			"which no request path can match", job.ID, job.AccountAlias)
	}
	if job.Form != FormArray && job.Form != FormPaged {
		return Job{}, fmt.Errorf("job %q in account %q has unknown form %q; use %q or %q",
			job.ID, job.AccountAlias, job.Form, FormArray, FormPaged)
	}

	executions := make([]json.RawMessage, 0, len(job.Executions))
	for i, execution := range job.Executions {
		var buf bytes.Buffer
		if err := json.Compact(&buf, execution); err != nil {
			return Job{}, fmt.Errorf("execution %d of job %q in account %q is not valid JSON: %w",
				i, job.ID, job.AccountAlias, err)
		}
		executions = append(executions, buf.Bytes())
	}
	job.Executions = executions

	return job, nil
}

// Start listens on addr and serves in the background until Close. The host
// in addr must be a loopback address or "localhost" ("127.0.0.1:0",
// "[::1]:0", "localhost:8080"); any other address is refused. A server can
// be started only once.
func (s *Server) Start(addr string) error {
	listenAddr, err := loopbackAddr(addr)
	if err != nil {
		return err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.http != nil || s.closed {
		return errors.New("the emulator was already started")
	}

	var lc net.ListenConfig
	listener, err := lc.Listen(context.Background(), "tcp", listenAddr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", listenAddr, err)
	}

	s.listener = listener
	s.served = make(chan struct{})
	s.http = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func(srv *http.Server, done chan<- struct{}) {
		defer close(done)
		_ = srv.Serve(listener) // Always ErrServerClosed after Close.
	}(s.http, s.served)

	return nil
}

// loopbackAddr checks that addr names a loopback host and returns the address
// to listen on, with "localhost" replaced by 127.0.0.1 so that name
// resolution can never widen it.
func loopbackAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("listen address %q is not host:port: %w", addr, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("listen address %q has an invalid port %q", addr, port)
	}

	if strings.EqualFold(host, "localhost") {
		return net.JoinHostPort("127.0.0.1", port), nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("listen address %q is not a loopback address; "+
			"use 127.0.0.1, [::1] or localhost", addr)
	}

	return net.JoinHostPort(ip.String(), port), nil
}

// URL returns the base URL of a started server, such as
// "http://127.0.0.1:41234", or "" before Start.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener == nil {
		return ""
	}

	return "http://" + s.listener.Addr().String()
}

// Close stops a started server, waiting a few seconds for requests in flight.
// Connections still open then are closed: an HTTP client may have opened a
// connection it never sent a request on, which Shutdown would wait for.
// Closing a server that was never started, or closing it twice, does nothing.
func (s *Server) Close() error {
	s.mu.Lock()
	srv, served := s.http, s.served
	already := s.closed
	s.closed = true
	s.mu.Unlock()

	if srv == nil || already {
		return nil
	}

	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	<-served

	return err
}

// Requests returns a copy of every request recorded so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()

	return append([]Request(nil), s.requests...)
}

// Count returns how many recorded requests had this method and escaped path.
// The query string is not compared.
func (s *Server) Count(method, path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()

	n := 0
	for _, r := range s.requests {
		if r.Method == method && r.Path == path {
			n++
		}
	}

	return n
}

// Logins returns how many POST requests to LoginPath were recorded, whether
// they succeeded or not.
func (s *Server) Logins() int {
	return s.Count(http.MethodPost, LoginPath)
}

// ResetRequests forgets every recorded request. Issued tokens stay valid.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// record appends r to the request log and passes it to OnRequest.
func (s *Server) record(r Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r)
	s.mu.Unlock()

	if s.onRequest != nil {
		s.onRequest(r)
	}
}

// valueOr returns value, or fallback when value is empty.
func valueOr(value, fallback string) string {
	if value == "" {
		return fallback
	}

	return value
}
