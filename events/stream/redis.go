// Package stream is the durable log that ingested events land on before
// consumers read them (DESIGN §10): Redis Streams with consumer groups in
// production (Redis), and an embedded log in the SQL database for the
// embedded default (SQL).
//
// Both give the same contract:
//   - Append returns only once every message is durable on the stream, with
//     the ids it was given, in order;
//   - each consumer group sees every message; within a group a message is
//     delivered to one consumer and stays pending until acknowledged;
//   - Claim hands a group's pending messages that no consumer has touched
//     for minIdle to another consumer (Redis XAUTOCLAIM), so a consumer
//     that died never strands its messages;
//   - delivery is at least once: consumers must be idempotent.
package stream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Message is one message read from the stream.
type Message struct {
	ID   string // the stream's id (Redis "1700000000000-0", SQL "42")
	Data []byte
}

// DefaultMaxLen bounds a Redis stream's length (approximately): the oldest
// messages are trimmed beyond it. It is far above what a healthy set of
// consumers leaves unacknowledged; size Redis memory for it.
const DefaultMaxLen = 5_000_000

// Redis is a stream on a Redis Stream key. It is safe for concurrent use.
type Redis struct {
	rdb    redis.UniversalClient
	key    string
	maxLen int64
}

// NewRedis returns the stream stored at prefix+"events" on rdb. maxLen ≤ 0
// takes DefaultMaxLen.
func NewRedis(rdb redis.UniversalClient, prefix string, maxLen int64) *Redis {
	if maxLen <= 0 {
		maxLen = DefaultMaxLen
	}
	return &Redis{rdb: rdb, key: prefix + "events", maxLen: maxLen}
}

// Key is the Redis key of the stream.
func (r *Redis) Key() string { return r.key }

// EnsureGroup creates the consumer group if it does not exist, positioned
// at the start of the stream (a new group reads everything retained).
func (r *Redis) EnsureGroup(ctx context.Context, group string) error {
	err := r.rdb.XGroupCreateMkStream(ctx, r.key, group, "0").Err()
	if err != nil && !redis.HasErrorPrefix(err, "BUSYGROUP") {
		return fmt.Errorf("create consumer group %s: %w", group, err)
	}
	return nil
}

// Append adds the messages in one round trip and returns their ids. When it
// returns nil every message is on the stream (as durable as the Redis
// server's persistence settings make it: run production Redis with
// appendonly yes).
func (r *Redis) Append(ctx context.Context, data [][]byte) ([]string, error) {
	pipe := r.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(data))
	for i, d := range data {
		cmds[i] = pipe.XAdd(ctx, &redis.XAddArgs{Stream: r.key, MaxLen: r.maxLen, Approx: true, Values: []any{"d", d}})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("append to stream: %w", err)
	}
	ids := make([]string, len(cmds))
	for i, c := range cmds {
		ids[i] = c.Val()
	}
	return ids, nil
}

// Read returns up to count new messages for consumer in group, waiting up
// to block for the first one. No messages and no error means the wait
// ended empty.
func (r *Redis) Read(ctx context.Context, group, consumer string, count int, block time.Duration) ([]Message, error) {
	res, err := r.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: consumer, Streams: []string{r.key, ">"}, Count: int64(count), Block: block}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read stream group %s: %w", group, err)
	}
	var out []Message
	for _, s := range res {
		out = appendMessages(out, s.Messages)
	}
	return out, nil
}

// Claim moves up to count of group's messages that have been pending for
// at least minIdle (on any consumer, including a dead one or consumer
// itself before a restart) to consumer and returns them (XAUTOCLAIM).
func (r *Redis) Claim(ctx context.Context, group, consumer string, minIdle time.Duration, count int) ([]Message, error) {
	var out []Message
	start := "0-0"
	for len(out) < count {
		msgs, next, err := r.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: r.key, Group: group, Consumer: consumer, MinIdle: minIdle, Start: start, Count: int64(count - len(out))}).Result()
		if err != nil {
			return out, fmt.Errorf("claim pending of group %s: %w", group, err)
		}
		out = appendMessages(out, msgs)
		if next == "0-0" || next == "" {
			break
		}
		start = next
	}
	return out, nil
}

func appendMessages(out []Message, msgs []redis.XMessage) []Message {
	for _, m := range msgs {
		d, _ := m.Values["d"].(string)
		out = append(out, Message{ID: m.ID, Data: []byte(d)})
	}
	return out
}

// Ack acknowledges messages of group; acknowledging twice is harmless.
func (r *Redis) Ack(ctx context.Context, group string, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := r.rdb.XAck(ctx, r.key, group, ids...).Err(); err != nil {
		return fmt.Errorf("ack group %s: %w", group, err)
	}
	return nil
}

// Pending returns how many of group's messages are delivered but not yet
// acknowledged, and how many are not yet delivered (lag).
func (r *Redis) Pending(ctx context.Context, group string) (pending, lag int64, err error) {
	gs, err := r.rdb.XInfoGroups(ctx, r.key).Result()
	if err != nil {
		return 0, 0, fmt.Errorf("stream groups: %w", err)
	}
	for _, g := range gs {
		if g.Name == group {
			return g.Pending, g.Lag, nil
		}
	}
	return 0, 0, fmt.Errorf("stream group %s does not exist", group)
}
