package emulator

import (
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Fault is one scripted misbehaviour: for the requests it matches, the
// emulator answers differently, late, in part or not at all. A Fault with
// only Path set changes nothing; each field adds one misbehaviour.
type Fault struct {
	// Path is the escaped path the fault applies to, such as LoginPath or
	// "/jobs/WFAQ/job-1/executions"; "" matches every path.
	Path string
	// Query is the raw query the fault applies to, such as "page=1&size=100";
	// "" matches any.
	Query string
	// After is how many matching requests are answered normally first.
	After int
	// Times is how many matching requests the fault then applies to; 0 means
	// every one after the first After.
	Times int

	// Delay holds the answer back this long, or until the client gives up.
	Delay time.Duration
	// Status replaces the status of the answer. Its body becomes
	// {"message": ...} unless Body is set.
	Status int
	// RetryAfter, when set, is sent as the Retry-After header.
	RetryAfter string
	// Body replaces the body of the answer, sent as it is.
	Body string
	// ContentType replaces the Content-Type header, such as "text/html".
	ContentType string
	// TruncateAt, when above 0, sends only that many bytes of the body while
	// Content-Length promises all of it, then closes the connection.
	TruncateAt int
	// CloseConnection closes the connection without any answer.
	CloseConnection bool
}

// faultScript holds the faults of a server and counts the requests each one
// has matched, and the Runner calls made with each token.
type faultScript struct {
	mu        sync.Mutex
	faults    []Fault
	matched   []int
	tokenUses int
	uses      map[string]int
}

func newFaultScript(cfg Config) *faultScript {
	return &faultScript{
		faults:    append([]Fault(nil), cfg.Faults...),
		matched:   make([]int, len(cfg.Faults)),
		tokenUses: cfg.TokenUses,
		uses:      make(map[string]int),
	}
}

// next returns the first fault that applies to r, counting r against every
// fault that matches it, or nil.
func (f *faultScript) next(r *http.Request) *Fault {
	f.mu.Lock()
	defer f.mu.Unlock()

	var picked *Fault
	for i := range f.faults {
		fault := &f.faults[i]
		if (fault.Path != "" && fault.Path != r.URL.EscapedPath()) ||
			(fault.Query != "" && fault.Query != r.URL.RawQuery) {
			continue
		}
		f.matched[i]++
		n := f.matched[i] - fault.After
		if picked == nil && n > 0 && (fault.Times == 0 || n <= fault.Times) {
			picked = fault
		}
	}

	return picked
}

// spend counts one Runner call made with token and reports whether the token
// is still good for it.
func (f *faultScript) spend(token string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()

	if f.tokenUses == 0 {
		return true
	}
	if f.uses[token] >= f.tokenUses {
		return false
	}
	f.uses[token]++

	return true
}

// change applies the status and body of the fault to a.
func (fault *Fault) change(a answer) answer {
	if fault.Status != 0 {
		a = message(fault.Status, fmt.Sprintf("The emulator answers HTTP %d, as a test asked.", fault.Status))
	}
	if fault.Body != "" {
		a.body = []byte(fault.Body)
	}
	if fault.CloseConnection {
		a.status = 0
	}

	return a
}

// serve writes a, misbehaving as the fault says.
func (fault *Fault) serve(w http.ResponseWriter, r *http.Request, a answer) {
	if fault.Delay > 0 {
		timer := time.NewTimer(fault.Delay)
		select {
		case <-timer.C:
		case <-r.Context().Done():
			timer.Stop()
			return
		}
	}
	if fault.CloseConnection {
		hangUp(w)
		return
	}

	h := w.Header()
	setHeaders(h, a)
	if fault.ContentType != "" {
		h.Set("Content-Type", fault.ContentType)
	}
	if fault.RetryAfter != "" {
		h.Set("Retry-After", fault.RetryAfter)
	}
	w.WriteHeader(a.status)

	if fault.TruncateAt > 0 && fault.TruncateAt < len(a.body) {
		_, _ = w.Write(a.body[:fault.TruncateAt])
		hangUp(w)
		return
	}
	_, _ = w.Write(a.body)
}

// hangUp sends what was written so far and closes the connection.
func hangUp(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	if conn, _, err := rc.Hijack(); err == nil {
		_ = conn.Close()
	}
}

// IssuedTokens returns every bearer token the login has issued, so that tests
// can look for them where they must not be.
func (s *Server) IssuedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()

	tokens := make([]string, 0, len(s.tokens))
	for token := range s.tokens {
		tokens = append(tokens, token)
	}

	return tokens
}
