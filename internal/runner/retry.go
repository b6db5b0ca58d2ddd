package runner

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// MaxRetryAfter is the longest Retry-After the client waits for. An API that
// asks for a longer wait gets no retry: its answer is reported instead.
const MaxRetryAfter = 2 * time.Minute

// newRetryClient wraps the client's HTTP client in retries: connection errors,
// timeouts of one attempt, answers cut off halfway and HTTP 429, 502, 503 and
// 504 are retried; every other answer is final.
func (c *Client) newRetryClient(cfg Config) *retryablehttp.Client {
	first, longest := cfg.FirstRetryWait, cfg.LongestRetryWait
	if first <= 0 {
		first = DefaultFirstRetryWait
	}
	if longest <= 0 {
		longest = DefaultLongestRetryWait
	}

	return &retryablehttp.Client{
		HTTPClient:   c.httpClient,
		Logger:       nil, // The client logs through c.log, never headers.
		RetryWaitMin: first,
		RetryWaitMax: max(first, longest),
		RetryMax:     cfg.MaxRetries,
		CheckRetry:   c.checkRetry,
		Backoff:      backoff,
		// Hand back the last answer or error as it is, for send to classify.
		ErrorHandler:   retryablehttp.PassthroughErrorHandler,
		RequestLogHook: countAttempt,
	}
}

// checkRetry decides whether a failed attempt is worth another. It never
// retries once the caller's context has ended.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return false, ctxErr
	}

	if err != nil {
		if !retryableError(err) {
			return false, nil
		}
		c.log.Debug(ctx, "An API call failed on the way; it is retried if tries remain", map[string]any{
			"error": stripURL(err).Error(),
		})
		return true, nil
	}

	if !retryable(resp) {
		return false, nil
	}
	if wait, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok && wait > MaxRetryAfter {
		c.log.Debug(ctx, "Not retrying: the API asked for a longer wait than the client allows",
			map[string]any{"status": resp.StatusCode, "retry_after": wait.String()})
		return false, nil
	}
	c.log.Debug(ctx, "An API call failed for now; it is retried if tries remain", map[string]any{
		"status": resp.StatusCode, "path": resp.Request.URL.EscapedPath(),
	})

	return true, nil
}

// retryable reports whether an answer's status says "try again later".
func retryable(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable,
		http.StatusGatewayTimeout:
		return true
	}

	return false
}

// retryableError reports whether an error of one attempt may pass: a refused
// or broken connection, or a timeout, may; a certificate that does not
// verify, a refused redirect or an answer over the size limit will not.
func retryableError(err error) bool {
	var (
		tooLarge         *tooLargeError
		verification     *tls.CertificateVerificationError
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &tooLarge), errors.Is(err, errRedirectRefused),
		errors.As(err, &verification), errors.As(err, &unknownAuthority),
		errors.As(err, &hostname), errors.As(err, &invalid):
		return false
	}

	return true
}

// backoff is the wait before retry number attempt+1: the API's Retry-After
// when it sent one, or else a random wait between half and all of
// first·2^attempt, capped at longest, so that many clients do not come back
// at the same moment.
func backoff(first, longest time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if wait, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return wait
		}
	}

	ceiling := longest
	if attempt < 62 && first < longest>>attempt {
		ceiling = first << attempt
	}
	half := ceiling / 2

	return half + rand.N(ceiling-half+1)
}

// retryAfter reads a Retry-After header: a number of seconds or an HTTP date.
// A date in the past means no wait. ok is false for an absent or unreadable
// header.
func retryAfter(header string, now time.Time) (wait time.Duration, ok bool) {
	header = strings.TrimSpace(header)
	if header == "" {
		return 0, false
	}

	if seconds, err := strconv.ParseInt(header, 10, 64); err == nil {
		if seconds < 0 {
			return 0, false
		}
		const day = int64(24 * time.Hour / time.Second)
		return time.Duration(min(seconds, day)) * time.Second, true
	}

	date, err := http.ParseTime(header)
	if err != nil {
		return 0, false
	}

	return max(date.Sub(now), 0), true
}

// attemptsKey keys the attempt counter of one send in its context.
type attemptsKey struct{}

func withAttempts(ctx context.Context, n *int) context.Context {
	return context.WithValue(ctx, attemptsKey{}, n)
}

// countAttempt runs before every attempt of a request; it counts them in
// the counter that send put into the request's context.
func countAttempt(_ retryablehttp.Logger, req *http.Request, _ int) {
	if n, ok := req.Context().Value(attemptsKey{}).(*int); ok {
		*n++
	}
}

// tooLargeError is an answer over the size limit.
type tooLargeError struct {
	limit int64
}

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("the answer is larger than the limit of %d bytes", e.limit)
}
