package runner

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// CheckPathSegment reports whether s can name an account or a job. The value
// becomes one URL path segment, escaped, but a proxy or server that decodes
// %2F before routing would still see a separator; so slashes and backslashes
// are refused, as are dot segments, control and invisible formatting
// characters, and surrounding spaces.
func CheckPathSegment(s string) error {
	switch {
	case s == "":
		return errors.New("it is empty")
	case s == "." || s == "..":
		return fmt.Errorf("%q is a relative path segment", s)
	case strings.ContainsAny(s, `/\`):
		return errors.New("it contains a slash or a backslash")
	case strings.TrimSpace(s) != s:
		return errors.New("it starts or ends with white space")
	case strings.ContainsFunc(s, unicode.IsControl):
		return errors.New("it contains control characters")
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Cf, r) }):
		return errors.New("it contains invisible formatting characters")
	}

	return nil
}

// checkSegments runs CheckPathSegment on each value, which name names.
func checkSegments(named ...[2]string) error {
	for _, n := range named {
		if err := CheckPathSegment(n[1]); err != nil {
			return fmt.Errorf("invalid %s %q: %w", n[0], n[1], err)
		}
	}

	return nil
}
