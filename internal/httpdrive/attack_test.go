package httpdrive

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/authbench/authbench/internal/httpserve"
)

// The forged cross-site request succeeds only where a browser attaches
// the cookie (SameSite=None) and the server checks no CSRF token; with a
// bearer header there is no ambient credential to abuse.
func TestCSRFAttacker(t *testing.T) {
	cases := []struct {
		in, sameSite string
		noCSRF       bool
		attached     bool   // the browser sends the victim's cookie
		want         string // accepted, csrf (403) or auth (401)
	}{
		{httpserve.InCookie, "none", false, true, "csrf"},
		{httpserve.InCookie, "none", true, true, "accepted"},
		{httpserve.InCookie, "lax", true, false, "auth"},
		{httpserve.InCookie, "strict", true, false, "auth"},
		{httpserve.InHeader, "", true, false, "auth"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s-%s-nocsrf=%v", tc.in, tc.sameSite, tc.noCSRF), func(t *testing.T) {
			st := stack(t, "session-memory", "https", httpserve.Config{Credential: tc.in, SameSite: tc.sameSite, NoCSRF: tc.noCSRF}, Config{})
			c := ClientOf(st)
			for i := range 20 {
				if _, err := st.Issue(context.Background(), fmt.Sprint("user-", i)); err != nil {
					t.Fatal(err)
				}
			}
			c.EnableCSRF(500, 100*time.Millisecond, 1)
			c.Begin(time.Now())
			c.attacks.wg.Wait() // the attacker stops by itself after its duration
			s := c.CSRF()
			if s.Attempts < 10 || s.Errors != 0 {
				t.Fatalf("%+v: want at least 10 attempts and no errors", *s)
			}
			if (s.CookieAttached == s.Attempts) != tc.attached || (s.CookieAttached != 0) != tc.attached {
				t.Errorf("cookie attached to %d of %d forged requests, want all: %v", s.CookieAttached, s.Attempts, tc.attached)
			}
			got := map[string]int64{"accepted": s.Accepted, "csrf": s.RefusedCSRF, "auth": s.RefusedAuth}
			if got[tc.want] != s.Attempts {
				t.Errorf("%+v: want every attempt counted as %s", *s, tc.want)
			}
		})
	}
}
