package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clc-tf/terraform-provider-clc/internal/emulator"
)

// syncBuffer is a bytes.Buffer that the server's goroutines may write to
// while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()

	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()

	return b.buf.String()
}

// started runs the command with args in the background and returns the base
// URL it wrote to its URL file, its stderr, and a stop function that cancels
// it and returns run's error.
func started(t *testing.T, args ...string) (string, *syncBuffer, func() error) {
	t.Helper()

	urlFile := filepath.Join(t.TempDir(), "runner.url")
	ctx, cancel := context.WithCancel(t.Context())
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-listen", "127.0.0.1:0", "-url-file", urlFile},
			args...), stderr)
	}()
	stop := func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("The command did not stop")
			return nil
		}
	}

	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		data, err := os.ReadFile(urlFile)
		if err == nil {
			if !strings.HasSuffix(string(data), "\n") {
				t.Fatalf("URL file %q does not end in a newline", data)
			}
			return strings.TrimSuffix(string(data), "\n"), stderr, stop
		}
		select {
		case err := <-done:
			t.Fatalf("The command ended early: %v\n%s", err, stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
	_ = stop()
	t.Fatalf("The URL file never appeared; stderr:\n%s", stderr)

	return "", nil, nil
}

var client = &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second}

func post(t *testing.T, url, body string) int {
	t.Helper()

	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url,
		strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer not-logged")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()

	return resp.StatusCode
}

func TestRunServesAndStops(t *testing.T) {
	url, stderr, stop := started(t, "-username", "ops", "-password", "pa55word")

	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Errorf("URL %q", url)
	}
	if got := post(t, url+emulator.LoginPath,
		`{"username":"ops","password":"pa55word"}`); got != 200 {
		t.Errorf("Login with the flag credentials answered %d", got)
	}
	if got := post(t, url+emulator.LoginPath,
		`{"username":"demo","password":"demo-password"}`); got != 400 {
		t.Errorf("Login with the default credentials answered %d", got)
	}

	if err := stop(); err != nil {
		t.Errorf("run returned %v", err)
	}

	out := stderr.String()
	if !strings.Contains(out, "runner emulator listening on "+url+"\n") {
		t.Errorf("stderr lacks the listening line:\n%s", out)
	}
	if !strings.Contains(out, "POST /v2/authentication/login 200\n") ||
		!strings.Contains(out, "POST /v2/authentication/login 400\n") {
		t.Errorf("stderr lacks the request lines:\n%s", out)
	}
	for _, secret := range []string{"pa55word", "demo-password", "not-logged", "Bearer"} {
		if strings.Contains(out, secret) {
			t.Errorf("stderr holds %q:\n%s", secret, out)
		}
	}
}

func TestRunRemovesTheURLFile(t *testing.T) {
	dir := t.TempDir()
	urlFile := filepath.Join(dir, "url")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-listen", "localhost:0", "-url-file", urlFile}, &syncBuffer{})
	}()

	for i := 0; ; i++ {
		if _, err := os.Stat(urlFile); err == nil {
			break
		}
		if i == 1000 {
			t.Fatal("The URL file never appeared")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("Files left behind: %v", entries)
	}
}

func TestRunFixturesDirectory(t *testing.T) {
	dir := t.TempDir()
	job := emulator.GenerateJob("ACME", "from-dir", 2, 1, emulator.FormArray)
	data := []byte(`{"account_alias":"ACME","job_id":"from-dir","form":"array","executions":[` +
		string(job.Executions[0]) + `]}`)
	if err := os.WriteFile(filepath.Join(dir, "job.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	url, _, stop := started(t, "-fixtures", dir)
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()

	token := login(t, url)
	for path, want := range map[string]int{
		"/jobs/ACME/from-dir/executions":                             200,
		"/jobs/WFAQ/d2b66469-5767-4426-9da0-efcebf82c7aa/executions": 404,
	} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s answered %d, want %d", path, resp.StatusCode, want)
		}
	}
}

func login(t *testing.T, url string) string {
	t.Helper()

	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url+emulator.LoginPath,
		strings.NewReader(`{"username":"demo","password":"demo-password"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	_, token, _ := strings.Cut(buf.String(), `"bearerToken":"`)
	token, _, _ = strings.Cut(token, `"`)
	if resp.StatusCode != 200 || token == "" {
		t.Fatalf("Login answered %d %s", resp.StatusCode, buf.String())
	}

	return token
}

func TestRunRefuses(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"any address", []string{"-listen", "0.0.0.0:8099"}, "is not a loopback address"},
		{"all interfaces", []string{"-listen", ":8099"}, "is not a loopback address"},
		{"another host", []string{"-listen", "192.0.2.1:8099"}, "is not a loopback address"},
		{"missing fixtures", []string{"-fixtures", "/nonexistent-runner-fixtures"},
			"loading fixtures"},
		{"unknown flag", []string{"-port", "1"}, errUsage.Error()},
		{"stray argument", []string{"serve"}, errUsage.Error()},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			urlFile := filepath.Join(t.TempDir(), "url")
			args := append([]string{"-url-file", urlFile}, tt.args...)

			err := run(t.Context(), args, &syncBuffer{})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("run error %v, want one containing %q", err, tt.wantErr)
			}
			if _, err := os.Stat(urlFile); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("The URL file exists after a refusal")
			}
		})
	}
}
