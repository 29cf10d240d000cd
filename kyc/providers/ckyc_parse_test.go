package providers

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

func TestParseCKYCOTPSent(t *testing.T) {
	for _, c := range []struct{ pid, want string }{
		{"<PID_DATA><MOB_NUM>XXXXXX3210</MOB_NUM></PID_DATA>", "XXXXXX3210"},
		{"<PID_DATA><MOB_NUM>9876543210</MOB_NUM></PID_DATA>", "XXXXXX3210"}, // whole: masked here
		{"<PID_DATA><REMARKS>OTP sent to ******3210.</REMARKS></PID_DATA>", "XXXXXX3210"},
		{"<PID_DATA><REMARKS>OTP sent to 98xxxxxx10 at 10:00</REMARKS></PID_DATA>", "XXXXXXXX10"},
		{"<PID_DATA><REMARKS>OTP sent to the mobile on record</REMARKS></PID_DATA>", ""},
		{"<PID_DATA><REMARKS>request 12345678 XXXXXXXXXX</REMARKS></PID_DATA>", ""},
		{"<PID_DATA><REMARKS>record 12345678901234: OTP sent to +919876543210</REMARKS></PID_DATA>", "XXXXXX3210"},
		{"<PID_DATA><MOB_NUM>98765</MOB_NUM><REMARKS>sent to XXXXXX1234</REMARKS></PID_DATA>", "XXXXXX1234"},
		{"<PID_DATA/>", ""},
	} {
		got, err := parseCKYCOTPSent([]byte(c.pid))
		if err != nil || got != c.want {
			t.Errorf("%s: got %q %v, want %q", c.pid, got, err, c.want)
		}
	}
	if _, err := parseCKYCOTPSent([]byte("<OTHER/>")); err == nil {
		t.Errorf("<OTHER/>: no error")
	}
}

func TestCKYCDateAndMessages(t *testing.T) {
	for in, want := range map[string]string{"01-04-1990": "1990-04-01", " 01/04/1990 ": "1990-04-01", "01-Apr-1990": "1990-04-01",
		"1990-04-01": "1990-04-01", "31-02-1990": "", "1990": "", "": ""} {
		if got := ckycDate(in); got != want {
			t.Errorf("ckycDate(%q) = %q, want %q", in, got, want)
		}
	}
	for msg, want := range map[string]bool{"Invalid OTP": true, "OTP expired": true, "The OTP entered is incorrect": true,
		"Maximum OTP attempts exceeded": true, "Expired OTP": true, "OTP has been sent": false, "Invalid Request Id": false,
		"Digital signature cannot be verified": false} {
		if got := otpRejected.MatchString(msg); got != want {
			t.Errorf("otpRejected(%q) = %v, want %v", msg, got, want)
		}
	}
	for msg, want := range map[string]bool{"No records found": true, "No record found": true, "no KYC records were found": true,
		"Record found": false, "Invalid ID number": false} {
		if got := noRecords.MatchString(msg); got != want {
			t.Errorf("noRecords(%q) = %v, want %v", msg, got, want)
		}
	}
}

func TestParseCKYCDownloadNames(t *testing.T) {
	photo := base64.StdEncoding.EncodeToString([]byte("photo"))
	sum := sha256.Sum256([]byte("photo"))
	for _, c := range []struct{ pid, name, photo string }{
		{"<PID_DATA><PERSONAL_DETAILS><FULLNAME> ASHA  RAO </FULLNAME></PERSONAL_DETAILS></PID_DATA>", "ASHA RAO", ""},
		{"<PID_DATA><PERSONAL_DETAILS><FNAME>ASHA</FNAME><MNAME/><LNAME>RAO</LNAME></PERSONAL_DETAILS></PID_DATA>", "ASHA RAO", ""},
		{"<PID_DATA><PERSONAL_DETAILS/><IMAGE_DETAILS><IMAGE><IMAGE_CODE>02</IMAGE_CODE><IMAGE_DATA>" + photo[:4] + "\n" + photo[4:] +
			"</IMAGE_DATA></IMAGE></IMAGE_DETAILS></PID_DATA>", "", hex.EncodeToString(sum[:])},
		{"<PID_DATA><PERSONAL_DETAILS/><IMAGE_DETAILS><IMAGE><IMAGE_CODE>03</IMAGE_CODE><IMAGE_DATA>" + photo + "</IMAGE_DATA></IMAGE></IMAGE_DETAILS></PID_DATA>", "", ""},
		{"<PID_DATA><PERSONAL_DETAILS/><IMAGE_DETAILS><IMAGE><IMAGE_CODE>02</IMAGE_CODE><IMAGE_DATA>%%</IMAGE_DATA></IMAGE></IMAGE_DETAILS></PID_DATA>", "", ""},
	} {
		rec, _, err := parseCKYCDownload([]byte(c.pid), "02")
		if err != nil || rec.Name != c.name || rec.PhotoHash != c.photo {
			t.Errorf("%s: %+v %v, want name %q, photo hash %q", c.pid, rec, err, c.name, c.photo)
		}
	}
	if _, remarks, err := parseCKYCDownload([]byte("<PID_DATA><REMARKS>Invalid OTP</REMARKS></PID_DATA>"), "02"); err != errNoPersonalDetails || remarks != "Invalid OTP" {
		t.Errorf("no PERSONAL_DETAILS: %q %v, want errNoPersonalDetails with the remarks", remarks, err)
	}
}

// FuzzCKYCAnswer feeds arbitrary bytes to every parser of an answer: each
// returns an error or a value, never panics; a date read is a date, and a
// mobile read shows at most four characters that are not X.
func FuzzCKYCAnswer(f *testing.F) {
	for _, seed := range []string{
		`<REQ_ROOT><HEADER><FI_CODE>IN1</FI_CODE><REQUEST_ID>1</REQUEST_ID></HEADER><CKYC_INQ><PID>UElE</PID><SESSION_KEY/><ERROR/></CKYC_INQ></REQ_ROOT>`,
		`<?xml version="1.0"?><ERROR>Invalid XML</ERROR>`,
		`<PID_DATA><SearchResponsePID><CKYC_NO>XXXXXXXXXX1234</CKYC_NO><CKYC_REFERENCE_ID>IN1</CKYC_REFERENCE_ID></SearchResponsePID></PID_DATA>`,
		`<PID_DATA><PERSONAL_DETAILS><CKYC_NO>12345678901234</CKYC_NO><DOB>01-04-1990</DOB></PERSONAL_DETAILS><IMAGE_DETAILS><IMAGE><IMAGE_CODE>02</IMAGE_CODE><IMAGE_DATA>cGhvdG8=</IMAGE_DATA></IMAGE></IMAGE_DETAILS></PID_DATA>`,
		`<PID_DATA><REMARKS>OTP sent to XXXXXX1234</REMARKS><MOB_NUM>98765</MOB_NUM></PID_DATA>`,
		`<PID_DATA><PERSONAL_DETAILS><PERSONAL_DETAILS>`, "\x00<", "",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if a, err := parseCKYCAnswer(data); err == nil {
			_ = a.errorText()
		}
		_, _, _ = parseCKYCSearch(data)
		if rec, _, err := parseCKYCDownload(data, "02"); err == nil && rec.DOB != "" {
			if _, perr := time.Parse(time.DateOnly, rec.DOB); perr != nil {
				t.Errorf("DOB %q is not YYYY-MM-DD", rec.DOB)
			}
		}
		if m, err := parseCKYCOTPSent(data); err == nil && len(strings.ReplaceAll(m, "X", "")) > 4 {
			t.Errorf("mobile %q shows more than four characters", m)
		}
	})
}
