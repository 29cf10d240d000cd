package features

import (
	"context"
	"testing"
	"time"
)

func TestAsOfServesPastVectors(t *testing.T) {
	t.Parallel()
	b := fpBuilder(t)
	st := fpLocal(t, b, newFakeClock().Now)
	ctx := context.Background()
	c1 := EntityKey{"customer", "C1"}
	writes := []Write{
		{Key: c1, Values: map[string]any{"monthly_income": 40000, "total_emi": 4000, "fresh_flag": true}, AsOf: fpT0},
		{Key: c1, Values: map[string]any{"monthly_income": 50000, "total_emi": 20000}, AsOf: fpT0.Add(24 * time.Hour)},
		{Key: EntityKey{"device", "d1"}, Values: map[string]any{"device_rooted": true}, AsOf: fpT0.Add(time.Hour)},
	}
	for _, w := range writes {
		if err := st.Write(ctx, []Write{w}, fpT0); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Apply(ctx, ev("a1", "loan_application", fpT0.Add(10*time.Minute), map[string]string{"customer": "C1"}, nil)); err != nil {
		t.Fatal(err)
	}
	src := NewAsOf(b, st)
	cases := []struct {
		at   time.Time
		want map[string]any // nil value: missing
	}{
		{fpT0.Add(30 * time.Minute), map[string]any{"emi_to_income": 0.1, "fresh_flag": true, "device_rooted": nil, "apps_1h": int64(1), "amount": int64(5)}},
		{fpT0.Add(2 * time.Hour), map[string]any{"emi_to_income": 0.1, "fresh_flag": nil, "device_rooted": true, "apps_1h": int64(0)}},
		{fpT0.Add(25 * time.Hour), map[string]any{"emi_to_income": 0.4, "monthly_income": int64(50000)}},
		{fpT0.Add(-time.Hour), map[string]any{"monthly_income": nil, "emi_to_income": nil}},
	}
	for _, c := range cases {
		v, err := src.Vector(ctx, Request{CustomerID: "C1", Input: map[string]any{"device_id": "d1", "amount": 5}, Now: c.at})
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range c.want {
			got, ok := fpValue(t, v, name, c.at)
			if want == nil {
				if ok {
					t.Errorf("as of %s: %s = %v, want missing", c.at, name, got)
				}
				continue
			}
			if got != want {
				t.Errorf("as of %s: %s = %v, want %v", c.at, name, got, want)
			}
		}
	}
	if _, err := src.Vector(ctx, Request{CustomerID: "C1"}); err == nil {
		t.Errorf("as-of vector without a time: want an error")
	}
}
