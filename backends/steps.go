package backends

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

// How a server validates a token, step by step, and what each step costs.
// MeasureSteps takes a node of a token backend apart: it replays, with the
// node's own parser, keys and claim rules, each stage its Validate goes
// through, times each one alone in a short loop, and times the whole
// verification and the node's Validate the same way, so that a reader can
// see both the shares and whether the stages add up to the whole.

// ValidationStep is one stage of a validation and its cost.
type ValidationStep struct {
	// Name says what the stage does, in the order Validate does it.
	Name string
	// NSPerOp is its cost: the median over rounds of the mean time per call.
	NSPerOp float64
}

// StepCosts is what MeasureSteps found for one backend.
type StepCosts struct {
	Steps []ValidationStep
	// VerifyNSPerOp is the backend's whole token check (every step in one
	// call, as Validate makes it), timed the same way as the steps.
	VerifyNSPerOp float64
	// ValidateNSPerOp is the node's Validate: the token check plus, for a
	// hybrid, its store check.
	ValidateNSPerOp float64
	// Rounds is how many timed rounds each figure is the median of, and
	// Calls how many calls were timed in all (every step and whole).
	Rounds int
	Calls  int64
	// Clock is what was counted: ClockThreadCPU or ClockWall.
	Clock string
}

// The clocks step timings are read from.
const (
	// ClockThreadCPU is the CPU time of the measuring thread (Linux): on a
	// busy machine, the time other processes held the CPU is not counted.
	ClockThreadCPU = "thread CPU time"
	// ClockWall is elapsed time, where thread CPU time cannot be read.
	ClockWall = "wall time"
)

// StepRounds is how many timed rounds each figure is the median of.
const StepRounds = 7

// namedOp is one stage to time.
type namedOp struct {
	name string
	op   func() error
}

// MeasureSteps logs one user in on node (a node of a token backend whose
// clock keeps the token valid for the whole measurement, which takes
// longer than a short token.ttl), then times each stage of validating that token,
// the whole verification and Validate, spending about 2×budget on each.
// The token must pass every stage: a stage that fails is an error.
func MeasureSteps(ctx context.Context, node Strategy, budget time.Duration) (StepCosts, error) {
	cred, err := node.Issue(ctx, "steps-user")
	if err != nil {
		return StepCosts{}, fmt.Errorf("steps: log in: %w", err)
	}
	tok := cred.Token
	var (
		ops    []namedOp
		verify func() error
	)
	switch c := codecOf(node).(type) {
	case *jwtCodec:
		if ops, err = c.steps(tok); err != nil {
			return StepCosts{}, err
		}
		verify = func() error { _, err := c.verify(tok); return err }
	case *jweCodec:
		if ops, err = c.steps(tok); err != nil {
			return StepCosts{}, err
		}
		verify = func() error { _, err := c.verify(tok); return err }
	default:
		return StepCosts{}, fmt.Errorf("steps: %T is not a token backend", node)
	}
	validate := func() error { return node.Validate(ctx, tok) }
	ops = append(ops, namedOp{"whole verification", verify}, namedOp{"Validate", validate})
	ns, calls, clock, err := timeOps(budget, ops)
	if err != nil {
		return StepCosts{}, fmt.Errorf("steps: %w", err)
	}
	out := StepCosts{Rounds: StepRounds, Calls: calls, Clock: clock}
	for i, s := range ops[:len(ops)-2] {
		out.Steps = append(out.Steps, ValidationStep{Name: s.name, NSPerOp: ns[i]})
	}
	out.VerifyNSPerOp, out.ValidateNSPerOp = ns[len(ops)-2], ns[len(ops)-1]
	return out, nil
}

// codecOf returns the token codec behind a node (nil for a backend that
// issues no JWT or JWE).
func codecOf(node Strategy) any {
	switch s := node.(type) {
	case *stateless:
		return s.c
	case interface{ jwt() *jwtCodec }: // the hybrids (jwtIssuer)
		return s.jwt()
	}
	return nil
}

// timeOps times each op in batches: each op's batch grows until it lasts
// budget / StepRounds, then StepRounds rounds time one batch of every op in
// turn, so that a disturbance falls on several ops of one round rather
// than on every round of one op. Each op's figure is the median over rounds
// of its mean time per call; calls counts every call. The goroutine keeps
// its thread, whose CPU time is the clock where it can be read (the time
// other processes take on a busy machine is then not counted), and the
// wall clock elsewhere; the clock's name is returned.
func timeOps(budget time.Duration, ops []namedOp) ([]float64, int64, string, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	clock, name := threadCPU, ClockThreadCPU
	if _, ok := threadCPU(); !ok {
		start := time.Now()
		clock, name = func() (time.Duration, bool) { return time.Since(start), true }, ClockWall
	}
	var calls int64
	batch := func(op namedOp, n int) (time.Duration, error) {
		start, _ := clock()
		for range n {
			if err := op.op(); err != nil {
				return 0, fmt.Errorf("%s: %w", op.name, err)
			}
		}
		end, _ := clock()
		calls += int64(n)
		return end - start, nil
	}
	per := max(budget/StepRounds, time.Microsecond)
	sizes := make([]int, len(ops))
	for i, op := range ops {
		n := 1
		for {
			d, err := batch(op, n)
			if err != nil {
				return nil, calls, name, err
			}
			if d >= per || n >= 1<<24 {
				break
			}
			// Grow towards the target, at most 10× at a time.
			grow := 10.0
			if d > 0 {
				grow = min(grow, 1.2*float64(per)/float64(d))
			}
			n = max(n+1, int(float64(n)*grow))
		}
		sizes[i] = n
	}
	samples := make([][]float64, len(ops))
	for range StepRounds {
		for i, op := range ops {
			d, err := batch(op, sizes[i])
			if err != nil {
				return nil, calls, name, err
			}
			samples[i] = append(samples[i], float64(d.Nanoseconds())/float64(sizes[i]))
		}
	}
	out := make([]float64, len(ops))
	for i, s := range samples {
		slices.Sort(s)
		out[i] = s[len(s)/2]
	}
	return out, calls, name, nil
}

// signatureStep names the signature check of alg with the key's size.
func signatureStep(alg string, key any) string {
	switch alg {
	case "HS256":
		return "signature: HMAC-SHA256"
	case "RS256":
		if k, ok := key.(*rsa.PublicKey); ok {
			return fmt.Sprintf("signature: RSA-%d PKCS#1 v1.5 SHA-256 verify", k.N.BitLen())
		}
		return "signature: RSA PKCS#1 v1.5 SHA-256 verify"
	case "ES256":
		return "signature: ECDSA P-256 SHA-256 verify"
	case "EdDSA":
		return "signature: Ed25519 verify"
	}
	return "signature: " + alg
}

// steps lists the stages of c.verify for tok, each as a call that does that
// stage alone on inputs the earlier stages produced (computed once here).
// golang-jwt's ParseWithClaims is ParseUnverified (split, base64url of the
// three segments, JSON of header and claims), the algorithm allow-list, the
// key function, the signature check and the claims validator: the same
// calls, taken apart.
func (c *jwtCodec) steps(tok string) ([]namedOp, error) {
	var claims checkedClaims
	t, parts, err := c.parser.ParseUnverified(tok, &claims)
	if err != nil {
		return nil, err
	}
	if t.Method == nil || t.Method.Alg() != c.alg {
		return nil, errors.New("token of another algorithm")
	}
	validator := jwt.NewValidator(claimsOptions(&c.tc, c.now)...)
	return []namedOp{
		{"size limit and canonical base64url check", func() error {
			if len(tok) > c.maxBytes {
				return ErrTooLarge
			}
			return checkCompact(tok, 3)
		}},
		{"decode: base64url of the segments, JSON of header and claims", func() error {
			var cl checkedClaims
			_, _, err := c.parser.ParseUnverified(tok, &cl)
			return err
		}},
		{"key look-up: kid, refused headers", func() error {
			_, err := c.key(t)
			return err
		}},
		{signatureStep(c.alg, c.verifyKey), func() error {
			// The signing input is joined per call, as golang-jwt does.
			return t.Method.Verify(strings.Join(parts[0:2], "."), t.Signature, c.verifyKey)
		}},
		{"claims: exp, nbf, iat, iss, aud, jti", func() error {
			return validator.Validate(&claims)
		}},
	}, nil
}

// decryptStep names the key management and content decryption of alg.
func decryptStep(alg jose.KeyAlgorithm) string {
	switch alg {
	case jose.DIRECT:
		return "decrypt: AES-256-GCM (dir, no key wrap)"
	case jose.RSA_OAEP_256:
		return "decrypt: RSA-OAEP-256 key unwrap + AES-256-GCM"
	case jose.ECDH_ES_A256KW:
		return "decrypt: ECDH-ES P-256 agreement + A256KW unwrap + AES-256-GCM"
	}
	return "decrypt: " + string(alg)
}

// steps lists the stages of c.verify for tok (see the jwtCodec's steps);
// a nested token's inner JWS stages follow the decryption.
func (c *jweCodec) steps(tok string) ([]namedOp, error) {
	obj, err := jose.ParseEncryptedCompact(tok, c.keyAlgs, jweContent)
	if err != nil {
		return nil, err
	}
	plaintext, err := obj.Decrypt(c.decKey)
	if err != nil {
		return nil, err
	}
	ops := []namedOp{
		{"size limit and canonical base64url check", func() error {
			if len(tok) > c.maxBytes {
				return ErrTooLarge
			}
			return checkCompact(tok, 5)
		}},
		{"parse: base64url segments, JSON of the protected header", func() error {
			_, err := jose.ParseEncryptedCompact(tok, c.keyAlgs, jweContent)
			return err
		}},
		{"header checks: kid, refused headers, zip, cty", func() error {
			return c.checkHeader(&obj.Header)
		}},
		{decryptStep(c.keyAlg), func() error {
			_, err := obj.Decrypt(c.decKey)
			return err
		}},
	}
	if c.inner != nil {
		inner, err := c.inner.steps(string(plaintext))
		if err != nil {
			return nil, err
		}
		for _, s := range inner {
			ops = append(ops, namedOp{"inner JWS " + s.name, s.op})
		}
		return ops, nil
	}
	var claims checkedClaims
	if err := json.Unmarshal(plaintext, &claims); err != nil {
		return nil, err
	}
	return append(ops,
		namedOp{"decode: JSON of the claims", func() error {
			var cl checkedClaims
			return json.Unmarshal(plaintext, &cl)
		}},
		namedOp{"claims: exp, nbf, iat, iss, aud, jti", func() error {
			return c.validator.Validate(&claims)
		}},
	), nil
}
