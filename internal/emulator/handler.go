package emulator

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Limits of the paged form, as the later documentation gives them.
const (
	defaultPageSize = 100
	maxPageSize     = 100
)

// maxLoginBody bounds the size of a login request body.
const maxLoginBody = 64 << 10

// Messages of the error answers.
const (
	msgBadCredentials = "We didn't recognize the username or password you entered. " +
		"Please try again."
	msgMalformedLogin = "The request body must be a JSON object with a username " +
		"and a password, both strings."
	msgMissingToken = "Authorization has been denied for this request: " +
		"send the header Authorization: Bearer <token> from the login call."
	msgInvalidToken = "Authorization has been denied for this request: " +
		"the bearer token is not valid."
)

// answer is a complete response, built before anything is written so that
// the request can be recorded before the client can see the response.
type answer struct {
	status int
	body   []byte
	allow  string // Allow header of a 405 answer
	bearer bool   // send WWW-Authenticate: Bearer (401 answers)
}

// Handler returns the HTTP handler of the emulator. It records every request,
// so it can also be mounted on an httptest.Server instead of calling Start.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(s.serveHTTP)
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if s.latency > 0 {
		wait := time.NewTimer(s.latency)
		select {
		case <-wait.C:
		case <-r.Context().Done():
			wait.Stop()
		}
	}

	authorized := s.authorized(r)
	a := s.route(r, authorized)
	fault := s.faults.next(r)
	if fault != nil {
		a = fault.change(a)
	}

	s.record(Request{
		Method:     r.Method,
		Path:       r.URL.EscapedPath(),
		RawQuery:   r.URL.RawQuery,
		Authorized: authorized,
		Status:     a.status,
	})

	if fault != nil {
		fault.serve(w, r, a)
		return
	}

	setHeaders(w.Header(), a)
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body) // The client may have gone; nothing to do about it.
}

// setHeaders sets the headers that go with a.
func setHeaders(h http.Header, a answer) {
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(a.body)))
	if a.allow != "" {
		h.Set("Allow", a.allow)
	}
	if a.bearer {
		h.Set("WWW-Authenticate", `Bearer realm="runner-emulator"`)
	}
}

// route picks the endpoint from the path segments, each unescaped on its own,
// so that an escaped "/" stays inside its segment.
func (s *Server) route(r *http.Request, authorized bool) answer {
	segments, ok := pathSegments(r.URL.EscapedPath())
	if !ok {
		return notFound(r)
	}

	switch {
	case len(segments) == 4 && segments[0] == "" && segments[1] == "v2" &&
		segments[2] == "authentication" && segments[3] == "login":
		if r.Method != http.MethodPost {
			return methodNotAllowed(r, http.MethodPost)
		}
		return s.login(r)

	case len(segments) == 5 && segments[0] == "" && segments[1] == "jobs" &&
		segments[4] == "executions":
		if r.Method != http.MethodGet {
			return methodNotAllowed(r, http.MethodGet)
		}
		if !authorized {
			return s.unauthorized(r)
		}
		return s.executions(r, segments[2], segments[3])

	case len(segments) == 6 && segments[0] == "" && segments[1] == "jobs" &&
		segments[4] == "executions" && segments[5] != "":
		if r.Method != http.MethodGet {
			return methodNotAllowed(r, http.MethodGet)
		}
		if !authorized {
			return s.unauthorized(r)
		}
		return s.execution(segments[2], segments[3], segments[5])
	}

	return notFound(r)
}

// pathSegments splits an escaped path on "/" and unescapes each segment.
func pathSegments(escaped string) ([]string, bool) {
	segments := strings.Split(escaped, "/")
	for i, segment := range segments {
		unescaped, err := url.PathUnescape(segment)
		if err != nil {
			return nil, false
		}
		segments[i] = unescaped
	}

	return segments, true
}

// authorized tells whether r carries a bearer token this server issued.
func (s *Server) authorized(r *http.Request) bool {
	token, ok := bearerToken(r)
	if !ok {
		return false
	}

	s.mu.Lock()
	_, valid := s.tokens[token]
	s.mu.Unlock()

	return valid && (r.URL.EscapedPath() == LoginPath || s.faults.spend(token))
}

// bearerToken returns the token of an "Authorization: Bearer <token>" header.
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, found := strings.Cut(r.Header.Get("Authorization"), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)

	return token, token != ""
}

// login answers POST /v2/authentication/login.
func (s *Server) login(r *http.Request) answer {
	var body struct {
		Username *string `json:"username"`
		Password *string `json:"password"`
	}
	if err := decodeStrict(io.LimitReader(r.Body, maxLoginBody), &body); err != nil {
		return message(http.StatusBadRequest, msgMalformedLogin)
	}
	if body.Username == nil || body.Password == nil {
		return message(http.StatusBadRequest, msgMalformedLogin)
	}

	userOK := subtle.ConstantTimeCompare([]byte(*body.Username), []byte(s.username)) == 1
	passOK := subtle.ConstantTimeCompare([]byte(*body.Password), []byte(s.password)) == 1
	if !userOK || !passOK {
		return message(http.StatusBadRequest, msgBadCredentials)
	}

	token, err := newToken()
	if err != nil {
		return message(http.StatusInternalServerError, "The emulator could not create a token.")
	}
	s.mu.Lock()
	s.tokens[token] = struct{}{}
	s.mu.Unlock()

	return jsonAnswer(http.StatusOK, struct {
		UserName      string   `json:"userName"`
		AccountAlias  string   `json:"accountAlias"`
		LocationAlias string   `json:"locationAlias"`
		Roles         []string `json:"roles"`
		BearerToken   string   `json:"bearerToken"`
	}{
		UserName:      s.username,
		AccountAlias:  s.accountAlias,
		LocationAlias: "WA1",
		Roles:         []string{"AccountAdmin"},
		BearerToken:   token,
	})
}

// decodeStrict decodes exactly one JSON value from r into v.
func decodeStrict(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data after the JSON value")
	}

	return nil
}

// newToken returns 32 random bytes from crypto/rand, hex encoded.
func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}

	return hex.EncodeToString(b), nil
}

// executions answers GET /jobs/{accountAlias}/{jobId}/executions.
func (s *Server) executions(r *http.Request, alias, id string) answer {
	job, found := s.currentJob(jobKey{alias: alias, id: id})
	if !found {
		return message(http.StatusNotFound,
			fmt.Sprintf("Job %s not found in account %s", id, alias))
	}

	if job.Form == FormArray {
		return answer{status: http.StatusOK, body: joinArray(job.Executions)}
	}

	page, size, problem := pageParams(r.URL.RawQuery)
	if problem != "" {
		return message(http.StatusBadRequest, problem)
	}

	total := len(job.Executions)
	results := job.Executions[:0]
	if page < (total+size-1)/size { // Also keeps page*size from overflowing.
		start := page * size
		results = job.Executions[start:min(start+size, total)]
	}

	var b bytes.Buffer
	b.WriteString(`{"totalSize":` + strconv.Itoa(total))
	b.WriteString(`,"page":` + strconv.Itoa(page))
	b.WriteString(`,"size":` + strconv.Itoa(size))
	b.WriteString(`,"results":`)
	b.Write(joinArray(results))
	b.WriteString("}")

	return answer{status: http.StatusOK, body: b.Bytes()}
}

// pageParams reads page and size from a raw query. The problem is a message
// for a 400 answer, or "" when both are acceptable.
func pageParams(rawQuery string) (page, size int, problem string) {
	query, err := url.ParseQuery(rawQuery)
	if err != nil {
		return 0, 0, "The query string is not valid: " + err.Error() + "."
	}

	page, size = 0, defaultPageSize
	if query.Has("page") {
		v := query.Get("page")
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, fmt.Sprintf(
				"The page parameter must be an integer of 0 or more, not %q.", v)
		}
		page = n
	}
	if query.Has("size") {
		v := query.Get("size")
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			return 0, 0, fmt.Sprintf(
				"The size parameter must be an integer from 1 to %d, not %q.", maxPageSize, v)
		}
		size = n
	}

	return page, size, ""
}

// joinArray writes already valid JSON values as one JSON array; an empty or
// nil list gives [].
func joinArray(values []json.RawMessage) []byte {
	b := []byte{'['}
	for i, v := range values {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, v...)
	}

	return append(b, ']')
}

func (s *Server) unauthorized(r *http.Request) answer {
	a := message(http.StatusUnauthorized, msgMissingToken)
	if r.Header.Get("Authorization") != "" {
		a = message(http.StatusUnauthorized, msgInvalidToken)
	}
	a.bearer = true

	return a
}

func methodNotAllowed(r *http.Request, allow string) answer {
	a := message(http.StatusMethodNotAllowed, fmt.Sprintf(
		"The method %s is not allowed on %s; use %s.", r.Method, r.URL.EscapedPath(), allow))
	a.allow = allow

	return a
}

func notFound(r *http.Request) answer {
	return message(http.StatusNotFound, fmt.Sprintf(
		"The path %s is not served by the Runner API emulator.", r.URL.EscapedPath()))
}

// message builds an error answer with the body {"message": text}.
func message(status int, text string) answer {
	return jsonAnswer(status, struct {
		Message string `json:"message"`
	}{Message: text})
}

// jsonAnswer marshals v into an answer. The values passed in cannot fail to
// marshal; if one ever did, that is an emulator bug and is answered with 500.
func jsonAnswer(status int, v any) answer {
	body, err := json.Marshal(v)
	if err != nil {
		return answer{
			status: http.StatusInternalServerError,
			body:   []byte(`{"message":"The emulator failed to encode its answer."}`),
		}
	}

	return answer{status: status, body: body}
}
