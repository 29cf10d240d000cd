// Package pii finds personal data — Aadhaar numbers, PANs, Indian mobile
// numbers, e-mail addresses and bank account numbers — and masks it, by
// the key a value is stored under and by the value itself, so that logs,
// views and stored copies never hold it whole (DESIGN §1, §12, §16).
//
// By value (Text, in free text as in whole values; each only as a whole
// word: not touching a letter or a digit and, but for an Aadhaar number,
// not the fraction or a thousands group of a longer number):
//
//   - Aadhaar: 12 digits, the first 2–9, with a valid Verhoeff check
//     digit, written together or in groups of four set off by one space or
//     hyphen ("2345 6789 0123") → "XXXXXXXX0123": only the last four
//     digits survive, whatever the grouping.
//   - PAN: five letters, four digits, a letter, any case → "XXXXXX234F".
//   - Mobile: ten digits starting 6–9, written together or as 5-5, 3-3-4
//     or 4-3-3 with spaces or hyphens, optionally after +91, 91 or 0 (and
//     a space or hyphen) → "XXXXXX3210", prefix and grouping dropped.
//   - E-mail: local@domain.tld (the domain at least two labels, the last
//     of two or more letters) → "XXXX@domain.tld".
//   - Account: a run of 11 to 18 digits → an X for each digit but the last
//     four ("XXXXXXXXXX6789"). Shorter runs are left alone so that
//     amounts (100000, 150000.50), unix times (1764131400), pincodes
//     (560001) and the digits of ids (C00000004, HDFC0001234, ULIDs) stay;
//     a 9- or 10-digit account number is masked under an account key. A
//     13-digit millisecond time in free text is masked as an account.
//
// By key (IsKey; "Aadhaar-No", "aadhaar_no", "aadhaarNo" are one key):
// Aadhaar, PAN, phone, mobile, e-mail and account-number keys, also as the
// last words of a longer key ("applicant_mobile_no", not "pan_hash"), and
// names, dates of birth and addresses as whole keys. A string under such a
// key is masked whole (MaskValue: the last four characters kept, an e-mail
// keeps its domain; under an Aadhaar key a number keeps only its last four
// digits, "XXXXXXXX1234"); so are numbers and the elements of arrays.
//
// Map and MaskJSON walk nested objects and arrays; Handler masks log
// records. Numbers are masked by value only when they are Aadhaar numbers
// (they become the string "XXXXXXXX1234"), so amounts and counts keep
// their type. RedactJSON is for what is stored: it removes the chosen kinds
// from a JSON document and keeps everything else byte for byte.
//
// Every function is idempotent — masking what was masked changes nothing —
// and returns its argument itself, without allocating, when there is
// nothing to mask; a cheap scan (no run of four digits, no '@') settles
// most strings before any matching. Safe for concurrent use.
package pii
