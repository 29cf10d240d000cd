package okyc

import (
	"errors"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/pii"
)

// Code is the reason a file failed verification. Its string value is stable:
// callers record it as the reason of a failed evidence.
type Code string

// The failure codes of Verify and WriteSandbox.
const (
	CodeTooLarge             Code = "too_large"             // the ZIP or its XML is over MaxZipSize / MaxXMLSize
	CodeNotAZip              Code = "not_a_zip"             // not a readable ZIP archive
	CodeNoXML                Code = "no_xml"                // the archive holds no .xml entry
	CodeTooManyEntries       Code = "too_many_entries"      // more than one file in the archive
	CodeUnsupportedZip       Code = "unsupported_zip"       // not ZipCrypto-protected, or a method other than store/deflate
	CodeBadShareCode         Code = "bad_share_code"        // the share code is not 4 characters
	CodeWrongShareCode       Code = "wrong_share_code"      // the share code does not open the file (or the entry is damaged)
	CodeMalformedXML         Code = "malformed_xml"         // not the offline e-KYC document UIDAI describes
	CodeBadSignature         Code = "bad_signature"         // unsigned, or the signature does not match the document
	CodeUntrustedCertificate Code = "untrusted_certificate" // signed by a certificate not trusted, or outside its validity
	CodeTooOld               Code = "too_old"               // generated longer ago than Options.MaxAge
	CodeInFuture             Code = "in_future"             // generated after now plus Options.MaxSkew
	CodeMobileMismatch       Code = "mobile_mismatch"       // Options.Mobile does not match the document's mobile hash
	CodeBadSandboxParams     Code = "bad_sandbox_params"    // WriteSandbox was given parameters it cannot write
)

// Error is a verification failure: the file, share code or parameters are
// at fault, not the service. Message is safe to show a client and never
// holds a value taken from the file. Err, when set, is the underlying
// cause, with any Aadhaar number in its text masked.
//
// An *Error unwraps to a *nirnay.Error (KindTooLarge for CodeTooLarge,
// KindInvalid naming the field share_code for CodeBadShareCode,
// KindUnprocessable otherwise), so nirnay.KindOf maps it to 413, 400 or
// 422 and never to 500.
type Error struct {
	Code    Code
	Message string
	Err     error
}

func (e *Error) Error() string {
	msg := "okyc: " + string(e.Code) + ": " + e.Message
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the *nirnay.Error that classifies e; its Err is e.Err.
func (e *Error) Unwrap() error {
	ne := &nirnay.Error{Kind: nirnay.KindUnprocessable, Message: e.Message, Err: e.Err}
	switch e.Code {
	case CodeTooLarge:
		ne.Kind = nirnay.KindTooLarge
	case CodeBadShareCode:
		ne.Kind, ne.Field = nirnay.KindInvalid, "share_code"
	case CodeBadSandboxParams:
		ne.Kind = nirnay.KindInvalid
	}
	return ne
}

// CodeOf returns the Code of the first *Error in err's chain, or "".
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func fail(code Code, msg string) *Error { return &Error{Code: code, Message: msg} }

func failWith(code Code, msg string, cause error) *Error {
	e := &Error{Code: code, Message: msg}
	if cause != nil {
		e.Err = maskedError{cause}
	}
	return e
}

// maskedError wraps a cause whose text may quote the file (an XML parser's
// or the signature library's message) so that its text never carries an
// Aadhaar number.
type maskedError struct{ err error }

func (m maskedError) Error() string { return pii.TextOf(m.err.Error(), pii.Aadhaar) }
func (m maskedError) Unwrap() error { return m.err }
