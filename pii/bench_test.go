package pii

import "testing"

// typicalInput is a decision input as the mobile flow sends it: 14 keys,
// no personal data in the clear (hashes and ids instead).
func typicalInput() map[string]any {
	return map[string]any{
		"amount": int64(150000), "tenure_months": int64(12), "loan_purpose": "medical", "product_id": "personal-loan",
		"pan_hash": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "phone_hash": "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752",
		"device_id": "dev-7f3a9c2e", "ip": "203.0.113.7", "app_version": "4.12.0", "session_id": "s-01kb3x9m2q8r7t6y5w4v",
		"consent": true, "declared_income": int64(85000), "employment_type": "salaried", "pincode": "560001",
	}
}

func BenchmarkMapTypicalInput(b *testing.B) {
	in := typicalInput()
	b.ReportAllocs()
	for b.Loop() {
		_ = Map(in)
	}
}

func BenchmarkMapInputWithPII(b *testing.B) {
	in := typicalInput()
	in["pan_no"], in["mobile"], in["note"] = pan, "+91 98765 43210", "aadhaar "+aadhaar+" given"
	b.ReportAllocs()
	for b.Loop() {
		_ = Map(in)
	}
}

func BenchmarkTextSMS(b *testing.B) {
	s := "Rs.5,000.00 credited to A/c XX1234 on 04-12-26 by NEFT. Avl Bal Rs 1,50,000.50. Ref 491255112828 - HDFC Bank"
	b.ReportAllocs()
	for b.Loop() {
		_ = Text(s)
	}
}

func BenchmarkRedactJSONSMS(b *testing.B) {
	data := []byte(`{"sender":"VM-HDFCBK","body":"Rs.5,000.00 credited to A/c XX1234 on 04-12-26 by NEFT. Avl Bal Rs 1,50,000.50. Ref 491255112828 - HDFC Bank"}`)
	b.ReportAllocs()
	for b.Loop() {
		_ = RedactJSON(data, Aadhaar|PAN|Mobile|Email)
	}
}
