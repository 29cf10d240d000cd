package features

import (
	"hash/maphash"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/ristretto/v2"
)

// l1 is the in-process cache in front of a store: per entity key, the
// values already converted to CEL (a *part), and per combination of entity
// keys the merged vector with its derived features (a *merged), so a hit
// builds no map and converts nothing.
//
// Entries expire after the TTL (by the Source's clock). Invalidate drops a
// key at once; a fill that raced with an invalidation of its key is
// dropped too (generation stripes), so an invalidated value is never
// re-cached by a read that started before the write.
//
// Beside the cache, held keeps per entity key the part last read from the
// store, which neither expiry, invalidation nor reset touches: what a
// decision falls back on while the store cannot be read (getStalePart).
// Invalidations are frequent (the decision path's velocity counts drop the
// customer of every decision they count, on every instance), so the
// fallback cannot be what the cache still keeps. held is bounded like the
// cache and shares the parts with it: it costs memory of its own only for
// parts the cache has dropped.
type l1 struct {
	c     *ristretto.Cache[string, any]
	held  *ristretto.Cache[string, *part]
	ttl   time.Duration
	seed  maphash.Seed
	epoch atomic.Uint64 // bumped by reset: every older entry is a miss
	gens  [256]atomic.Uint64
}

// part is one entity's converted values.
type part struct {
	entries []Entry
	ver     string // the entity's version in a versioned store
	epoch   uint64
	expires int64 // unix nanoseconds
}

// merged is the vector built from a combination of parts; it is valid
// until the earliest of its parts expires and while none of its keys was
// invalidated (their stripe generations are unchanged).
type merged struct {
	gens    [numEntities]uint64
	vers    [numEntities]string // its parts' versions
	vec     *Vector
	epoch   uint64
	expires int64
}

func newL1(ttl time.Duration, maxCost int64) (*l1, error) {
	c, err := ristretto.NewCache(&ristretto.Config[string, any]{
		NumCounters: max(maxCost/4, 1000),
		MaxCost:     maxCost,
		BufferItems: 64,
	})
	if err != nil {
		return nil, err
	}
	held, err := ristretto.NewCache(&ristretto.Config[string, *part]{
		NumCounters: max(maxCost/4, 1000),
		MaxCost:     maxCost,
		BufferItems: 64,
	})
	if err != nil {
		c.Close()
		return nil, err
	}
	return &l1{c: c, held: held, ttl: ttl, seed: maphash.MakeSeed()}, nil
}

func (c *l1) stripe(key string) *atomic.Uint64 {
	return &c.gens[maphash.String(c.seed, key)&255]
}

// gen is the generation of key's stripe, taken before a read of the store.
func (c *l1) gen(key string) uint64 { return c.stripe(key).Load() }

func (c *l1) getPart(key string, now int64) *part {
	v, ok := c.c.Get(key)
	if !ok {
		return nil
	}
	p, ok := v.(*part)
	if !ok || p.expires <= now || p.epoch != c.epoch.Load() {
		return nil
	}
	return p
}

// getStalePart returns the part last read from the store for key (held),
// however long ago, even when it was invalidated or L1 was reset since;
// for a store that cannot be read, whose caller marks its values stale
// and keeps only those within their max_age. nil when none is held.
func (c *l1) getStalePart(key string) *part {
	p, _ := c.held.Get(key)
	return p
}

// putPart caches p unless key was invalidated since gen was taken, and
// holds it as the part last read for key in any case.
func (c *l1) putPart(key string, p *part, gen uint64, now int64) {
	st := c.stripe(key)
	p.epoch = c.epoch.Load()
	p.expires = now + int64(c.ttl)
	c.held.Set(key, p, int64(len(p.entries)+1))
	if st.Load() != gen {
		return
	}
	// Expiry is checked against the Source's clock in getPart; ristretto's
	// own TTL would cost a time.Now per Get.
	c.c.Set(key, p, int64(len(p.entries)+1))
	if st.Load() != gen {
		c.c.Del(key)
	}
}

// getMerged returns the merged vector of the entity keys (mkey is their
// combination) if it is still valid.
func (c *l1) getMerged(mkey string, keys *[numEntities]string, now int64) *merged {
	v, ok := c.c.Get(mkey)
	if !ok {
		return nil
	}
	m, ok := v.(*merged)
	if !ok || m.expires <= now || m.epoch != c.epoch.Load() {
		return nil
	}
	for i, k := range keys {
		if k != "" && c.stripe(k).Load() != m.gens[i] {
			return nil
		}
	}
	return m
}

// putMerged caches m, whose gens were taken before its parts were read.
func (c *l1) putMerged(mkey string, m *merged, cost int) {
	m.epoch = c.epoch.Load()
	c.c.Set(mkey, m, int64(cost))
}

// invalidate drops key; fills of key already in flight are not cached.
func (c *l1) invalidate(key string) {
	c.stripe(key).Add(1)
	c.c.Del(key)
}

// reset makes every cached entry a miss.
func (c *l1) reset() {
	c.epoch.Add(1)
	for i := range c.gens {
		c.gens[i].Add(1)
	}
}

func (c *l1) close() {
	c.c.Close()
	c.held.Close()
}
