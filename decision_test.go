package nirnay

import (
	"encoding/json"
	"testing"
)

func TestOfferReadBackKeepsIntegers(t *testing.T) {
	b, err := json.Marshal(Offer{"limit": int64(120000), "annual_rate_bps": int64(2000), "note": "x", "ratio": 0.5})
	if err != nil {
		t.Fatal(err)
	}
	var o Offer
	if err := json.Unmarshal(b, &o); err != nil {
		t.Fatal(err)
	}
	if v, ok := o.Int("limit"); !ok || v != 120000 {
		t.Errorf("limit = %v %v, want 120000 true", v, ok)
	}
	if _, ok := o.Int("ratio"); ok || o["ratio"] != 0.5 {
		t.Errorf("ratio = %#v, want float64 0.5 and not an int", o["ratio"])
	}
	if _, ok := o.Int("missing"); ok {
		t.Error("a missing field reads as an int")
	}
	var none Offer
	if err := json.Unmarshal([]byte("null"), &none); err != nil || none != nil {
		t.Errorf("null offer = %v %v, want nil", none, err)
	}
}

func TestOutcomesAndRolesValid(t *testing.T) {
	for _, o := range Outcomes {
		if !o.Valid() {
			t.Errorf("%s not valid", o)
		}
	}
	if Outcome("approved").Valid() || PolicyRole("manual-x").Valid() || !RoleShadow.Valid() {
		t.Error("Valid accepts an unknown value or refuses a known one")
	}
}
