package backends

import (
	"encoding/json"

	"github.com/go-jose/go-jose/v4"
)

// LibraryPart returns the library calls (golang-jwt, go-jose,
// encoding/json) that Validate of s makes for a token that passes
// authbench's own checks, stopping where Validate would stop, and nothing
// of authbench's code around them; nil when s calls no library. The
// refusal-allocation test subtracts what they allocate, so that it counts
// what authbench itself adds.
func LibraryPart(s Strategy) func(token string) {
	if c, ok := codecOf(s).(interface{ libraryPart(string) }); ok {
		return c.libraryPart
	}
	return nil
}

func (c *jwtCodec) libraryPart(token string) {
	var claims checkedClaims
	c.parser.ParseWithClaims(token, &claims, c.keyfunc)
}

func (c *jweCodec) libraryPart(token string) {
	obj, err := jose.ParseEncryptedCompact(token, c.keyAlgs, jweContent)
	if err != nil {
		return
	}
	plaintext, err := obj.Decrypt(c.decKey)
	if err != nil {
		return
	}
	if c.inner != nil {
		c.inner.libraryPart(string(plaintext))
		return
	}
	var claims checkedClaims
	if json.Unmarshal(plaintext, &claims) == nil {
		c.validator.Validate(&claims)
	}
}
