package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// executionPath returns the escaped path of one execution.
func executionPath(alias, jobID, executionID string) string {
	return executionsPath(alias, jobID) + "/" + executionID
}

func TestExecutionByID(t *testing.T) {
	s := StartForTest(t, Config{})
	token := login(t, s)

	t.Run("each execution of each fixture, verbatim", func(t *testing.T) {
		jobs, err := Fixtures()
		if err != nil {
			t.Fatal(err)
		}
		for _, job := range jobs {
			for _, raw := range job.Executions {
				var ids executionIDs
				if err := json.Unmarshal(raw, &ids); err != nil {
					t.Fatal(err)
				}
				id := ids.ExecutionID
				if id == nil {
					id = ids.ID
				}

				r := send(t, http.MethodGet, s.URL()+executionPath(job.AccountAlias, job.ID, *id), token, "")
				if r.status != http.StatusOK {
					t.Fatalf("Execution %s of %s answered %d: %s", *id, job.ID, r.status, r.body)
				}
				checkJSON(t, r)
				if want := string(compact(t, raw)); string(r.body) != want {
					t.Errorf("Served %s, want %s", r.body, want)
				}
			}
		}
	})

	const executionID = "ba7e6f6a-2673-4580-a297-8d7e44483bd7"
	tests := []struct {
		name       string
		path       string
		token      string
		wantStatus int
		wantMsg    string
	}{
		{
			name:       "unknown execution",
			path:       executionPath("WFAQ", apiPageJobID, "no-such-execution"),
			token:      token,
			wantStatus: http.StatusNotFound,
			wantMsg:    "Execution no-such-execution not found for job " + apiPageJobID + " in account WFAQ",
		},
		{
			name:       "unknown job",
			path:       executionPath("WFAQ", "no-such-job", "e"),
			token:      token,
			wantStatus: http.StatusNotFound,
			wantMsg:    "Job no-such-job not found in account WFAQ",
		},
		{
			name:       "no token",
			path:       executionPath("WFAQ", apiPageJobID, executionID),
			wantStatus: http.StatusUnauthorized,
			wantMsg:    msgMissingToken,
		},
		{
			name:       "below an execution",
			path:       executionPath("WFAQ", apiPageJobID, executionID) + "/stop",
			token:      token,
			wantStatus: http.StatusNotFound,
			wantMsg:    notServed(executionPath("WFAQ", apiPageJobID, executionID) + "/stop"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, http.MethodGet, s.URL()+tt.path, tt.token, "")
			if r.status != tt.wantStatus {
				t.Fatalf("Status %d, want %d; body %s", r.status, tt.wantStatus, r.body)
			}
			if got := messageOf(t, r); got != tt.wantMsg {
				t.Errorf("Message %q, want %q", got, tt.wantMsg)
			}
		})
	}

	t.Run("only GET", func(t *testing.T) {
		r := send(t, http.MethodPost, s.URL()+executionPath("WFAQ", apiPageJobID, "e"), token, "")
		if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != http.MethodGet {
			t.Errorf("Status %d, Allow %q; want 405 and GET", r.status, r.header.Get("Allow"))
		}
	})
}

func compact(t *testing.T, raw json.RawMessage) []byte {
	t.Helper()

	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatal(err)
	}

	return b.Bytes()
}

func TestScheduleTransition(t *testing.T) {
	tests := []struct {
		name      string
		execution string
		// want holds the fields expected after the transition; "END" stands
		// for the end time the transition set.
		want map[string]any
	}{
		{
			name:      "2015 shape without an end",
			execution: `{"id":"e","start":1000,"exit_status":"RUNNING","result":{}}`,
			want: map[string]any{
				"id": "e", "start": 1000.0, "end": "END", "exit_status": "FAILURE", "result": map[string]any{},
			},
		},
		{
			name: "later shape, restarted, with a top-level start",
			execution: `{"execution_id":"e","status":"RUNNING","start":1000,"end":null,` +
				`"timers":[{"start":1000,"end":1100},{"start":1200,"end":null}]}`,
			want: map[string]any{
				"execution_id": "e", "status": "FAILURE", "start": 1000.0, "end": "END",
				"timers": []any{
					map[string]any{"start": 1000.0, "end": 1100.0},
					map[string]any{"start": 1200.0, "end": "END"},
				},
			},
		},
		{
			name:      "later shape, pending, without timers",
			execution: `{"execution_id":"e","status":"PENDING","failed_hosts":[]}`,
			want: map[string]any{
				"execution_id": "e", "status": "FAILURE", "failed_hosts": []any{},
				"timers": []any{map[string]any{"start": "END", "end": "END"}},
			},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := StartForTest(t, Config{Jobs: []Job{{AccountAlias: "WFAQ", ID: "j", Form: FormPaged,
				Executions: []json.RawMessage{json.RawMessage(tt.execution)}}}})
			token := login(t, s)
			path := s.URL() + executionPath("WFAQ", "j", "e")

			if err := s.ScheduleTransition("WFAQ", "j", "e", "FAILURE", time.Hour); err != nil {
				t.Fatal(err)
			}
			if r := send(t, http.MethodGet, path, token, ""); string(r.body) != tt.execution {
				t.Errorf("Before the transition is due, served %s", r.body)
			}

			before := time.Now().UnixMilli()
			if err := s.ScheduleTransition("WFAQ", "j", "e", "FAILURE", 0); err != nil {
				t.Fatal(err)
			}
			r := send(t, http.MethodGet, path, token, "")
			after := time.Now().UnixMilli()

			var got map[string]any
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatal(err)
			}
			end := checkEnd(t, got, before, after)
			if want := replaceEnd(tt.want, end); !jsonEqual(got, want) {
				t.Errorf("Served %s, want %v", r.body, want)
			}

			list := send(t, http.MethodGet, s.URL()+executionsPath("WFAQ", "j"), token, "")
			if !strings.Contains(string(list.body), `"FAILURE"`) {
				t.Errorf("The executions call still serves the old record: %s", list.body)
			}
		})
	}
}

// checkEnd returns the end time the transition set, failing the test unless
// it lies between before and after.
func checkEnd(t *testing.T, execution map[string]any, before, after int64) float64 {
	t.Helper()

	end, ok := execution["end"].(float64)
	if !ok {
		timers, _ := execution["timers"].([]any)
		last, _ := timers[len(timers)-1].(map[string]any)
		end, ok = last["end"].(float64)
	}
	if !ok || int64(end) < before || int64(end) > after {
		t.Fatalf("End time %v of %v is not between %d and %d", end, execution, before, after)
	}

	return end
}

// replaceEnd returns want with every "END" replaced by end.
func replaceEnd(want any, end float64) any {
	switch w := want.(type) {
	case string:
		if w == "END" {
			return end
		}
	case map[string]any:
		out := make(map[string]any, len(w))
		for k, v := range w {
			out[k] = replaceEnd(v, end)
		}
		return out
	case []any:
		out := make([]any, len(w))
		for i, v := range w {
			out[i] = replaceEnd(v, end)
		}
		return out
	}

	return want
}

func jsonEqual(a, b any) bool {
	x, errX := json.Marshal(a)
	y, errY := json.Marshal(b)

	return errX == nil && errY == nil && string(x) == string(y)
}

func TestScheduleTransitionErrors(t *testing.T) {
	s := StartForTest(t, Config{})
	const executionID = "ba7e6f6a-2673-4580-a297-8d7e44483bd7"

	tests := []struct {
		name, alias, jobID, executionID, status string
		after                                   time.Duration
		wantErr                                 string
	}{
		{"unknown job", "WFAQ", "no-such-job", executionID, "SUCCESS", 0, "is not served"},
		{"unknown execution", "WFAQ", apiPageJobID, "e", "SUCCESS", 0, `has no execution "e"`},
		{"empty status", "WFAQ", apiPageJobID, executionID, "", 0, "must not be empty"},
		{"negative delay", "WFAQ", apiPageJobID, executionID, "SUCCESS", -time.Second, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.ScheduleTransition(tt.alias, tt.jobID, tt.executionID, tt.status, tt.after)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}

	t.Run("dropped when the execution is gone", func(t *testing.T) {
		if err := s.ScheduleTransition("WFAQ", apiPageJobID, executionID, "FAILURE", 0); err != nil {
			t.Fatal(err)
		}
		if err := s.PutJob(GenerateJob("WFAQ", apiPageJobID, 1, 1, FormArray)); err != nil {
			t.Fatal(err)
		}
		r := send(t, http.MethodGet, s.URL()+executionsPath("WFAQ", apiPageJobID), login(t, s), "")
		if strings.Contains(string(r.body), "FAILURE") {
			t.Errorf("The transition reached another execution: %s", r.body)
		}
	})
}
