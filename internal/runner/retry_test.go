package runner

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// script answers the Runner calls of a test server in turn: answer n is
// used for request n, and the last one for every request after it. The login
// always succeeds with testToken.
type script struct {
	answers []func(w http.ResponseWriter, r *http.Request)

	mu       sync.Mutex
	arrivals []time.Time
	logins   atomic.Int64
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/v2/authentication/login" {
		s.logins.Add(1)
		fmt.Fprintf(w, `{"accountAlias": "WFAQ", "bearerToken": %q}`, testToken)
		return
	}

	s.mu.Lock()
	n := len(s.arrivals)
	s.arrivals = append(s.arrivals, time.Now())
	s.mu.Unlock()

	s.answers[min(n, len(s.answers)-1)](w, r)
}

func (s *script) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()

	return len(s.arrivals)
}

func (s *script) gap(i int) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()

	return s.arrivals[i+1].Sub(s.arrivals[i])
}

// status answers with code, an optional Retry-After and a JSON message.
func status(code int, retryAfter string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"message": "status %d"}`, code)
	}
}

// ok answers with one execution.
func ok(w http.ResponseWriter, _ *http.Request) {
	fmt.Fprint(w, `[{"id": "exec-1", "start": 1}]`)
}

// cutOff promises a long body, sends a part of it and closes the connection.
func cutOff(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Length", "1000")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, `[{"id": "exec-1", "sta`)
	hangUp(w)
}

// hangUp closes the connection without a word, or after what was written.
func hangUp(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	conn.Close()
}

func closeConnection(w http.ResponseWriter, _ *http.Request) { hangUp(w) }

// quickRetries makes the client wait at most a few milliseconds between
// attempts when the API sends no Retry-After.
func quickRetries(retries int) func(*Config) {
	return func(cfg *Config) {
		cfg.MaxRetries = retries
		cfg.FirstRetryWait, cfg.LongestRetryWait = time.Millisecond, 5*time.Millisecond
	}
}

func startScript(t *testing.T, answers ...func(http.ResponseWriter, *http.Request)) (*script, *httptest.Server) {
	t.Helper()
	s := &script{answers: answers}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)

	return s, srv
}

func TestTemporaryFailuresAreRetried(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		answers []func(http.ResponseWriter, *http.Request)
	}{
		{"429", []func(http.ResponseWriter, *http.Request){status(429, ""), ok}},
		{"502", []func(http.ResponseWriter, *http.Request){status(502, ""), ok}},
		{"503 twice", []func(http.ResponseWriter, *http.Request){status(503, ""), status(503, ""), ok}},
		{"504", []func(http.ResponseWriter, *http.Request){status(504, ""), ok}},
		{"429 with Retry-After 0", []func(http.ResponseWriter, *http.Request){status(429, "0"), ok}},
		{"closed connection", []func(http.ResponseWriter, *http.Request){closeConnection, ok}},
		{"answer cut off halfway", []func(http.ResponseWriter, *http.Request){cutOff, ok}},
		{
			"every kind in a row",
			[]func(http.ResponseWriter, *http.Request){status(503, ""), closeConnection, cutOff, ok},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, srv := startScript(t, tt.answers...)
			c := newTestClient(t, srv, quickRetries(4))

			got, err := c.JobExecutions(t.Context(), "WFAQ", "job-1")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].ID != "exec-1" {
				t.Errorf("executions = %+v, want exec-1", got)
			}
			if n := s.requests(); n != len(tt.answers) {
				t.Errorf("requests = %d, want %d", n, len(tt.answers))
			}
		})
	}
}

func TestFinalAnswersAreNotRetried(t *testing.T) {
	t.Parallel()

	for _, code := range []int{400, 403, 404, 405, 409, 418, 422, 500, 501} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			t.Parallel()
			s, srv := startScript(t, status(code, "0"), ok)
			c := newTestClient(t, srv, quickRetries(4))

			_, err := c.JobExecutions(t.Context(), "WFAQ", "job-1")
			var apiErr *Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != code {
				t.Fatalf("err = %v, want HTTP %d", err, code)
			}
			if n := s.requests(); n != 1 {
				t.Errorf("requests = %d, want 1", n)
			}
		})
	}
}

func TestRetriesRunOut(t *testing.T) {
	t.Parallel()
	s, srv := startScript(t, status(503, ""))
	c := newTestClient(t, srv, quickRetries(2))

	_, err := c.JobExecutions(t.Context(), "WFAQ", "job-1")

	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.Kind != KindServer || apiErr.Attempts != 3 {
		t.Fatalf("err = %#v, want KindServer after 3 attempts", err)
	}
	if !strings.Contains(err.Error(), "HTTP 503: status 503 (after 3 attempts)") {
		t.Errorf("error text = %q", err)
	}
	if n := s.requests(); n != 3 {
		t.Errorf("requests = %d, want 3", n)
	}
}

// TestLastAnswerIsReadAfterAnAnswerCutOff runs out of retries on a 503 that
// follows an answer cut off halfway: the 503's own body must be reported.
func TestLastAnswerIsReadAfterAnAnswerCutOff(t *testing.T) {
	t.Parallel()
	_, srv := startScript(t, cutOff, status(503, ""))
	c := newTestClient(t, srv, quickRetries(1))

	_, err := c.JobExecutions(t.Context(), "WFAQ", "job-1")

	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 || apiErr.Message != "status 503" {
		t.Fatalf("err = %#v, want the 503 with its message", err)
	}
}

func TestConnectionErrorsRunOut(t *testing.T) {
	t.Parallel()
	s, srv := startScript(t, closeConnection)
	c := newTestClient(t, srv, quickRetries(3))

	_, err := c.JobExecutions(t.Context(), "WFAQ", "job-1")

	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.Kind != KindTransport || apiErr.Attempts != 4 {
		t.Fatalf("err = %#v, want KindTransport after 4 attempts", err)
	}
	if n := s.requests(); n != 4 {
		t.Errorf("requests = %d, want 4", n)
	}
}

func TestRequestTimeoutBoundsEachAttempt(t *testing.T) {
	t.Parallel()
	stall := func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	s, srv := startScript(t, stall, ok)
	c := newTestClient(t, srv, func(cfg *Config) {
		quickRetries(1)(cfg)
		cfg.RequestTimeout = 100 * time.Millisecond
	})

	if _, err := c.JobExecutions(t.Context(), "WFAQ", "job-1"); err != nil {
		t.Fatal(err)
	}
	if n := s.requests(); n != 2 {
		t.Errorf("requests = %d, want 2: the stalled attempt should time out and be retried", n)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()

	date := func() string { return time.Now().Add(3 * time.Second).UTC().Format(http.TimeFormat) }
	tests := []struct {
		name       string
		retryAfter func() string
	}{
		{"seconds", func() string { return "1" }},
		{"HTTP date", date},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, srv := startScript(t,
				func(w http.ResponseWriter, r *http.Request) { status(429, tt.retryAfter())(w, r) }, ok)
			c := newTestClient(t, srv, quickRetries(1))

			if _, err := c.JobExecutions(t.Context(), "WFAQ", "job-1"); err != nil {
				t.Fatal(err)
			}
			// A lower bound only: the retry may come later, never sooner. The
			// date has whole seconds, so three seconds ahead is at least two.
			if gap := s.gap(0); gap < time.Second {
				t.Errorf("the retry came %s after the 429, before the Retry-After of 1s", gap)
			}
		})
	}
}

func TestLongRetryAfterIsNotWaitedFor(t *testing.T) {
	t.Parallel()
	s, srv := startScript(t, status(429, "3600"), ok)
	c := newTestClient(t, srv, quickRetries(4))

	_, err := c.JobExecutions(t.Context(), "WFAQ", "job-1")

	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.Kind != KindRateLimited || apiErr.RetryAfter != time.Hour {
		t.Fatalf("err = %#v, want KindRateLimited with RetryAfter 1h", err)
	}
	if n := s.requests(); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
}

func TestRetryAfterParsing(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

	tests := []struct {
		header string
		want   time.Duration
		ok     bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{" 7 ", 7 * time.Second, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{"1.5", 0, false},
		{"99999999999", 24 * time.Hour, true},
		{"Fri, 04 Dec 2026 10:00:30 GMT", 30 * time.Second, true},
		{"Friday, 04-Dec-26 10:01:00 GMT", time.Minute, true},
		{"Fri Dec  4 10:00:05 2026", 5 * time.Second, true},
		{"Fri, 04 Dec 2026 09:00:00 GMT", 0, true},
	}

	for _, tt := range tests {
		got, ok := retryAfter(tt.header, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("retryAfter(%q) = %s, %v; want %s, %v", tt.header, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBackoffGrowsWithJitterWithinBounds(t *testing.T) {
	t.Parallel()
	const first, longest = time.Second, 30 * time.Second

	for attempt := range 70 {
		ceiling := longest
		if attempt < 5 {
			ceiling = first << attempt
		}
		for range 50 {
			got := backoff(first, longest, attempt, nil)
			if got < ceiling/2 || got > ceiling {
				t.Fatalf("backoff(attempt %d) = %s, want between %s and %s", attempt, got, ceiling/2, ceiling)
			}
		}
	}

	resp := &http.Response{StatusCode: 503, Header: http.Header{"Retry-After": {"4"}}}
	if got := backoff(first, longest, 0, resp); got != 4*time.Second {
		t.Errorf("backoff with Retry-After 4 = %s, want 4s", got)
	}
}

// TestCancellationEndsABackoffWait cancels the context while the client waits
// a minute to retry, as Retry-After asked, and expects it back at once.
func TestCancellationEndsABackoffWait(t *testing.T) {
	t.Parallel()
	first := make(chan struct{})
	var once sync.Once
	_, srv := startScript(t, func(w http.ResponseWriter, r *http.Request) {
		status(503, "60")(w, r)
		once.Do(func() { close(first) })
	})
	c := newTestClient(t, srv, quickRetries(4))

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := c.JobExecutions(ctx, "WFAQ", "job-1")
		done <- err
	}()

	<-first
	time.Sleep(50 * time.Millisecond) // Let the client read the answer and start waiting.
	cancel()
	cancelled := time.Now()

	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if took := time.Since(cancelled); took > time.Second {
			t.Errorf("the read ended %s after the cancellation, want within 1s", took)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the read did not end within 10s of the cancellation")
	}
}

// expiringTokens is a login and Runner API whose tokens are each good for
// uses calls, then answer 401.
type expiringTokens struct {
	uses int

	mu       sync.Mutex
	issued   int
	calls    map[string]int
	rejected int
}

func (e *expiringTokens) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()

	if r.URL.Path == "/v2/authentication/login" {
		e.issued++
		fmt.Fprintf(w, `{"accountAlias": "WFAQ", "bearerToken": "token-%d"}`, e.issued)
		return
	}

	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if e.calls[token] >= e.uses {
		e.rejected++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	e.calls[token]++
	ok(w, r)
}

func TestExpiredTokenLeadsToOneSharedLogin(t *testing.T) {
	t.Parallel()
	const readers = 32
	api := &expiringTokens{uses: readers / 2, calls: map[string]int{}}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	c := newTestClient(t, srv, nil)

	readConcurrently(t, c, readers)
	if api.issued != 2 {
		t.Errorf("logins = %d, want 2: one at the start, one shared after the token expired", api.issued)
	}
	// Readers that start after the fresh login never see the old token, so
	// how many were refused depends on scheduling; never more than half.
	if api.rejected < 1 || api.rejected > readers/2 {
		t.Errorf("rejected calls = %d, want 1 to %d", api.rejected, readers/2)
	}
}

func TestSecondUnauthorizedIsReported(t *testing.T) {
	t.Parallel()
	api := &expiringTokens{uses: 0, calls: map[string]int{}}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	c := newTestClient(t, srv, quickRetries(4))

	_, err := c.JobExecutions(t.Context(), "WFAQ", "job-1")

	if KindOf(err) != KindTokenRejectedAfterLogin {
		t.Fatalf("err = %v, want KindTokenRejectedAfterLogin", err)
	}
	if api.issued != 2 || api.rejected != 2 {
		t.Errorf("logins = %d, rejected calls = %d; want 2 and 2", api.issued, api.rejected)
	}
	if strings.Contains(err.Error(), "token-") {
		t.Errorf("error %q holds a token", err)
	}
}

// readConcurrently reads one job from n goroutines at once and fails the test
// on any error.
func readConcurrently(t *testing.T, c *Client, n int) {
	t.Helper()

	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := c.JobExecutions(t.Context(), "WFAQ", "job-1")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)

	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
