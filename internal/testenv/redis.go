package testenv

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
)

// RedisClient returns a client of the test Redis, its options first passed
// to each of tune, and a key prefix unique to the test. When the test ends
// the keys under the prefix are deleted and the client is closed.
func RedisClient(t testing.TB, tune ...func(*redis.Options)) (*redis.Client, string) {
	t.Helper()
	u, prefix := Redis(t)
	opts, err := redis.ParseURL(u)
	if err != nil {
		t.Fatalf("parse %s: %v", RedisEnv, err)
	}
	for _, f := range tune {
		f(opts)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() {
		DeleteKeys(rdb, prefix)
		rdb.Close()
	})
	return rdb, prefix
}

// DeleteKeys deletes the keys under prefix (a test's, at its end).
func DeleteKeys(rdb *redis.Client, prefix string) {
	ctx := context.Background()
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		rdb.Del(ctx, iter.Val())
	}
}
