package models

import (
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// tokenCacheTTL is how long an API token that worked is taken as still
// working without asking the database. Under load the database is the
// slowest part of a cheap request carrying a token: the lookup waits for a
// connection and for CPU the heavy queries hold. Revoking a token through
// this server forgets every remembered token at once; another replica
// goes on accepting a revoked token for at most this long.
const tokenCacheTTL = 5 * time.Second

// tokenCacheSize bounds the tokens remembered: a deployment has a few
// dozen; a flood of distinct valid tokens evicts the oldest.
const tokenCacheSize = 1024

// tokenCache remembers the callers of API tokens recently authenticated,
// by the hash of their secret (never the secret itself).
type tokenCache struct {
	lru *expirable.LRU[string, User]
	now func() time.Time
	// generation counts revocations: a lookup that began before one does
	// not remember what it read, which may predate it.
	generation atomic.Uint64
}

func newTokenCache() *tokenCache {
	return &tokenCache{lru: expirable.NewLRU[string, User](tokenCacheSize, nil, tokenCacheTTL), now: time.Now}
}

// get returns a copy of the caller remembered for hash, so that no request
// changes another's.
func (c *tokenCache) get(hash string) (*User, bool) {
	u, ok := c.lru.Get(hash)
	if !ok {
		return nil, false
	}
	u.Organizations = append([]uint(nil), u.Organizations...)
	return &u, true
}

// put remembers u for hash, as read by a lookup that began at generation
// gen, unless a token was revoked since or this one expires before the
// entry would.
func (c *tokenCache) put(hash string, u *User, expiresAt *time.Time, gen uint64) {
	if expiresAt != nil && expiresAt.Before(c.now().Add(tokenCacheTTL)) {
		return
	}
	v := *u
	v.Organizations = append([]uint(nil), u.Organizations...)
	if c.generation.Load() == gen {
		c.lru.Add(hash, v)
	}
	if c.generation.Load() != gen {
		c.lru.Remove(hash) // a revocation raced the Add
	}
}

// forget drops every remembered token: one was revoked.
func (c *tokenCache) forget() {
	c.generation.Add(1)
	c.lru.Purge()
}
