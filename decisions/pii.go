package decisions

import (
	"strings"
)

// piiKeys are input keys whose values are personal data. Their values are
// masked before a decision is logged, so the log never holds them whole.
var piiKeys = map[string]bool{
	"pan": true, "pan_number": true, "phone": true, "mobile": true, "phone_number": true,
	"email": true, "aadhaar": true, "aadhaar_number": true, "aadhaar_last4": true,
	"account_number": true, "name": true, "full_name": true, "dob": true, "date_of_birth": true,
}

// MaskInput returns a copy of input with personal data masked: PII values
// keep only their last four characters ("XXXXXX234F"); an Aadhaar number is
// never kept beyond its last four digits. Nested objects are masked too.
func MaskInput(input map[string]any) map[string]any {
	if input == nil {
		return nil
	}
	out := make(map[string]any, len(input))
	for k, v := range input {
		switch x := v.(type) {
		case map[string]any:
			out[k] = MaskInput(x)
		case string:
			if piiKeys[strings.ToLower(k)] {
				out[k] = MaskValue(x)
			} else {
				out[k] = x
			}
		default:
			if piiKeys[strings.ToLower(k)] && v != nil {
				out[k] = "XXXX"
			} else {
				out[k] = v
			}
		}
	}
	return out
}

// MaskValue keeps the last four characters of s and replaces the rest with X
// (an email keeps its domain: "XXXX@example.com").
func MaskValue(s string) string {
	if at := strings.LastIndexByte(s, '@'); at > 0 {
		return "XXXX" + s[at:]
	}
	r := []rune(s)
	if len(r) <= 4 {
		return strings.Repeat("X", len(r))
	}
	return strings.Repeat("X", len(r)-4) + string(r[len(r)-4:])
}
