package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Job ids of the embedded fixtures.
const (
	apiPageJobID    = "d2b66469-5767-4426-9da0-efcebf82c7aa"
	laterShapeJobID = "c1c0e000-0000-4000-8000-000000000002"
	runningJobID    = "c1c0e000-0000-4000-8000-000000000003"
	failureJobID    = "c1c0e000-0000-4000-8000-000000000004"
	manyHostsJobID  = "c1c0e000-0000-4000-8000-000000000005"
	emptyJobID      = "c1c0e000-0000-4000-8000-000000000006"
	emptyPagedJobID = "c1c0e000-0000-4000-8000-000000000007"
)

// reply is what a test request got back.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// testClient never uses a proxy, so requests reach the loopback server only.
var testClient = &http.Client{
	Transport: &http.Transport{Proxy: nil},
	Timeout:   10 * time.Second,
}

// send makes one request to url and reads the whole answer, failing the test
// on a transport error. It must run on the test's own goroutine.
func send(t *testing.T, method, url, token, body string) reply {
	t.Helper()

	r, err := do(t.Context(), method, url, token, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}

	return r
}

// do makes one request to url and reads the whole answer.
func do(ctx context.Context, method, url, token, body string) (reply, error) {
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, reader)
	if err != nil {
		return reply{}, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}

	resp, err := testClient.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}

	return reply{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// login logs in with the default credentials and returns the bearer token.
func login(t *testing.T, s *Server) string {
	t.Helper()

	r := send(t, http.MethodPost, s.URL()+LoginPath, "",
		`{"username":"demo","password":"demo-password"}`)
	if r.status != http.StatusOK {
		t.Fatalf("Login answered %d: %s", r.status, r.body)
	}
	var answer struct {
		BearerToken string `json:"bearerToken"`
	}
	if err := json.Unmarshal(r.body, &answer); err != nil || answer.BearerToken == "" {
		t.Fatalf("Login answer %s has no bearer token (%v)", r.body, err)
	}

	return answer.BearerToken
}

// executionsPath returns the escaped path of a job's executions.
func executionsPath(alias, id string) string {
	return "/jobs/" + alias + "/" + id + "/executions"
}

// decodeNumbers decodes JSON keeping numbers as written.
func decodeNumbers(t *testing.T, data []byte) any {
	t.Helper()

	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("Decoding %s: %v", data, err)
	}

	return v
}

// messageOf returns the message field of an error answer, failing the test
// when the body is not {"message": "..."}.
func messageOf(t *testing.T, r reply) string {
	t.Helper()

	var body map[string]any
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("Error answer %s is not a JSON object: %v", r.body, err)
	}
	msg, ok := body["message"].(string)
	if !ok || msg == "" || len(body) != 1 {
		t.Fatalf("Error answer %s is not {\"message\": \"...\"}", r.body)
	}

	return msg
}

// checkJSON fails the test unless the reply is labelled application/json.
func checkJSON(t *testing.T, r reply) {
	t.Helper()

	if got := r.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type is %q, want application/json", got)
	}
}
