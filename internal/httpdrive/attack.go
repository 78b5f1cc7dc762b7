package httpdrive

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authbench/authbench/internal/httpserve"
)

// victimRing is how many recently issued credentials the CSRF attacker
// chooses its victims from.
const victimRing = 1024

type victim struct{ token, csrf string }

func (c *Client) addVictim(v *victim) {
	i := c.victimN.Add(1) - 1
	c.victims[i%victimRing].Store(v)
}

// AttackOrigin is the site the forged requests come from.
const AttackOrigin = "https://attacker.example"

// CSRFStats counts the forged cross-site requests of one run.
type CSRFStats struct {
	Attempts int64
	// CookieAttached: requests to which the simulated browser attached the
	// victim's cookies. A browser attaches them to a cross-site POST only
	// when the cookie is SameSite=None; with a bearer header there is
	// nothing ambient to attach.
	CookieAttached int64
	Accepted       int64 // the forged state change was executed: a false accept
	RefusedCSRF    int64 // 403: the CSRF defence refused it
	RefusedAuth    int64 // 401: no credential reached the server, or it was refused
	Errors         int64 // transport failures and other statuses
}

// attacker sends forged cross-site state-changing requests at a fixed
// rate during the measured period: the victim's cookies if the browser
// would attach them, another site's Origin, no CSRF token (a page on
// another origin cannot read it).
type attacker struct {
	c        *Client
	rate     float64
	duration time.Duration
	seed     uint64
	cl       *http.Client

	quit    chan struct{}
	wg      sync.WaitGroup
	once    sync.Once
	started atomic.Bool
	counts  CSRFStats // written by the attack goroutine only, read after stop
}

// EnableCSRF makes the client run a CSRF attacker at rate forged requests
// per second for duration from the measured start Begin receives. It uses
// a transport of its own, so the driver's byte and connection counts do
// not include the attack.
func (c *Client) EnableCSRF(rate float64, duration time.Duration, seed uint64) {
	t := c.transport(false, true)
	t.DialContext, t.DialTLSContext = nil, nil
	t.TLSClientConfig = ownSessions(c.d.tls)
	c.attacks = &attacker{c: c, rate: rate, duration: duration, seed: seed, quit: make(chan struct{}),
		cl: &http.Client{Transport: t, Timeout: c.cfg.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// CSRF stops the attacker and returns its counts (nil without one).
func (c *Client) CSRF() *CSRFStats {
	if c.attacks == nil {
		return nil
	}
	c.attacks.stop()
	s := c.attacks.counts
	return &s
}

func (a *attacker) begin(start time.Time) {
	if a.rate <= 0 || !a.started.CompareAndSwap(false, true) {
		return
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.run(start)
	}()
}

func (a *attacker) stop() {
	a.once.Do(func() { close(a.quit) })
	a.wg.Wait()
}

func (a *attacker) run(start time.Time) {
	rng := rand.New(rand.NewPCG(a.seed, 0xc5f))
	interval := time.Duration(float64(time.Second) / a.rate)
	end := start.Add(a.duration)
	for n := 0; ; n++ {
		due := start.Add(time.Duration(n) * interval)
		if !due.Before(end) {
			return
		}
		t := time.NewTimer(time.Until(due))
		select {
		case <-a.quit:
			t.Stop()
			return
		case <-t.C:
		}
		a.forge(rng)
	}
}

// forge sends one forged request.
func (a *attacker) forge(rng *rand.Rand) {
	c := a.c
	var v *victim
	for range 8 { // a victim whose credential was not logged out
		i := c.victimN.Load()
		if i == 0 {
			return
		}
		cand := c.victims[rng.Uint64N(min(i, victimRing))].Load()
		if cand == nil {
			continue
		}
		if c.cfg.Credential == httpserve.InCookie {
			if _, live := c.csrf.Load(cand.token); !live {
				continue
			}
		}
		v = cand
		break
	}
	if v == nil {
		return
	}
	u := *c.base
	u.Path = c.cfg.Protocol.Validate.Path
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader("to=attacker&amount=1000"))
	if err != nil {
		a.counts.Errors++
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", AttackOrigin)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	a.counts.Attempts++
	if c.cfg.Credential == httpserve.InCookie && http.SameSite(c.sameSite.Load()) == http.SameSiteNoneMode {
		ck := c.cookie + "=" + v.token
		if v.csrf != "" {
			ck += "; " + httpserve.CookieCSRF + "=" + v.csrf
		}
		req.Header.Set("Cookie", ck)
		a.counts.CookieAttached++
	}
	resp, err := a.cl.Do(req)
	if err != nil {
		a.counts.Errors++
		return
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		a.counts.Accepted++
	case resp.StatusCode == http.StatusForbidden:
		a.counts.RefusedCSRF++
	case resp.StatusCode == http.StatusUnauthorized:
		a.counts.RefusedAuth++
	default:
		a.counts.Errors++
	}
}
