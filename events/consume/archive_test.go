package consume

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nirnay/nirnay/events/ingest"
)

// archiveBatch is n sms events of customers C-0…C-(customers-1), received
// on day, with raw stream encodings as the Runner passes them.
func archiveBatch(t *testing.T, idPrefix string, n, customers int, day time.Time) []ingest.Event {
	t.Helper()
	evs := smsEvents(t, n, customers, idPrefix)
	for i := range evs {
		evs[i].ReceivedAt = day
		raw, err := ingest.Encode(nil, &evs[i])
		if err != nil {
			t.Fatal(err)
		}
		evs[i].Raw = raw
	}
	return evs
}

func TestArchiveSegmentsAndCustomerDay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, err := NewArchive(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	day1 := testNow
	day2 := testNow.Add(24 * time.Hour)
	b1 := archiveBatch(t, "a", 100, 7, day1)
	b2 := archiveBatch(t, "b", 50, 7, day2)
	// A batch spanning two days, and a redelivered batch.
	if _, err := a.Handle(ctx, append(append([]ingest.Event{}, b1...), b2...)); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Handle(ctx, b1[:30]); err != nil {
		t.Fatal(err)
	}
	// A member torn by a failed write is cut off before the next append.
	seg := a.segment(day1.Format("2006-01-02"))
	a.Close()
	f, err := os.OpenFile(seg+".jsonl.gz", os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 0x01})
	f.Close()
	delete(a.checked, seg)
	b3 := archiveBatch(t, "c", 20, 7, day1)
	if _, err := a.Handle(ctx, b3); err != nil {
		t.Fatal(err)
	}
	a.Close()

	ids := map[string]int{}
	if err := ReadArchive(a.Dir(), func(ev ingest.Event) error { ids[ev.ID]++; return nil }); err != nil {
		t.Fatal(err)
	}
	if want := len(b1) + len(b2) + len(b3); len(ids) != want {
		t.Errorf("ReadArchive gave %d distinct events, want %d", len(ids), want)
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("ReadArchive gave %s %d times, want once", id, n)
		}
	}
	files, _ := filepath.Glob(filepath.Join(a.Dir(), "*", "seg.*"))
	if len(files) != 4 {
		t.Errorf("archive files %v, want a segment and an index for each of 2 days", files)
	}

	// Each customer's day holds exactly the customer's events of that day.
	for _, tc := range []struct {
		day  time.Time
		evs  []ingest.Event
		name string
	}{{day1, append(append([]ingest.Event{}, b1...), b3...), "day 1"}, {day2, b2, "day 2"}} {
		for c := 0; c < 7; c++ {
			cust := fmt.Sprintf("C-%d", c)
			want := map[string]bool{}
			for _, ev := range tc.evs {
				if ev.CustomerID == cust {
					want[ev.ID] = true
				}
			}
			got := map[string]bool{}
			err := ReadCustomerDay(a.Dir(), tc.day.Format("2006-01-02"), cust, func(ev ingest.Event) error {
				if got[ev.ID] {
					t.Errorf("%s %s: event %s given twice", tc.name, cust, ev.ID)
				}
				if ev.CustomerID != cust || !ev.At.Equal(findEvent(tc.evs, ev.ID).At) {
					t.Errorf("%s %s: got event %+v, not the archived one", tc.name, cust, ev)
				}
				got[ev.ID] = true
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Errorf("%s %s: ReadCustomerDay gave %d events, want %d", tc.name, cust, len(got), len(want))
			}
		}
	}
	if err := ReadCustomerDay(a.Dir(), "2026-13-01", "C-1", func(ingest.Event) error { return nil }); err == nil {
		t.Error("ReadCustomerDay accepted day 2026-13-01, want an error")
	}
}

func findEvent(evs []ingest.Event, id string) ingest.Event {
	for _, ev := range evs {
		if ev.ID == id {
			return ev
		}
	}
	return ingest.Event{}
}
