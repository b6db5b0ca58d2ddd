package runner

import (
	"encoding/json"
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

// pagedServer serves n generated records in pages and lets a test decide,
// page by page, what happens before each answer.
type pagedServer struct {
	total int
	// before, when set, runs before a page is answered; it may write an
	// answer itself and return false to stop the normal one.
	before func(w http.ResponseWriter, r *http.Request, page int) bool

	inFlight    atomic.Int64
	maxInFlight atomic.Int64
	mu          sync.Mutex
	pages       []int
}

func (s *pagedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/v2/authentication/login" {
		fmt.Fprintf(w, `{"accountAlias": "WFAQ", "bearerToken": %q}`, testToken)
		return
	}

	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for m := s.maxInFlight.Load(); n > m && !s.maxInFlight.CompareAndSwap(m, n); {
		m = s.maxInFlight.Load()
	}

	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	size, _ := strconv.Atoi(r.URL.Query().Get("size"))
	s.mu.Lock()
	s.pages = append(s.pages, page)
	s.mu.Unlock()
	if s.before != nil && !s.before(w, r, page) {
		return
	}

	var b strings.Builder
	for i := page * size; i < min((page+1)*size, s.total); i++ {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id": "e-%05d", "start": %d, "exit_status": "SUCCESS"}`, i, 1000+i)
	}
	fmt.Fprintf(w, `{"totalSize": %d, "page": %d, "size": %d, "results": [%s]}`,
		s.total, page, size, b.String())
}

func (s *pagedServer) start(t *testing.T, parallel int) *Client {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)

	return newTestClient(t, srv, func(cfg *Config) {
		cfg.PageSize = 10
		cfg.MaxParallelRequests = parallel
	})
}

// waitFor polls cond for up to ten seconds; a test that needs it to become
// true fails on its own assertions when it does not.
func waitFor(cond func() bool) {
	for deadline := time.Now().Add(10 * time.Second); !cond() && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
}

func TestPagesAreReadInParallelWithinTheLimit(t *testing.T) {
	t.Parallel()

	for _, parallel := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d at a time", parallel), func(t *testing.T) {
			t.Parallel()
			s := &pagedServer{total: 200}
			// Hold each later page until the limit is reached, so that a
			// client that asks for fewer pages at once is noticed.
			s.before = func(_ http.ResponseWriter, _ *http.Request, page int) bool {
				if page > 0 {
					waitFor(func() bool { return s.maxInFlight.Load() >= int64(parallel) })
				}
				return true
			}
			c := s.start(t, parallel)

			got, err := c.JobExecutions(t.Context(), "WFAQ", "job-1")
			if err != nil {
				t.Fatal(err)
			}

			if len(got) != 200 || got[0].ID != "e-00199" || got[199].ID != "e-00000" {
				t.Fatalf("got %d executions from %s to %s, want 200 newest first",
					len(got), got[0].ID, got[len(got)-1].ID)
			}
			if m := s.maxInFlight.Load(); m != int64(parallel) {
				t.Errorf("at most %d requests were in flight, want %d", m, parallel)
			}
			if len(s.pages) != 20 {
				t.Errorf("%d page requests, want 20: %v", len(s.pages), s.pages)
			}
		})
	}
}

func TestFirstPageErrorCancelsTheOthers(t *testing.T) {
	t.Parallel()
	var cancelled atomic.Int64
	s := &pagedServer{total: 100}
	s.before = func(w http.ResponseWriter, r *http.Request, page int) bool {
		switch page {
		case 0:
			return true
		case 3:
			// Fail once the other requests are waiting.
			waitFor(func() bool { return s.inFlight.Load() >= 4 })
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"message": "page 3 broke"}`)
			return false
		}
		select {
		case <-r.Context().Done():
			cancelled.Add(1)
		case <-time.After(10 * time.Second):
		}
		return false
	}
	c := s.start(t, 4)

	_, err := c.JobExecutions(t.Context(), "WFAQ", "job-1")

	if KindOf(err) != KindServer || !strings.Contains(err.Error(), "page 3 broke") {
		t.Fatalf("err = %v, want the server error of page 3", err)
	}
	// The server learns of a cancellation when the connection closes.
	waitFor(func() bool { return cancelled.Load() == 3 })
	if n := cancelled.Load(); n != 3 {
		t.Errorf("%d requests in flight saw their context cancelled, want 3", n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pages) != 5 {
		t.Errorf("pages requested = %v, want 0 and four more, none after the failure", s.pages)
	}
}

func TestLaterPageWinsWhateverOrderAnswersArrive(t *testing.T) {
	t.Parallel()
	page2Done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/authentication/login" {
			fmt.Fprintf(w, `{"accountAlias": "WFAQ", "bearerToken": %q}`, testToken)
			return
		}
		// Two executions arrive while the pages are read, and each pushes
		// "x" one page further; "y" and "z" end up on pages 3 and 4.
		page := r.URL.Query().Get("page")
		total := map[string]int{"0": 3, "1": 4, "2": 5, "3": 5, "4": 5}[page]
		record := map[string]string{
			"0": `{"id": "x", "start": 5, "exit_status": "PENDING"}`,
			"1": `{"id": "x", "start": 5, "exit_status": "RUNNING"}`,
			"2": `{"id": "x", "start": 5, "exit_status": "SUCCESS"}`,
			"3": `{"id": "y", "start": 4}`,
			"4": `{"id": "z", "start": 3}`,
		}[page]
		if page == "1" {
			// Page 1 answers last; its copy of "x" must still lose to page 2's.
			<-page2Done
		}
		fmt.Fprintf(w, `{"totalSize": %d, "page": %s, "size": 1, "results": [%s]}`, total, page, record)
		if page == "2" {
			close(page2Done)
		}
	}))
	t.Cleanup(srv.Close)
	c := newTestClient(t, srv, func(cfg *Config) { cfg.PageSize = 1 })

	got, err := c.JobExecutions(t.Context(), "WFAQ", "job-1")
	if err != nil {
		t.Fatal(err)
	}

	if len(got) != 3 || got[0].ID != "x" || got[0].ExitStatus != "SUCCESS" {
		t.Errorf("got %+v, want x as page 2 sent it, then y and z", got)
	}
}

func TestPagesAddedWhileReadingAreRead(t *testing.T) {
	t.Parallel()
	s := &pagedServer{total: 25}
	s.before = func(_ http.ResponseWriter, _ *http.Request, page int) bool {
		if page == 2 {
			s.mu.Lock()
			s.total = 41 // Sixteen new executions arrive before page 2 is read.
			s.mu.Unlock()
		}
		return true
	}
	c := s.start(t, 1)

	got, err := c.JobExecutions(t.Context(), "WFAQ", "job-1")
	if err != nil {
		t.Fatal(err)
	}

	if len(got) != 41 {
		t.Errorf("got %d executions, want all 41", len(got))
	}
	if want := "0 1 2 3 4"; strings.Trim(fmt.Sprint(s.pages), "[]") != want {
		t.Errorf("pages requested = %v, want %s", s.pages, want)
	}
}

func TestMaxParallelRequestsRange(t *testing.T) {
	t.Parallel()

	for _, n := range []int{-1, MaxParallelRequestsLimit + 1} {
		_, err := New(Config{BearerToken: "t", MaxParallelRequests: n})
		if err == nil || !strings.Contains(err.Error(), "max parallel requests "+strconv.Itoa(n)) {
			t.Errorf("New with %d parallel requests: err = %v, want it refused", n, err)
		}
	}
	for _, n := range []int{0, 1, MaxParallelRequestsLimit} {
		if _, err := New(Config{BearerToken: "t", MaxParallelRequests: n}); err != nil {
			t.Errorf("New with %d parallel requests: %v", n, err)
		}
	}
}

// TestPagingFollowsThePageSizeServed reads from an API that serves ten
// executions a page whatever size it is asked for, and says so only by
// how many it sends, or not at all.
func TestPagingFollowsThePageSizeServed(t *testing.T) {
	t.Parallel()

	for _, reported := range []string{`"size": 100,`, ``} {
		t.Run(reported, func(t *testing.T) {
			t.Parallel()
			all := records(25)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/v2/authentication/login" {
					fmt.Fprintf(w, `{"accountAlias": "WFAQ", "bearerToken": %q}`, testToken)
					return
				}
				page, _ := strconv.Atoi(r.URL.Query().Get("page"))
				from, to := min(page*10, len(all)), min(page*10+10, len(all))
				results, err := json.Marshal(all[from:to])
				if err != nil {
					t.Error(err)
				}
				fmt.Fprintf(w, `{"totalSize": 25, "page": %d, %s "results": %s}`, page, reported, results)
			}))
			t.Cleanup(srv.Close)

			got, err := newTestClient(t, srv, nil).JobExecutions(t.Context(), "WFAQ", "job-1")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 25 {
				t.Errorf("got %d executions, want 25", len(got))
			}
		})
	}
}

func TestSortNewestFirst(t *testing.T) {
	t.Parallel()
	status := func(s string) (string, bool) { return s, s != "" }
	execution := func(id string, start, end int64, s string) Execution {
		e := Execution{ID: id, Start: Epoch{start, start != 0}, End: Epoch{end, end != 0}}
		e.ExitStatus, e.HasExitStatus = status(s)
		return e
	}

	executions := []Execution{
		execution("old-success", 100, 110, "SUCCESS"),
		execution("init-failure-no-times", 0, 0, "INIT_FAILURE"),
		execution("new-success", 300, 310, "SUCCESS"),
		execution("pending", 0, 0, "PENDING"),
		execution("ended-without-start", 0, 250, "KILLED"),
		execution("no-status-no-times", 0, 0, ""),
		execution("tie-b", 200, 0, "RUNNING"),
		execution("tie-a", 200, 0, "RUNNING"),
	}
	sortNewestFirst(executions)

	want := "no-status-no-times pending new-success ended-without-start tie-a tie-b old-success " +
		"init-failure-no-times"
	if got := strings.Join(ids(executions), " "); got != want {
		t.Errorf("order:\n got %s\nwant %s", got, want)
	}
}
