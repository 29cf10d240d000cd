// Package okyc verifies UIDAI's paperless offline e-KYC (the Aadhaar
// "offline XML") and writes sandbox files of the same shape for tests and
// demos (DESIGN §16, check aadhaar-offline).
//
// The format, as UIDAI documents it: the resident downloads a ZIP protected
// with a 4-character share code of their choosing (traditional PKWARE
// encryption, "ZipCrypto"; `unzip -P <code>` opens it). Inside is one file,
// offlineaadhaar<YYYYMMDDHHMMSSsss>.xml, whose root OfflinePaperlessKyc has
// a referenceId (the last four digits of the Aadhaar number, then that
// time) and holds UidData — Poi (name, dob DD-MM-YYYY, gender M/F/T, and e
// and m, hashes of the e-mail address and mobile number), Poa (the address)
// and Pht (a base64 JPEG) — and an enveloped XML signature by UIDAI. A
// contact's hash is SHA-256 of the value followed by the share code,
// re-hashed (as lowercase hex) until it has been hashed N times, N the last
// digit of the Aadhaar number (once for 0 and 1).
//
// Verify checks a file against the certificates configured as trusted
// (LoadCertificates reads NIRNAY_KYC_UIDAI_CERTS), the clock and the
// maximum age, and returns a Result with the reference id, the last four
// digits, the demographic fields, and hashes of the photo and the XML.
// Every failure the file, share code or contact causes is an *Error with a
// stable Code (too_large, not_a_zip, no_xml, too_many_entries,
// unsupported_zip, bad_share_code, wrong_share_code, malformed_xml,
// bad_signature, untrusted_certificate, too_old, in_future,
// mobile_mismatch) and a message safe to show; it unwraps to a
// *nirnay.Error, so the API answers 4xx.
//
// Privacy: the XML holds no full Aadhaar number and nothing this package
// returns can: a referenceId of any shape but 4+17 digits is refused, and
// an Aadhaar number written in a text field (name, address) or quoted in
// an error's cause is masked to its last four digits. The package keeps
// nothing and logs nothing.
//
// The sandbox (WriteSandbox, SandboxKey, SandboxCertificates) signs with a
// fixed key committed in testdata/sandbox-signer.pem. That key is public:
// its certificate is for tests and demo mode only and must never be
// trusted in production.
package okyc
