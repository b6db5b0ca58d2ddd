package emulator

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func TestLogin(t *testing.T) {
	s := StartForTest(t, Config{})

	tests := []struct {
		name       string
		method     string
		body       string
		wantStatus int
		wantMsg    string // exact message of an error answer; "" for 200
	}{
		{
			name:       "right credentials",
			method:     http.MethodPost,
			body:       `{"username":"demo","password":"demo-password"}`,
			wantStatus: http.StatusOK,
		},
		{
			name:       "wrong password",
			method:     http.MethodPost,
			body:       `{"username":"demo","password":"nope"}`,
			wantStatus: http.StatusBadRequest,
			wantMsg:    msgBadCredentials,
		},
		{
			name:       "wrong username",
			method:     http.MethodPost,
			body:       `{"username":"Demo","password":"demo-password"}`,
			wantStatus: http.StatusBadRequest,
			wantMsg:    msgBadCredentials,
		},
		{
			name:       "empty strings",
			method:     http.MethodPost,
			body:       `{"username":"","password":""}`,
			wantStatus: http.StatusBadRequest,
			wantMsg:    msgBadCredentials,
		},
		{
			name:       "not JSON",
			method:     http.MethodPost,
			body:       `username=demo&password=demo-password`,
			wantStatus: http.StatusBadRequest,
			wantMsg:    msgMalformedLogin,
		},
		{
			name:       "array",
			method:     http.MethodPost,
			body:       `["demo","demo-password"]`,
			wantStatus: http.StatusBadRequest,
			wantMsg:    msgMalformedLogin,
		},
		{
			name:       "trailing data",
			method:     http.MethodPost,
			body:       `{"username":"demo","password":"demo-password"} {}`,
			wantStatus: http.StatusBadRequest,
			wantMsg:    msgMalformedLogin,
		},
		{
			name:       "password missing",
			method:     http.MethodPost,
			body:       `{"username":"demo"}`,
			wantStatus: http.StatusBadRequest,
			wantMsg:    msgMalformedLogin,
		},
		{
			name:       "password not a string",
			method:     http.MethodPost,
			body:       `{"username":"demo","password":12345}`,
			wantStatus: http.StatusBadRequest,
			wantMsg:    msgMalformedLogin,
		},
		{
			name:       "no body",
			method:     http.MethodPost,
			wantStatus: http.StatusBadRequest,
			wantMsg:    msgMalformedLogin,
		},
		{
			name:       "GET",
			method:     http.MethodGet,
			wantStatus: http.StatusMethodNotAllowed,
			wantMsg:    "The method GET is not allowed on /v2/authentication/login; use POST.",
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, tt.method, s.URL()+LoginPath, "", tt.body)

			if r.status != tt.wantStatus {
				t.Fatalf("Status %d, want %d; body %s", r.status, tt.wantStatus, r.body)
			}
			checkJSON(t, r)
			if tt.wantMsg != "" {
				if got := messageOf(t, r); got != tt.wantMsg {
					t.Errorf("Message %q, want %q", got, tt.wantMsg)
				}
				if strings.Contains(string(r.body), "bearerToken") {
					t.Errorf("A failed login answered a token: %s", r.body)
				}
				return
			}

			var got struct {
				UserName      string   `json:"userName"`
				AccountAlias  string   `json:"accountAlias"`
				LocationAlias string   `json:"locationAlias"`
				Roles         []string `json:"roles"`
				BearerToken   string   `json:"bearerToken"`
			}
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatalf("Decoding %s: %v", r.body, err)
			}
			if got.UserName != "demo" || got.AccountAlias != "WFAQ" || got.LocationAlias != "WA1" ||
				!reflect.DeepEqual(got.Roles, []string{"AccountAdmin"}) {
				t.Errorf("Unexpected login answer %s", r.body)
			}
			if b, err := hex.DecodeString(got.BearerToken); err != nil || len(b) != 32 {
				t.Errorf("Token %q is not 32 bytes of hex", got.BearerToken)
			}
		})
	}
}

func TestLoginConfiguredCredentials(t *testing.T) {
	s := StartForTest(t, Config{Username: "ops", Password: "s3cret", AccountAlias: "ACME"})

	r := send(t, http.MethodPost, s.URL()+LoginPath, "",
		`{"username":"demo","password":"demo-password"}`)
	if r.status != http.StatusBadRequest {
		t.Errorf("Default credentials answered %d, want 400", r.status)
	}

	r = send(t, http.MethodPost, s.URL()+LoginPath, "", `{"username":"ops","password":"s3cret"}`)
	if r.status != http.StatusOK {
		t.Fatalf("Configured credentials answered %d: %s", r.status, r.body)
	}
	var got map[string]any
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	if got["userName"] != "ops" || got["accountAlias"] != "ACME" {
		t.Errorf("Unexpected login answer %s", r.body)
	}
}

func TestEveryLoginIssuesANewToken(t *testing.T) {
	s := StartForTest(t, Config{})
	path := s.URL() + executionsPath("WFAQ", apiPageJobID)

	first := login(t, s)
	second := login(t, s)
	if first == second {
		t.Fatalf("Two logins returned the same token")
	}

	for i, token := range []string{first, second} {
		if r := send(t, http.MethodGet, path, token, ""); r.status != http.StatusOK {
			t.Errorf("Token %d answered %d, want 200", i+1, r.status)
		}
	}
}

func TestExecutionsAuthorization(t *testing.T) {
	s := StartForTest(t, Config{})
	token := login(t, s)
	url := s.URL() + executionsPath("WFAQ", apiPageJobID)

	tests := []struct {
		name       string
		header     string // the whole Authorization header; "" sends none
		wantStatus int
		wantMsg    string
	}{
		{"no header", "", http.StatusUnauthorized, msgMissingToken},
		{"unknown token", "Bearer " + strings.Repeat("0", 64), http.StatusUnauthorized,
			msgInvalidToken},
		{"token of another scheme", "Basic " + token, http.StatusUnauthorized, msgInvalidToken},
		{"scheme without token", "Bearer ", http.StatusUnauthorized, msgInvalidToken},
		{"token without scheme", token, http.StatusUnauthorized, msgInvalidToken},
		{"valid token", "Bearer " + token, http.StatusOK, ""},
		{"scheme in lower case", "bearer " + token, http.StatusOK, ""},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := testClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var body any
			err = json.NewDecoder(resp.Body).Decode(&body)
			_ = resp.Body.Close()
			if err != nil {
				t.Fatalf("Answer is not JSON: %v", err)
			}

			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("Status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus != http.StatusUnauthorized {
				return
			}
			if msg, _ := body.(map[string]any); msg["message"] != tt.wantMsg {
				t.Errorf("Body %v, want the message %q", body, tt.wantMsg)
			}
			if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate is %q", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	s := StartForTest(t, Config{})
	token := login(t, s)

	tests := []struct {
		name    string
		path    string
		wantMsg string
	}{
		{
			name:    "unknown job",
			path:    executionsPath("WFAQ", "00000000-0000-0000-0000-000000000000"),
			wantMsg: "Job 00000000-0000-0000-0000-000000000000 not found in account WFAQ",
		},
		{
			name:    "known job in another account",
			path:    executionsPath("ACME", apiPageJobID),
			wantMsg: "Job " + apiPageJobID + " not found in account ACME",
		},
		{
			name:    "alias in another case",
			path:    executionsPath("wfaq", apiPageJobID),
			wantMsg: "Job " + apiPageJobID + " not found in account wfaq",
		},
		{
			name:    "empty job id",
			path:    executionsPath("WFAQ", ""),
			wantMsg: "Job  not found in account WFAQ",
		},
		{
			name:    "escaped slash stays inside the job id",
			path:    executionsPath("WFAQ", "x%2F..%2F"+apiPageJobID),
			wantMsg: "Job x/../" + apiPageJobID + " not found in account WFAQ",
		},
		{
			name:    "escaped slash joining alias and job id",
			path:    "/jobs/WFAQ%2F" + apiPageJobID + "/executions",
			wantMsg: notServed("/jobs/WFAQ%2F" + apiPageJobID + "/executions"),
		},
		{
			name:    "escaped slash in the last segment",
			path:    "/jobs/WFAQ/" + apiPageJobID + "%2Fexecutions",
			wantMsg: notServed("/jobs/WFAQ/" + apiPageJobID + "%2Fexecutions"),
		},
		{
			name:    "trailing slash",
			path:    executionsPath("WFAQ", apiPageJobID) + "/",
			wantMsg: notServed(executionsPath("WFAQ", apiPageJobID) + "/"),
		},
		{
			name:    "root",
			path:    "/",
			wantMsg: notServed("/"),
		},
		{
			name:    "one job",
			path:    "/jobs/WFAQ/" + apiPageJobID,
			wantMsg: notServed("/jobs/WFAQ/" + apiPageJobID),
		},
		{
			name:    "below login",
			path:    LoginPath + "/more",
			wantMsg: notServed(LoginPath + "/more"),
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, http.MethodGet, s.URL()+tt.path, token, "")

			if r.status != http.StatusNotFound {
				t.Fatalf("Status %d, want 404; body %s", r.status, r.body)
			}
			checkJSON(t, r)
			if got := messageOf(t, r); got != tt.wantMsg {
				t.Errorf("Message %q, want %q", got, tt.wantMsg)
			}
		})
	}
}

// notServed is the message of a 404 answer for a path the emulator has no endpoint for.
func notServed(path string) string {
	return "The path " + path + " is not served by the Runner API emulator."
}

func TestEscapedSegmentsMatchAfterUnescaping(t *testing.T) {
	s := StartForTest(t, Config{})
	token := login(t, s)

	// %57 is "W" and %2D is "-": both unescape to the real alias and job id.
	path := "/jobs/%57FAQ/d2b66469%2D5767-4426-9da0-efcebf82c7aa/executions"
	r := send(t, http.MethodGet, s.URL()+path, token, "")
	if r.status != http.StatusOK {
		t.Fatalf("Status %d, want 200; body %s", r.status, r.body)
	}
	if got := s.Count(http.MethodGet, path); got != 1 {
		t.Errorf("Count of the path as sent is %d, want 1", got)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	s := StartForTest(t, Config{})
	token := login(t, s)

	tests := []struct {
		method    string
		path      string
		wantAllow string
	}{
		{http.MethodPost, executionsPath("WFAQ", apiPageJobID), http.MethodGet},
		{http.MethodPut, executionsPath("WFAQ", apiPageJobID), http.MethodGet},
		{http.MethodDelete, executionsPath("WFAQ", "no-such-job"), http.MethodGet},
		{http.MethodGet, LoginPath, http.MethodPost},
		{http.MethodPut, LoginPath, http.MethodPost},
	}

	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := send(t, tt.method, s.URL()+tt.path, token, "")

			if r.status != http.StatusMethodNotAllowed {
				t.Fatalf("Status %d, want 405", r.status)
			}
			checkJSON(t, r)
			messageOf(t, r)
			if got := r.header.Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow is %q, want %q", got, tt.wantAllow)
			}
		})
	}
}

func TestArrayFormServesTheAPIPageExample(t *testing.T) {
	s := StartForTest(t, Config{})
	token := login(t, s)
	want := decodeNumbers(t, readTestdata(t, "api-page-example.json"))

	// The array form ignores paging parameters, even invalid ones.
	for _, query := range []string{"", "?page=1&size=1", "?size=0", "?page=x"} {
		t.Run("query "+query, func(t *testing.T) {
			r := send(t, http.MethodGet,
				s.URL()+executionsPath("WFAQ", apiPageJobID)+query, token, "")

			if r.status != http.StatusOK {
				t.Fatalf("Status %d, want 200; body %s", r.status, r.body)
			}
			checkJSON(t, r)
			if got := decodeNumbers(t, r.body); !reflect.DeepEqual(got, want) {
				t.Errorf("Served\n%s\nwant the API page's example", r.body)
			}
		})
	}
}

func TestExecutionsAreServedVerbatim(t *testing.T) {
	s := StartForTest(t, Config{})
	token := login(t, s)

	r := send(t, http.MethodGet, s.URL()+executionsPath("WFAQ", laterShapeJobID), token, "")
	if r.status != http.StatusOK {
		t.Fatalf("Status %d; body %s", r.status, r.body)
	}

	// Numbers keep their spelling, key order is kept and nothing is HTML-escaped.
	for _, want := range []string{
		`"start":1.456876800123e12`,
		`"failed_hosts":[0]`,
		`"repository_log":null`,
		`"execution_id":"c1c0e002-0000-4000-a000-000000000001","id":`,
		`"Cloning into 'playbooks'...\nChecking connectivity... done.\n"`,
	} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("Answer lacks %s:\n%s", want, r.body)
		}
	}

	html := Job{AccountAlias: "WFAQ", ID: "html", Form: FormArray,
		Executions: []json.RawMessage{json.RawMessage(`{"log": "a <b> & c"}`)}}
	if err := s.PutJob(html); err != nil {
		t.Fatal(err)
	}
	r = send(t, http.MethodGet, s.URL()+executionsPath("WFAQ", "html"), token, "")
	if got := string(r.body); got != `[{"log":"a <b> & c"}]` {
		t.Errorf("Served %s", got)
	}
}

func TestEmptyJobs(t *testing.T) {
	s := StartForTest(t, Config{})
	token := login(t, s)

	tests := []struct {
		id, query, want string
	}{
		{emptyJobID, "", `[]`},
		{emptyJobID, "?page=3", `[]`},
		{emptyPagedJobID, "", `{"totalSize":0,"page":0,"size":100,"results":[]}`},
		{emptyPagedJobID, "?page=2&size=5", `{"totalSize":0,"page":2,"size":5,"results":[]}`},
	}

	for _, tt := range tests {
		t.Run(tt.id+tt.query, func(t *testing.T) {
			r := send(t, http.MethodGet, s.URL()+executionsPath("WFAQ", tt.id)+tt.query, token, "")

			if r.status != http.StatusOK || string(r.body) != tt.want {
				t.Errorf("Got %d %s, want 200 %s", r.status, r.body, tt.want)
			}
		})
	}

	// A job built in Go with nil executions also answers [].
	if err := s.PutJob(Job{AccountAlias: "WFAQ", ID: "nil", Form: FormArray}); err != nil {
		t.Fatal(err)
	}
	if r := send(t, http.MethodGet, s.URL()+executionsPath("WFAQ", "nil"), token, ""); string(
		r.body) != "[]" {
		t.Errorf("Nil executions served %s, want []", r.body)
	}
}

func TestPagedForm(t *testing.T) {
	const total = 23
	job := GenerateJob("WFAQ", "paging", total, 2, FormPaged)
	s := StartForTest(t, Config{Jobs: []Job{job}})
	token := login(t, s)

	tests := []struct {
		query        string
		page, size   int
		first, count int // the slice of executions expected in results
	}{
		{"", 0, 100, 0, 23},
		{"?page=0", 0, 100, 0, 23},
		{"?size=100", 0, 100, 0, 23},
		{"?page=1", 1, 100, 0, 0},
		{"?size=10", 0, 10, 0, 10},
		{"?page=1&size=10", 1, 10, 10, 10},
		{"?page=2&size=10", 2, 10, 20, 3},
		{"?page=3&size=10", 3, 10, 0, 0},
		{"?size=23", 0, 23, 0, 23},
		{"?page=1&size=23", 1, 23, 0, 0},
		{"?page=22&size=1", 22, 1, 22, 1},
		{"?page=23&size=1", 23, 1, 0, 0},
		{"?size=1&page=9223372036854775807", 9223372036854775807, 1, 0, 0},
		{"?page=9223372036854775807&size=100", 9223372036854775807, 100, 0, 0},
		{"?page=0&size=5&other=x", 0, 5, 0, 5},
		{"?page=1&page=0&size=5", 1, 5, 5, 5}, // The first value counts.
		{"?page=%31&size=5", 1, 5, 5, 5},
	}

	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := send(t, http.MethodGet, s.URL()+executionsPath("WFAQ", "paging")+tt.query,
				token, "")
			if r.status != http.StatusOK {
				t.Fatalf("Status %d, want 200; body %s", r.status, r.body)
			}
			checkJSON(t, r)

			var got struct {
				TotalSize int               `json:"totalSize"`
				Page      int               `json:"page"`
				Size      int               `json:"size"`
				Results   []json.RawMessage `json:"results"`
			}
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatalf("Decoding %s: %v", r.body, err)
			}
			if got.TotalSize != total || got.Page != tt.page || got.Size != tt.size {
				t.Errorf("Envelope totalSize %d page %d size %d, want %d %d %d",
					got.TotalSize, got.Page, got.Size, total, tt.page, tt.size)
			}
			if got.Results == nil {
				t.Fatalf("Results is null or missing: %s", r.body)
			}
			want := job.Executions[tt.first : tt.first+tt.count]
			if !reflect.DeepEqual(got.Results, want) {
				t.Errorf("Results\n%s\nwant executions %d to %d", got.Results, tt.first,
					tt.first+tt.count-1)
			}
		})
	}
}

func TestPagedFormInvalidParameters(t *testing.T) {
	s := StartForTest(t, Config{})
	token := login(t, s)

	tests := []struct {
		query   string
		wantMsg string
	}{
		{"?size=0", `The size parameter must be an integer from 1 to 100, not "0".`},
		{"?size=101", `The size parameter must be an integer from 1 to 100, not "101".`},
		{"?size=-1", `The size parameter must be an integer from 1 to 100, not "-1".`},
		{"?size=ten", `The size parameter must be an integer from 1 to 100, not "ten".`},
		{"?size=1.5", `The size parameter must be an integer from 1 to 100, not "1.5".`},
		{"?size=", `The size parameter must be an integer from 1 to 100, not "".`},
		{"?size=99999999999999999999",
			`The size parameter must be an integer from 1 to 100, not "99999999999999999999".`},
		{"?page=-1", `The page parameter must be an integer of 0 or more, not "-1".`},
		{"?page=first", `The page parameter must be an integer of 0 or more, not "first".`},
		{"?page=&size=10", `The page parameter must be an integer of 0 or more, not "".`},
		{"?page=99999999999999999999",
			`The page parameter must be an integer of 0 or more, not "99999999999999999999".`},
		{"?page=%zz", `The query string is not valid: invalid URL escape "%zz".`},
	}

	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := send(t, http.MethodGet,
				s.URL()+executionsPath("WFAQ", laterShapeJobID)+tt.query, token, "")

			if r.status != http.StatusBadRequest {
				t.Fatalf("Status %d, want 400; body %s", r.status, r.body)
			}
			checkJSON(t, r)
			if got := messageOf(t, r); got != tt.wantMsg {
				t.Errorf("Message %q, want %q", got, tt.wantMsg)
			}
		})
	}
}

func TestHandlerOnHTTPTestServer(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)

	r := send(t, http.MethodPost, ts.URL+LoginPath, "",
		`{"username":"demo","password":"demo-password"}`)
	if r.status != http.StatusOK {
		t.Fatalf("Login answered %d", r.status)
	}
	if s.Logins() != 1 || s.URL() != "" {
		t.Errorf("Logins %d and URL %q, want 1 and empty", s.Logins(), s.URL())
	}
}

func TestConcurrentRequests(t *testing.T) {
	s := StartForTest(t, Config{})
	token := login(t, s)
	const workers, each = 8, 10

	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			loginBody := `{"username":"demo","password":"demo-password"}`
			if _, err := do(t.Context(), http.MethodPost, s.URL()+LoginPath, "",
				loginBody); err != nil {
				t.Error(err)
			}
			for i := range each {
				id := fmt.Sprintf("job-%d-%d", w, i)
				if err := s.PutJob(GenerateJob("WFAQ", id, i, 1, FormPaged)); err != nil {
					t.Error(err)
					return
				}
				r, err := do(t.Context(), http.MethodGet, s.URL()+executionsPath("WFAQ", id),
					token, "")
				if err != nil || r.status != http.StatusOK {
					t.Errorf("GET %s answered %d (%v)", id, r.status, err)
				}
				_ = s.Requests()
			}
		})
	}
	wg.Wait()

	if got, want := len(s.Requests()), 1+workers*(each+1); got != want {
		t.Errorf("Recorded %d requests, want %d", got, want)
	}
	if s.Logins() != workers+1 {
		t.Errorf("Logins %d, want %d", s.Logins(), workers+1)
	}
}
