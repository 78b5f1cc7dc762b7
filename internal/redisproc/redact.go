package redisproc

import (
	"net/url"
	"strings"
)

// Redact returns rawURL fit to print or to write into a run folder: the
// user info (user name and password) is replaced by "xxxxx", and a URL that
// does not parse is replaced whole, since it may still hold a secret.
// url.URL.Redacted keeps the user name and hides only the password; a
// Redis ACL user name can be half of a credential, so both go.
func Redact(rawURL string) string {
	if rawURL == "" {
		return ""
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		if strings.ContainsAny(rawURL, "@:") {
			return "(unparsable URL, redacted)"
		}
		return rawURL
	}
	if u.User != nil {
		u.User = url.User("xxxxx")
	}
	// go-redis also reads a password from the query (?password=…).
	if q := u.Query(); q.Has("password") || q.Has("username") || q.Has("sentinel_password") || q.Has("sentinel_username") {
		for _, k := range []string{"password", "username", "sentinel_password", "sentinel_username"} {
			if q.Has(k) {
				q.Set(k, "xxxxx")
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}
