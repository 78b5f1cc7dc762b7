package scenarios

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Error is a refusal with its place: a file position, or the --set flag
// that introduced the offending value (Line and Col are then 0).
type Error struct {
	File string // the scenario file, or "--set path=value"
	Line int    // from 1; 0 when there is no position
	Col  int    // from 1; 0 when there is no position
	Msg  string // plain English, no position
}

// Error formats as "file:line:col: message", or "file: message" without
// a position.
func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// origin is where a value came from. Overrides (--set values and sweep
// points) take the blame first when a rule involves several fields, since
// they are the most recent change the user made.
type origin struct {
	File      string
	Line, Col int
	Override  bool
}

func (o origin) errorf(format string, args ...any) *Error {
	return &Error{File: o.File, Line: o.Line, Col: o.Col, Msg: fmt.Sprintf(format, args...)}
}

// suggest returns the candidate closest to word when it is close enough to
// be a plausible typo, or "".
func suggest(word string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		d := editDistance(strings.ToLower(word), strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	limit := 2
	if len(word) <= 4 {
		limit = 1
	}
	if bestD < 0 || bestD > limit {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance, bounded in cost by the short
// names it compares (field and backend names).
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 20
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// didYouMean formats the suggestion suffix of an "unknown" message.
func didYouMean(word string, candidates []string) string {
	if s := suggest(word, candidates); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	return " (known: " + strings.Join(sorted, ", ") + ")"
}

// quoteClip quotes s for a message, shortening hostile input.
func quoteClip(s string) string {
	if c := cut(s, 40); c != s {
		return fmt.Sprintf("%q…", c)
	}
	return fmt.Sprintf("%q", s)
}

// clip shortens hostile input for a message, unquoted: a command-line value
// may be as long as the system allows, and an error that echoes it whole
// buries itself.
func clip(s string) string {
	if c := cut(s, 80); c != s {
		return c + "…"
	}
	return s
}

// cut returns at most n bytes of s, never splitting a character.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
