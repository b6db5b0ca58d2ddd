package runner

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// Kind says what went wrong with a call, in terms a caller can act on.
type Kind int

// The kinds of failure a call can end with.
const (
	// KindTransport means no HTTP answer arrived: connection refused, DNS, TLS, timeout.
	KindTransport Kind = iota + 1
	// KindCredentialsRejected means the login answered 400: wrong username or password.
	KindCredentialsRejected
	// KindTokenRejected means the Runner API answered 401 to the bearer token.
	KindTokenRejected
	// KindForbidden means the API answered 403: the user may not see this account or job.
	KindForbidden
	// KindNotFound means the API answered 404: no such job in the account.
	KindNotFound
	// KindBadRequest means the API answered 400 to a Runner call.
	KindBadRequest
	// KindServer means the API answered with a 5xx status.
	KindServer
	// KindUnexpectedStatus means any other status the API does not document.
	KindUnexpectedStatus
	// KindMalformed means the answer could not be read: not JSON, or JSON of the wrong shape.
	KindMalformed
	// KindMissingAccountAlias means no account alias was configured and none could be learned.
	KindMissingAccountAlias
	// KindRateLimited means the API answered 429 Too Many Requests until retries ran out.
	KindRateLimited
	// KindTooLarge means the answer was larger than the configured limit.
	KindTooLarge
	// KindTokenRejectedAfterLogin means the Runner API answered 401 even to a
	// token from a fresh login.
	KindTokenRejectedAfterLogin
	// KindLoginFailed means the login answered a status other than 2xx or
	// 400: most often an api_url that is not the CLC v2 API.
	KindLoginFailed
)

// Error is the error every call of this package returns. It never holds a
// password or a token.
type Error struct {
	Kind Kind
	// Method and Path name the call; Path is the escaped URL path, without query.
	Method string
	Path   string
	// StatusCode is the HTTP status, or 0 when no answer arrived.
	StatusCode int
	// Message is the API's own message from the error body, if it sent one.
	Message string
	// Err is the underlying cause, if any.
	Err error
	// Attempts is how many times the request was sent; 0 when not known.
	Attempts int
	// RetryAfter is the wait the API asked for in its Retry-After header.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	var b strings.Builder

	fmt.Fprintf(&b, "%s %s", e.Method, e.Path)
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.StatusCode)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %s", e.Err)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}

	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of err, or 0 when err did not come from this package.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}

	return 0
}

// maxMessageLength bounds how much of an API error message is kept.
const maxMessageLength = 500

// sanitizeMessage makes an API message safe to show in one diagnostic line:
// control characters become spaces and the length is bounded.
func sanitizeMessage(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > maxMessageLength {
		cut := maxMessageLength
		for cut > 0 && !utf8RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}

	return s
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
