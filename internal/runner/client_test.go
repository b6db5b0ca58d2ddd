package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeAPI is a small stand-in for the login and Runner APIs, separate from
// the emulator so that the client's tests pin the wire format themselves.
type fakeAPI struct {
	t *testing.T

	logins   atomic.Int64
	mu       sync.Mutex
	requests []string // method, escaped path and query of each Runner call

	// executions, in order; served as a bare array unless pageCap > 0.
	executions []map[string]any
	// pageCap > 0 serves the paged envelope, with size capped at pageCap.
	pageCap int
	// runnerStatus, when set, answers every Runner call with it and body.
	runnerStatus int
	body         string
}

const (
	testUser     = "alice"
	testPassword = "s3cret-password"
	testToken    = "token-0123456789"
)

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")

	if r.URL.Path == "/v2/authentication/login" {
		f.logins.Add(1)
		var creds loginRequest
		if err := json.NewDecoder(r.Body).Decode(&creds); err != nil ||
			creds.Username != testUser || creds.Password != testPassword {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"message": "We didn't recognize the username or password you entered."}`)
			return
		}
		fmt.Fprintf(w, `{"userName": %q, "accountAlias": "WFAQ", "locationAlias": "WA1",
			"roles": ["AccountAdmin"], "bearerToken": %q}`, testUser, testToken)
		return
	}

	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.EscapedPath()+"?"+r.URL.RawQuery)
	f.mu.Unlock()

	if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"message": "Authorization has been denied for this request."}`)
		return
	}
	if f.runnerStatus != 0 {
		w.WriteHeader(f.runnerStatus)
		fmt.Fprint(w, f.body)
		return
	}
	if f.pageCap == 0 {
		if err := json.NewEncoder(w).Encode(f.executions); err != nil {
			f.t.Error(err)
		}
		return
	}

	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	size, _ := strconv.Atoi(r.URL.Query().Get("size"))
	size = min(size, f.pageCap)
	from, to := min(page*size, len(f.executions)), min((page+1)*size, len(f.executions))
	err := json.NewEncoder(w).Encode(map[string]any{
		"totalSize": len(f.executions), "page": page, "size": size, "results": f.executions[from:to],
	})
	if err != nil {
		f.t.Error(err)
	}
}

func (f *fakeAPI) runnerRequests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()

	return append([]string(nil), f.requests...)
}

func startFake(t *testing.T, f *fakeAPI) *httptest.Server {
	t.Helper()
	f.t = t
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)

	return srv
}

func newTestClient(t *testing.T, srv *httptest.Server, change func(*Config)) *Client {
	t.Helper()
	cfg := Config{APIURL: srv.URL, RunnerURL: srv.URL, Username: testUser, Password: testPassword}
	if change != nil {
		change(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}

	return c
}

func records(n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{
			"id": fmt.Sprintf("exec-%02d", i), "start": 1000 + i, "end": 2000 + i,
			"exit_status": "SUCCESS", "result": map[string]any{"localhost": map[string]int{"ok": i}},
		}
	}

	return out
}

func ids(executions []Execution) []string {
	out := make([]string, len(executions))
	for i, e := range executions {
		out[i] = e.ID
	}

	return out
}

func TestJobExecutionsBareArray(t *testing.T) {
	t.Parallel()
	f := &fakeAPI{executions: records(3)}
	srv := startFake(t, f)
	c := newTestClient(t, srv, nil)

	got, err := c.JobExecutions(t.Context(), "WFAQ", "job-1")
	if err != nil {
		t.Fatal(err)
	}

	if want := "exec-02 exec-01 exec-00"; strings.Join(ids(got), " ") != want {
		t.Errorf("order = %v, want %s", ids(got), want)
	}
	if got[0].JobID != "job-1" || got[0].AccountAlias != "WFAQ" {
		t.Errorf("job id and alias not filled from the request: %+v", got[0])
	}
	if want := []string{"GET /jobs/WFAQ/job-1/executions?page=0&size=100"}; !equal(f.runnerRequests(), want) {
		t.Errorf("requests = %v, want %v", f.runnerRequests(), want)
	}
}

func TestJobExecutionsPaging(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name         string
		pageSize     int
		pageCap      int
		records      int
		wantRequests []string
	}{
		{
			name: "three pages of two", pageSize: 2, pageCap: 100, records: 5,
			wantRequests: []string{"page=0&size=2", "page=1&size=2", "page=2&size=2"},
		},
		{
			name: "server caps the page size", pageSize: 100, pageCap: 2, records: 4,
			wantRequests: []string{"page=0&size=100", "page=1&size=2"},
		},
		{
			name: "exactly one full page", pageSize: 3, pageCap: 3, records: 3,
			wantRequests: []string{"page=0&size=3"},
		},
		{
			name: "no executions", pageSize: 3, pageCap: 3, records: 0,
			wantRequests: []string{"page=0&size=3"},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeAPI{executions: records(tt.records), pageCap: tt.pageCap}
			srv := startFake(t, f)
			c := newTestClient(t, srv, func(cfg *Config) { cfg.PageSize = tt.pageSize })

			got, err := c.JobExecutions(t.Context(), "WFAQ", "job-1")
			if err != nil {
				t.Fatal(err)
			}

			if len(got) != tt.records {
				t.Errorf("got %d executions, want %d", len(got), tt.records)
			}
			for i := 1; i < len(got); i++ {
				if got[i-1].Start.Millis < got[i].Start.Millis {
					t.Errorf("not newest first: %v", ids(got))
				}
			}
			var queries []string
			for _, r := range f.runnerRequests() {
				queries = append(queries, r[strings.Index(r, "?")+1:])
			}
			slices.Sort(queries) // The pages after the first are asked for at once.
			if !equal(queries, tt.wantRequests) {
				t.Errorf("queries = %v, want %v", queries, tt.wantRequests)
			}
		})
	}
}

func TestJobExecutionsMergesDuplicatesAcrossPages(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/authentication/login" {
			fmt.Fprintf(w, `{"accountAlias": "WFAQ", "bearerToken": %q}`, testToken)
			return
		}
		// A new execution arrived between the two requests and pushed "b"
		// onto page 1, where it is seen again, finished by now.
		if r.URL.Query().Get("page") == "0" {
			fmt.Fprint(w, `{"totalSize": 3, "page": 0, "size": 2, "results": [
				{"id": "a", "start": 3}, {"id": "b", "start": 2, "exit_status": "RUNNING"}]}`)
			return
		}
		fmt.Fprint(w, `{"totalSize": 4, "page": 1, "size": 2, "results": [
			{"id": "b", "start": 2, "exit_status": "SUCCESS"}, {"id": "c", "start": 1}]}`)
	}))
	t.Cleanup(srv.Close)
	c := newTestClient(t, srv, func(cfg *Config) { cfg.PageSize = 2 })

	got, err := c.JobExecutions(t.Context(), "WFAQ", "job-1")
	if err != nil {
		t.Fatal(err)
	}

	if strings.Join(ids(got), " ") != "a b c" {
		t.Fatalf("ids = %v, want [a b c]", ids(got))
	}
	if got[1].ExitStatus != "SUCCESS" {
		t.Errorf("the later copy of a record should win, got status %q", got[0].ExitStatus)
	}
}

func TestConcurrentReadersShareOneLogin(t *testing.T) {
	t.Parallel()
	f := &fakeAPI{executions: records(1)}
	srv := startFake(t, f)
	c := newTestClient(t, srv, nil)

	readConcurrently(t, c, 32)
	if n := f.logins.Load(); n != 1 {
		t.Errorf("logins = %d, want 1", n)
	}
}

func TestBearerTokenSkipsLogin(t *testing.T) {
	t.Parallel()
	f := &fakeAPI{executions: records(1)}
	srv := startFake(t, f)
	c := newTestClient(t, srv, func(cfg *Config) {
		cfg.Username, cfg.Password, cfg.BearerToken, cfg.AccountAlias = "", "", testToken, "WFAQ"
	})

	if _, err := c.JobExecutions(t.Context(), "WFAQ", "job-1"); err != nil {
		t.Fatal(err)
	}
	if n := f.logins.Load(); n != 0 {
		t.Errorf("logins = %d, want 0", n)
	}
}

func TestAccountAlias(t *testing.T) {
	t.Parallel()
	f := &fakeAPI{}
	srv := startFake(t, f)

	fromLogin, err := newTestClient(t, srv, nil).AccountAlias(t.Context())
	if err != nil || fromLogin != "WFAQ" {
		t.Errorf("alias from login = %q, %v; want WFAQ", fromLogin, err)
	}

	configured, err := newTestClient(t, srv, func(cfg *Config) { cfg.AccountAlias = "ABCD" }).
		AccountAlias(t.Context())
	if err != nil || configured != "ABCD" {
		t.Errorf("configured alias = %q, %v; want ABCD", configured, err)
	}

	_, err = newTestClient(t, srv, func(cfg *Config) {
		cfg.Username, cfg.Password, cfg.BearerToken = "", "", testToken
	}).AccountAlias(t.Context())
	if KindOf(err) != KindMissingAccountAlias {
		t.Errorf("bearer token without alias: err = %v, want KindMissingAccountAlias", err)
	}
	if n := f.logins.Load(); n != 1 {
		t.Errorf("logins = %d, want 1 (only the first client logs in)", n)
	}
}

func TestErrorsAreClassified(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name        string
		password    string
		status      int
		body        string
		wantKind    Kind
		wantMessage string
	}{
		{"bad credentials", "wrong", 0, "", KindCredentialsRejected, "didn't recognize the username"},
		{"400", testPassword, 400, `{"message": "size must be at most 100"}`, KindBadRequest, "size must"},
		{"403", testPassword, 403, `{"message": "no access"}`, KindForbidden, "no access"},
		{"404", testPassword, 404, `{"message": "Job job-1 not found"}`, KindNotFound, "not found"},
		{"500", testPassword, 500, `{"error": "boom"}`, KindServer, "boom"},
		{"503 HTML", testPassword, 503, `<html>down</html>`, KindServer, "HTML page"},
		{"418", testPassword, 418, ``, KindUnexpectedStatus, ""},
		{"429", testPassword, 429, `{"message": "slow down"}`, KindRateLimited, "slow down"},
		{"200 HTML", testPassword, 200, `<!DOCTYPE html><html></html>`, KindMalformed, ""},
		{"200 truncated", testPassword, 200, `[{"id": "a", "sta`, KindMalformed, ""},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeAPI{runnerStatus: tt.status, body: tt.body}
			srv := startFake(t, f)
			c := newTestClient(t, srv, func(cfg *Config) { cfg.Password = tt.password })

			_, err := c.JobExecutions(t.Context(), "WFAQ", "job-1")

			var apiErr *Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if apiErr.Kind != tt.wantKind {
				t.Errorf("kind = %d, want %d (%v)", apiErr.Kind, tt.wantKind, err)
			}
			if !strings.Contains(apiErr.Message, tt.wantMessage) {
				t.Errorf("message = %q, want it to contain %q", apiErr.Message, tt.wantMessage)
			}
			for _, secret := range []string{testPassword, testToken, "wrong"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains the secret %q", err, secret)
				}
			}
		})
	}
}

func TestTokenRejected(t *testing.T) {
	t.Parallel()
	f := &fakeAPI{}
	srv := startFake(t, f)
	c := newTestClient(t, srv, func(cfg *Config) {
		cfg.Username, cfg.Password, cfg.BearerToken, cfg.AccountAlias = "", "", "expired-token", "WFAQ"
	})

	_, err := c.JobExecutions(t.Context(), "WFAQ", "job-1")
	if KindOf(err) != KindTokenRejected {
		t.Fatalf("err = %v, want KindTokenRejected", err)
	}
	if n := f.logins.Load(); n != 0 {
		t.Errorf("logins = %d: a configured token must not be replaced by a login", n)
	}
	if strings.Contains(err.Error(), "expired-token") {
		t.Errorf("error %q contains the token", err)
	}
}

func TestPathSegmentsAreEscaped(t *testing.T) {
	t.Parallel()
	f := &fakeAPI{executions: records(0)}
	srv := startFake(t, f)
	c := newTestClient(t, srv, func(cfg *Config) { cfg.RunnerURL = srv.URL + "/runner/" })

	if _, err := c.JobExecutions(t.Context(), "WF AQ", "..?page=9#%2F"); err != nil {
		t.Fatal(err)
	}
	want := "GET /runner/jobs/WF%20AQ/..%3Fpage=9%23%252F/executions?page=0&size=100"
	if got := f.runnerRequests(); len(got) != 1 || got[0] != want {
		t.Errorf("requests = %v, want [%s]", got, want)
	}

	for _, bad := range []string{"..", ".", "", "../v2/authentication/login"} {
		if _, err := c.JobExecutions(t.Context(), "WFAQ", bad); err == nil {
			t.Errorf("job id %q was accepted", bad)
		}
	}
	if n := len(f.runnerRequests()); n != 1 {
		t.Errorf("a rejected job id reached the server: %d requests", n)
	}
}

func TestResponseSizeLimit(t *testing.T) {
	t.Parallel()
	f := &fakeAPI{executions: records(50)}
	srv := startFake(t, f)
	c := newTestClient(t, srv, func(cfg *Config) { cfg.MaxResponseBytes = 1024 })

	_, err := c.JobExecutions(t.Context(), "WFAQ", "job-1")
	if KindOf(err) != KindTooLarge || !strings.Contains(err.Error(), "larger than the limit of 1024 bytes") {
		t.Errorf("err = %v, want the size limit refused", err)
	}
}

func TestTransportErrorAndCancellation(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	closedURL := srv.URL
	srv.Close()

	c, err := New(Config{APIURL: closedURL, RunnerURL: closedURL, Username: testUser, Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.JobExecutions(t.Context(), "WFAQ", "job-1")
	if KindOf(err) != KindTransport {
		t.Errorf("err = %v, want KindTransport", err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = c.JobExecutions(ctx, "WFAQ", "job-1")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no credentials", Config{}, "bearer token, or a username and a password"},
		{"password only", Config{Password: "p"}, "bearer token, or a username and a password"},
		{"bad scheme", Config{BearerToken: "t", RunnerURL: "ftp://x"}, "must start with https://"},
		{"no host", Config{BearerToken: "t", APIURL: "https://"}, "has no host"},
		{"query", Config{BearerToken: "t", APIURL: "https://x/?a=b"}, "query"},
		{"user info", Config{BearerToken: "t", APIURL: "https://u:pw@x"}, "user information"},
		{"page size", Config{BearerToken: "t", PageSize: 101}, "page size 101"},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: err = %v, want it to contain %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "pw") {
				t.Errorf("New: err = %v repeats a password", err)
			}
		})
	}
}

func equal(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n")
}

func TestRejectedCredentialsAreSentOnce(t *testing.T) {
	t.Parallel()
	f := &fakeAPI{executions: records(1)}
	srv := startFake(t, f)
	c := newTestClient(t, srv, func(cfg *Config) { cfg.Password = "wrong" })

	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := c.JobExecutions(t.Context(), "WFAQ", "job-1"); KindOf(err) != KindCredentialsRejected {
				t.Errorf("err = %v, want KindCredentialsRejected", err)
			}
		})
	}
	wg.Wait()

	if n := f.logins.Load(); n != 1 {
		t.Errorf("logins = %d, want 1: refused credentials must not be sent again", n)
	}
}

func TestLoginFailuresNameTheLogin(t *testing.T) {
	t.Parallel()

	for _, status := range []int{401, 403, 404, 500} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(status)
			}))
			t.Cleanup(srv.Close)
			c := newTestClient(t, srv, nil)

			_, err := c.JobExecutions(t.Context(), "WFAQ", "job-1")

			var apiErr *Error
			if !errors.As(err, &apiErr) || apiErr.Kind != KindLoginFailed ||
				apiErr.Path != "/v2/authentication/login" || apiErr.StatusCode != status {
				t.Errorf("err = %#v, want KindLoginFailed on the login path with HTTP %d", err, status)
			}
		})
	}
}

func TestEchoedSecretsAreRedacted(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		if r.URL.Path == "/v2/authentication/login" {
			fmt.Fprintf(w, `{"message": "password %s is wrong"}`, testPassword)
			return
		}
		fmt.Fprintf(w, `{"message": "token %s is bad"}`, testToken)
	}))
	t.Cleanup(srv.Close)

	_, err := newTestClient(t, srv, nil).JobExecutions(t.Context(), "WFAQ", "job-1")
	if err == nil || strings.Contains(err.Error(), testPassword) || !strings.Contains(err.Error(), "(redacted)") {
		t.Errorf("login error = %v, want the echoed password redacted", err)
	}

	_, err = newTestClient(t, srv, func(cfg *Config) {
		cfg.Username, cfg.Password, cfg.BearerToken = "", "", testToken
	}).JobExecutions(t.Context(), "WFAQ", "job-1")
	if err == nil || strings.Contains(err.Error(), testToken) || !strings.Contains(err.Error(), "(redacted)") {
		t.Errorf("runner error = %v, want the echoed token redacted", err)
	}
}
