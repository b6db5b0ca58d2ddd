package emulator

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNewRejectsBadJobs(t *testing.T) {
	valid := func() Job {
		return Job{AccountAlias: "WFAQ", ID: "job", Form: FormArray,
			Executions: []json.RawMessage{json.RawMessage(`{"id":"e1"}`)}}
	}

	tests := []struct {
		name    string
		change  func(*Job)
		wantErr string
	}{
		{"unknown form", func(j *Job) { j.Form = "list" }, `unknown form "list"`},
		{"empty form", func(j *Job) { j.Form = "" }, `unknown form ""`},
		{"form in upper case", func(j *Job) { j.Form = "ARRAY" }, `unknown form "ARRAY"`},
		{"no account alias", func(j *Job) { j.AccountAlias = "" }, "has no account alias"},
		{"no job id", func(j *Job) { j.ID = "" }, "has no job id"},
		{"slash in job id", func(j *Job) { j.ID = "a/b" }, `has a "/" in its alias or id`},
		{"slash in alias", func(j *Job) { j.AccountAlias = "W/A" }, `has a "/" in its alias or id`},
		{
			"execution not JSON",
			func(j *Job) { j.Executions = append(j.Executions, json.RawMessage(`{"id":`)) },
			"execution 1 of job \"job\" in account \"WFAQ\" is not valid JSON",
		},
		{
			"nil execution",
			func(j *Job) { j.Executions = append(j.Executions, nil) },
			"execution 1 of job",
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := valid()
			tt.change(&job)

			_, err := New(Config{Jobs: []Job{job}})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New error %v, want one containing %q", err, tt.wantErr)
			}

			s, err := New(Config{Jobs: []Job{}})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.PutJob(job); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("PutJob error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}

	t.Run("duplicate alias and job id", func(t *testing.T) {
		other := valid()
		other.Form = FormPaged
		_, err := New(Config{Jobs: []Job{valid(), other}})
		if err == nil || !strings.Contains(err.Error(), "configured more than once") {
			t.Errorf("New error %v, want a duplicate error", err)
		}
	})

	t.Run("same job id in two accounts", func(t *testing.T) {
		other := valid()
		other.AccountAlias = "ACME"
		if _, err := New(Config{Jobs: []Job{valid(), other}}); err != nil {
			t.Errorf("New error %v, want none", err)
		}
	})
}

func TestConfigJobs(t *testing.T) {
	t.Run("nil serves the fixtures", func(t *testing.T) {
		s := StartForTest(t, Config{})
		r := send(t, http.MethodGet, s.URL()+executionsPath("WFAQ", apiPageJobID), login(t, s), "")
		if r.status != http.StatusOK {
			t.Errorf("Status %d, want 200", r.status)
		}
	})

	t.Run("empty serves no job", func(t *testing.T) {
		s := StartForTest(t, Config{Jobs: []Job{}})
		r := send(t, http.MethodGet, s.URL()+executionsPath("WFAQ", apiPageJobID), login(t, s), "")
		if r.status != http.StatusNotFound {
			t.Errorf("Status %d, want 404", r.status)
		}
	})

	t.Run("later changes by the caller do not reach the server", func(t *testing.T) {
		execution := []byte(`{"id":"before"}`)
		jobs := []Job{{AccountAlias: "WFAQ", ID: "j", Form: FormArray,
			Executions: []json.RawMessage{execution}}}
		s := StartForTest(t, Config{Jobs: jobs})
		copy(execution, `{"id":"after!"}`)
		jobs[0].Form = FormPaged

		r := send(t, http.MethodGet, s.URL()+executionsPath("WFAQ", "j"), login(t, s), "")
		if string(r.body) != `[{"id":"before"}]` {
			t.Errorf("Served %s", r.body)
		}
	})
}

func TestPutJobReplaces(t *testing.T) {
	s := StartForTest(t, Config{})
	token := login(t, s)
	path := s.URL() + executionsPath("WFAQ", apiPageJobID)

	replacement := GenerateJob("WFAQ", apiPageJobID, 3, 1, FormPaged)
	if err := s.PutJob(replacement); err != nil {
		t.Fatal(err)
	}
	r := send(t, http.MethodGet, path, token, "")
	if !strings.HasPrefix(string(r.body), `{"totalSize":3,`) {
		t.Errorf("After PutJob served %s", r.body)
	}

	added := GenerateJob("ACME", "new-job", 1, 1, FormArray)
	if err := s.PutJob(added); err != nil {
		t.Fatal(err)
	}
	r = send(t, http.MethodGet, s.URL()+executionsPath("ACME", "new-job"), token, "")
	if r.status != http.StatusOK || !strings.HasPrefix(string(r.body), `[{"id":`) {
		t.Errorf("Added job answered %d %s", r.status, r.body)
	}
}

func TestRecording(t *testing.T) {
	s := StartForTest(t, Config{Password: "hunter2-secret"})
	execPath := executionsPath("WFAQ", apiPageJobID)

	bad := send(t, http.MethodPost, s.URL()+LoginPath, "",
		`{"username":"demo","password":"wrong-secret"}`)
	good := send(t, http.MethodPost, s.URL()+LoginPath, "",
		`{"username":"demo","password":"hunter2-secret"}`)
	var answer struct {
		BearerToken string `json:"bearerToken"`
	}
	if err := json.Unmarshal(good.body, &answer); err != nil || bad.status != 400 {
		t.Fatalf("Logins answered %d and %s", bad.status, good.body)
	}
	token := answer.BearerToken
	send(t, http.MethodGet, s.URL()+execPath, "", "")
	send(t, http.MethodGet, s.URL()+execPath+"?page=1&size=5", token, "")
	send(t, http.MethodGet, s.URL()+"/jobs/WFAQ/a%2Fb/executions", token, "")
	send(t, http.MethodDelete, s.URL()+"/nowhere?x=1", "", "")

	want := []Request{
		{Method: "POST", Path: LoginPath, Status: 400},
		{Method: "POST", Path: LoginPath, Status: 200},
		{Method: "GET", Path: execPath, Status: 401},
		{Method: "GET", Path: execPath, RawQuery: "page=1&size=5", Authorized: true, Status: 200},
		{Method: "GET", Path: "/jobs/WFAQ/a%2Fb/executions", Authorized: true, Status: 404},
		{Method: "DELETE", Path: "/nowhere", RawQuery: "x=1", Status: 404},
	}
	got := s.Requests()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Requests\n%+v\nwant\n%+v", got, want)
	}

	recorded := fmt.Sprintf("%#v", got)
	for _, secret := range []string{token, "hunter2-secret", "wrong-secret"} {
		if strings.Contains(recorded, secret) {
			t.Errorf("The request log holds a secret: %s", recorded)
		}
	}

	got[0].Status = 999
	if s.Requests()[0].Status != 400 {
		t.Errorf("Requests returned the emulator's own slice")
	}

	counts := []struct {
		method, path string
		want         int
	}{
		{"POST", LoginPath, 2},
		{"GET", execPath, 2},
		{"GET", execPath + "?page=1&size=5", 0},
		{"POST", execPath, 0},
		{"get", execPath, 0},
		{"GET", "/jobs/WFAQ/a%2Fb/executions", 1},
		{"GET", "/jobs/WFAQ/a/b/executions", 0},
		{"DELETE", "/nowhere", 1},
	}
	for _, c := range counts {
		if n := s.Count(c.method, c.path); n != c.want {
			t.Errorf("Count(%s, %s) = %d, want %d", c.method, c.path, n, c.want)
		}
	}
	if s.Logins() != 2 {
		t.Errorf("Logins() = %d, want 2", s.Logins())
	}

	s.ResetRequests()
	if len(s.Requests()) != 0 || s.Logins() != 0 || s.Count("GET", execPath) != 0 {
		t.Errorf("ResetRequests left %+v", s.Requests())
	}
	r := send(t, http.MethodGet, s.URL()+execPath, token, "")
	if r.status != http.StatusOK {
		t.Errorf("The token stopped working after ResetRequests: %d", r.status)
	}
	if n := len(s.Requests()); n != 1 {
		t.Errorf("Recorded %d requests after the reset, want 1", n)
	}
}

func TestOnRequest(t *testing.T) {
	var mu sync.Mutex
	var seen []Request
	s := StartForTest(t, Config{OnRequest: func(r Request) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, r)
	}})

	login(t, s)
	send(t, http.MethodGet, s.URL()+"/missing", "", "")

	mu.Lock()
	defer mu.Unlock()
	if !reflect.DeepEqual(seen, s.Requests()) {
		t.Errorf("OnRequest saw %+v, recorded %+v", seen, s.Requests())
	}
}

func TestStartRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{
		"0.0.0.0:0",
		":0",
		":8099",
		"[::]:0",
		"192.0.2.10:0",
		"10.0.0.1:8099",
		"169.254.169.254:80",
		"[2001:db8::1]:0",
		"example.com:8099",
		"localhost.example.com:0",
		"127.0.0.1",
		"[::1%lo]:0",
		"127.0.0.1:http",
		"127.0.0.1:70000",
		"",
	} {
		t.Run(addr, func(t *testing.T) {
			s, err := New(Config{})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Start(addr); err == nil {
				_ = s.Close()
				t.Fatalf("Start(%q) succeeded, want an error", addr)
			}
			if s.URL() != "" {
				t.Errorf("URL is %q after a refused Start", s.URL())
			}
		})
	}
}

func TestStartOnLoopback(t *testing.T) {
	tests := []struct {
		addr    string
		wantURL string // a regular expression
	}{
		{"127.0.0.1:0", `^http://127\.0\.0\.1:[0-9]+$`},
		{"localhost:0", `^http://127\.0\.0\.1:[0-9]+$`},
		{"LOCALHOST:0", `^http://127\.0\.0\.1:[0-9]+$`},
		{"[::1]:0", `^http://\[::1\]:[0-9]+$`},
	}

	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if strings.Contains(tt.addr, "::1") && !ipv6Loopback(t) {
				t.Skip("No IPv6 loopback on this machine")
			}
			s, err := New(Config{})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Start(tt.addr); err != nil {
				t.Fatalf("Start(%q): %v", tt.addr, err)
			}
			t.Cleanup(func() { _ = s.Close() })

			if !regexp.MustCompile(tt.wantURL).MatchString(s.URL()) {
				t.Errorf("URL %q does not match %s", s.URL(), tt.wantURL)
			}
			login(t, s)
		})
	}
}

func ipv6Loopback(t *testing.T) bool {
	var lc net.ListenConfig
	l, err := lc.Listen(t.Context(), "tcp", "[::1]:0")
	if err != nil {
		return false
	}
	_ = l.Close()

	return true
}

func TestLifecycle(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close before Start: %v", err)
	}

	s, err = New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	url := s.URL()
	if err := s.Start("127.0.0.1:0"); err == nil {
		t.Errorf("A second Start succeeded")
	}
	login(t, s)

	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Second Close: %v", err)
	}
	if _, err := do(t.Context(), http.MethodPost, url+LoginPath, "", "{}"); err == nil {
		t.Errorf("The server still answers after Close")
	}
	if err := s.Start("127.0.0.1:0"); err == nil {
		t.Errorf("Start after Close succeeded")
	}
}

func TestLatencyDelaysEveryAnswer(t *testing.T) {
	const latency = 30 * time.Millisecond
	s := StartForTest(t, Config{Latency: latency})

	// Four requests at once take about one latency, not four: each waits on
	// its own. Only the lower bound is checked, which no slow machine breaks.
	started := time.Now()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := do(t.Context(), http.MethodGet, s.URL()+"/missing", "", ""); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()

	if elapsed := time.Since(started); elapsed < latency {
		t.Errorf("the answers came after %v, before the latency of %v", elapsed, latency)
	}
	if n := len(s.Requests()); n != 4 {
		t.Errorf("recorded %d requests, want 4", n)
	}
}
