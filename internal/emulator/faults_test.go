package emulator

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// answered is a status and a piece of the body; status 0 stands for a
// transport error.
type answered struct {
	status int
	body   string
}

func TestFaults(t *testing.T) {
	t.Parallel()
	path := executionsPath("WFAQ", apiPageJobID)
	normal := answered{200, `[{"id":"29a3c264-b8f1-4608-ab7d-34a1aae6f6b1"`}
	broken := answered{}

	tests := []struct {
		name  string
		fault Fault
		want  []answered
	}{
		{
			name:  "status with Retry-After, twice",
			fault: Fault{Path: path, Times: 2, Status: 503, RetryAfter: "7"},
			want:  []answered{{503, "HTTP 503, as a test asked"}, {503, "HTTP 503"}, normal},
		},
		{
			name:  "after two good answers",
			fault: Fault{Path: path, After: 2, Status: 429},
			want:  []answered{normal, normal, {429, "HTTP 429"}, {429, "HTTP 429"}},
		},
		{
			name:  "HTML page with 200",
			fault: Fault{Path: path, Times: 1, Body: "<html>Maintenance</html>", ContentType: "text/html"},
			want:  []answered{{200, "<html>Maintenance</html>"}, normal},
		},
		{
			name:  "closed connection",
			fault: Fault{Path: path, Times: 1, CloseConnection: true},
			want:  []answered{broken, normal},
		},
		{
			name:  "answer cut off",
			fault: Fault{Path: path, Times: 1, TruncateAt: 10},
			want:  []answered{broken, normal},
		},
		{
			name:  "other path untouched",
			fault: Fault{Path: executionsPath("WFAQ", "other"), Status: 500},
			want:  []answered{normal},
		},
		{
			name:  "query must match",
			fault: Fault{Path: path, Query: "page=1", Status: 502},
			want:  []answered{normal},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := StartForTest(t, Config{Faults: []Fault{tt.fault}})
			token := login(t, s)

			for i, want := range tt.want {
				r, err := do(t.Context(), http.MethodGet, s.URL()+path, token, "")
				got := answered{r.status, string(r.body)}
				if err != nil {
					got = broken
				}
				if got.status != want.status || !strings.Contains(got.body, want.body) {
					t.Errorf("request %d: got %d %.80q (err %v), want %d with %q",
						i, got.status, got.body, err, want.status, want.body)
				}
				if i == 0 && tt.fault.RetryAfter != "" && r.header.Get("Retry-After") != tt.fault.RetryAfter {
					t.Errorf("Retry-After = %q, want %q", r.header.Get("Retry-After"), tt.fault.RetryAfter)
				}
				if i == 0 && tt.fault.ContentType != "" && r.header.Get("Content-Type") != tt.fault.ContentType {
					t.Errorf("Content-Type = %q, want %q", r.header.Get("Content-Type"), tt.fault.ContentType)
				}
			}
		})
	}
}

func TestFaultDelayEndsWhenTheClientGivesUp(t *testing.T) {
	t.Parallel()
	s := StartForTest(t, Config{Faults: []Fault{{Path: LoginPath, Delay: time.Hour}}})

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := do(ctx, http.MethodPost, s.URL()+LoginPath, "", `{"username":"demo","password":"demo-password"}`)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the client's deadline", err)
	}
	// Close waits for the delayed handler; it must have ended with the client.
}

func TestTokenUses(t *testing.T) {
	t.Parallel()
	s := StartForTest(t, Config{TokenUses: 2})
	first, second := login(t, s), login(t, s)
	url := s.URL() + executionsPath("WFAQ", apiPageJobID)

	statuses := []int{}
	for _, token := range []string{first, first, first, second, first, second, second} {
		statuses = append(statuses, send(t, http.MethodGet, url, token, "").status)
	}

	want := []int{200, 200, 401, 200, 401, 200, 401}
	if !slices.Equal(statuses, want) {
		t.Errorf("statuses = %v, want %v", statuses, want)
	}
	if n := len(s.IssuedTokens()); n != 2 {
		t.Errorf("issued tokens = %d, want 2", n)
	}
	if got := s.Requests()[4]; got.Authorized || got.Status != 401 {
		t.Errorf("the third call was recorded as %+v, want unauthorized with 401", got)
	}
}
