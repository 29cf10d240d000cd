package links_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/comms/links"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/store"
)

var t0 = time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)

func TestLinksRedirectRecordAndExpire(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := testenv.NewClock(t0, time.Millisecond)
		var mu sync.Mutex
		var told []links.Click
		svc, err := links.New(links.Config{DB: db, Now: clk.Now, TTL: 24 * time.Hour, OnClick: func(_ context.Context, c links.Click) error {
			mu.Lock()
			defer mu.Unlock()
			told = append(told, c)
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		l, err := svc.Create(ctx, links.Link{CustomerID: "C1", MessageID: "msg_1", CampaignID: "cmp_1", Target: "https://nirnay.in/offer?x=1"})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Token) != links.TokenLength || l.URL != "https://nirnay.in/l/"+l.Token || len(l.URL) > 30 {
			t.Fatalf("link %+v: want a %d-character token in a URL of at most 30 characters", l, links.TokenLength)
		}
		other, _ := svc.Create(ctx, links.Link{CustomerID: "C1", Target: "https://nirnay.in/offer?x=1"})
		if other.Token == l.Token {
			t.Fatalf("two links share the token %s", l.Token)
		}
		for range 2 {
			got, err := svc.Follow(ctx, l.Token)
			if err != nil || got.Target != "https://nirnay.in/offer?x=1" || got.CampaignID != "cmp_1" {
				t.Fatalf("Follow: %+v %v", got, err)
			}
		}
		clicks, err := svc.Clicks(ctx, "C1", time.Time{}, time.Time{}, 10)
		if err != nil || len(clicks) != 2 || clicks[0].MessageID != "msg_1" || !clicks[0].At.Before(clicks[1].At) {
			t.Errorf("clicks %+v %v, want two, oldest first, of msg_1", clicks, err)
		}
		if len(told) != 2 || told[0].CustomerID != "C1" {
			t.Errorf("OnClick was told %+v, want both clicks of C1", told)
		}
		// Unknown, malformed, tampered and expired tokens answer alike.
		tampered := l.Token[:links.TokenLength-1] + map[bool]string{true: "b", false: "a"}[strings.HasSuffix(l.Token, "a")]
		for _, tok := range []string{"AAAAAAAAAA", "short", "../../etc", tampered, l.Token + "x"} {
			if _, err := svc.Follow(ctx, tok); !errors.Is(err, links.ErrNoLink) {
				t.Errorf("Follow(%q): %v, want ErrNoLink", tok, err)
			}
		}
		clk.Add(25 * time.Hour)
		if _, err := svc.Follow(ctx, l.Token); !errors.Is(err, links.ErrNoLink) {
			t.Errorf("a day and an hour later: %v, want ErrNoLink", err)
		}
		if n, _ := svc.Clicks(ctx, "C1", time.Time{}, time.Time{}, 10); len(n) != 2 {
			t.Errorf("%d clicks after the refusals, want still 2", len(n))
		}
		for _, bad := range []links.Link{{CustomerID: "C1", Target: "http://nirnay.in/x"}, {Target: "https://nirnay.in/x"}} {
			if _, err := svc.Create(ctx, bad); !nirnay.IsKind(err, nirnay.KindInvalid) {
				t.Errorf("Create(%+v): %v, want invalid", bad, err)
			}
		}
	})
}
