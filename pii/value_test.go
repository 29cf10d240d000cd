package pii

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestIsKey(t *testing.T) {
	for _, k := range []string{"pan", "PAN", "pan_no", "pan-no", "panNo", "PAN_NUMBER", "customer_pan", "aadhaar", "aadhar_no",
		"Aadhaar-No", "aadhaarNumber", "aadhaar_last4", "uid", "mobile_no", "mobile", "alt_mobile_number", "phone_no", "phone",
		"contact_number", "email", "email_id", "EmailAddress", "work_email", "account_no", "acct_no", "account_number",
		"bank_account_number", "account", "name", "full_name", "dob", "date_of_birth", "address", "vpa"} {
		if !IsKey(k) {
			t.Errorf("IsKey(%q) = false, want true", k)
		}
	}
	for _, k := range []string{"pan_hash", "phone_hash", "account_hash", "email_domain", "pan_status", "aadhaar_okyc_status",
		"timespan", "time_span", "company", "bank_name", "employer_name", "loan_purpose", "amount", "device_uid",
		"mobile_os", "accounts_count", "customer_id", "request_id", ""} {
		if IsKey(k) {
			t.Errorf("IsKey(%q) = true, want false", k)
		}
	}
}

func TestMaskValue(t *testing.T) {
	for in, want := range map[string]string{"ABCDE1234F": "XXXXXX234F", "9876543210": "XXXXXX3210", "a.b@example.com": "XXXX@example.com",
		"123": "XXX", "": "", "Rahul Sharma": "XXXXXXXXarma", "ñañañ": "Xañañ", "XXXXXX234F": "XXXXXX234F"} {
		if got := MaskValue(in); got != want {
			t.Errorf("MaskValue(%q) = %q, want %q", in, got, want)
		}
		if got := MaskValue(want); got != want {
			t.Errorf("MaskValue(%q) (masked) = %q, want it unchanged", want, got)
		}
	}
}

// decisionInput is a typical decision input with personal data planted
// under odd keys, in arrays and in free text.
func decisionInput() map[string]any {
	return map[string]any{
		"amount": int64(150000), "tenure_months": int64(12), "loan_purpose": "medical", "pan_hash": "PAN1",
		"device_id": "dev-7f3a", "customer_ref": "C00000004", "aadhar_no": "2345 6789 0124", "pan_no": pan,
		"mobile_no": "+91 98765 43210", "email_id": "ravi@example.com", "acct_no": "123456789",
		"note": "applicant said PAN " + pan + " and phone 9876543210",
		"kyc":  map[string]any{"Aadhaar-Number": aadhaar, "status": "verified", "score": 0.93},
		"co_applicants": []any{
			map[string]any{"relation": "spouse", "id_proof": aadhaar2, "phone": "9123456789"},
			"free text with " + aadhaar,
		},
		"refs":     []map[string]any{{"contact": "9988776655"}},
		"tags":     []string{"new", "mail: a@b.in"},
		"uid_num":  int64(234567890124),
		"big":      json.Number("987654321012"),
		"verified": true,
		"none":     nil,
	}
}

func TestMapMasksByKeyAndValue(t *testing.T) {
	in := decisionInput()
	before, _ := json.Marshal(in)
	got := Map(in)
	want := map[string]any{
		"amount": int64(150000), "tenure_months": int64(12), "loan_purpose": "medical", "pan_hash": "PAN1",
		"device_id": "dev-7f3a", "customer_ref": "C00000004", "aadhar_no": "XXXXXXXX0124", "pan_no": "XXXXXX234F",
		"mobile_no": "XXXXXXXXXXX3210", "email_id": "XXXX@example.com", "acct_no": "XXXXX6789",
		"note": "applicant said PAN XXXXXX234F and phone XXXXXX3210",
		"kyc":  map[string]any{"Aadhaar-Number": "XXXXXXXX0124", "status": "verified", "score": 0.93},
		"co_applicants": []any{
			map[string]any{"relation": "spouse", "id_proof": "XXXXXXXX1012", "phone": "XXXXXX6789"},
			"free text with XXXXXXXX0124",
		},
		"refs":     []map[string]any{{"contact": "XXXXXX6655"}},
		"tags":     []string{"new", "mail: XXXX@b.in"},
		"uid_num":  "XXXXXXXX0124",
		"big":      "XXXXXXXX1012",
		"verified": true,
		"none":     nil,
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Fatalf("Map:\n got %s\nwant %s", g, w)
	}
	if after, _ := json.Marshal(in); string(after) != string(before) {
		t.Fatalf("Map modified its argument:\n was %s\n now %s", before, after)
	}
	if again := Map(got); !reflect.DeepEqual(again, got) {
		t.Fatalf("Map is not idempotent:\n once  %v\n twice %v", got, again)
	}
}

func TestMapWithoutPIIReturnsItsArgument(t *testing.T) {
	in := map[string]any{"amount": int64(100000), "rate": 150000.50, "customer_id": "C00000004", "decision": "dec_01kb3x9m2q8r7t6y5w4v3n2p1z",
		"at": int64(1764131400), "pincode": "560001", "ifsc": "HDFC0001234", "on": "2026-12-04", "nested": map[string]any{"xs": []any{int64(1), "a"}}}
	got := Map(in)
	if reflect.ValueOf(got).Pointer() != reflect.ValueOf(in).Pointer() {
		t.Fatalf("Map without personal data returned a copy: %v", got)
	}
	if n := testing.AllocsPerRun(100, func() { _ = Map(in) }); n != 0 {
		t.Errorf("Map without personal data allocates %v times, want 0", n)
	}
	if Map(nil) != nil {
		t.Error("Map(nil) is not nil")
	}
}
