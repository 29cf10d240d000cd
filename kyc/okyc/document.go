package okyc

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/nirnay/nirnay/internal/india"
	"github.com/nirnay/nirnay/pii"
)

// ist is Asia/Kolkata, where UIDAI stamps its files; a fixed zone, so the
// package needs no time zone database.
var ist = india.Zone

const (
	referenceIDLen  = 4 + len(timestampLayout) + 3 // last four digits, time, milliseconds
	timestampLayout = "20060102150405"
)

// readDocument reads the fields of a signed OfflinePaperlessKyc element
// (as verifySignature returns it) into a Result, and returns its Poi
// element for the contact hashes. Every text that reaches the Result has
// any Aadhaar number in it masked.
func readDocument(root *etree.Element) (*Result, *etree.Element, error) {
	res := &Result{}
	ref := root.SelectAttrValue("referenceId", "")
	last4, generated, ok := parseReferenceID(ref)
	if !ok {
		return nil, nil, fail(CodeMalformedXML, "the referenceId is not four digits followed by a time")
	}
	res.ReferenceID, res.Last4, res.GeneratedAt = ref, last4, generated

	uid := root.SelectElement("UidData")
	if uid == nil {
		return nil, nil, fail(CodeMalformedXML, "the XML has no UidData")
	}
	poi := uid.SelectElement("Poi")
	if poi == nil {
		return nil, nil, fail(CodeMalformedXML, "the XML has no Poi")
	}
	res.Name = clean(poi.SelectAttrValue("name", ""))
	if res.Name == "" {
		return nil, nil, fail(CodeMalformedXML, "the XML has no name")
	}
	dob, ok := parseDOB(poi.SelectAttrValue("dob", ""))
	if !ok {
		return nil, nil, fail(CodeMalformedXML, "the date of birth is not DD-MM-YYYY")
	}
	res.DOB = dob
	switch g := strings.ToUpper(strings.TrimSpace(poi.SelectAttrValue("gender", ""))); g {
	case "M", "F", "T":
		res.Gender = g
	default:
		return nil, nil, fail(CodeMalformedXML, "the gender is not M, F or T")
	}

	if poa := uid.SelectElement("Poa"); poa != nil {
		attr := func(name string) string { return clean(poa.SelectAttrValue(name, "")) }
		res.Address = Address{
			CareOf: attr("careof"), House: attr("house"), Street: attr("street"), Landmark: attr("landmark"),
			Locality: attr("loc"), VTC: attr("vtc"), PostOffice: attr("po"), SubDistrict: attr("subdist"),
			District: attr("dist"), State: attr("state"), Country: attr("country"), Pincode: attr("pc"),
		}
		res.AddressLine = res.Address.Line()
	}

	if pht := uid.SelectElement("Pht"); pht != nil {
		if b64 := strings.Join(strings.Fields(pht.Text()), ""); b64 != "" {
			photo, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				return nil, nil, fail(CodeMalformedXML, "the photo is not base64")
			}
			sum := sha256.Sum256(photo)
			res.PhotoSHA256 = hex.EncodeToString(sum[:])
		}
	}
	return res, poi, nil
}

// parseReferenceID splits a referenceId of exactly 21 ASCII digits: the
// last four digits of the Aadhaar number, then the time the file was made
// (YYYYMMDDHHMMSSsss, Asia/Kolkata). Any other shape is refused, so that
// nothing longer — a whole Aadhaar number — is ever taken from it.
func parseReferenceID(ref string) (last4 string, generated time.Time, ok bool) {
	if len(ref) != referenceIDLen {
		return "", time.Time{}, false
	}
	for i := 0; i < len(ref); i++ {
		if ref[i] < '0' || ref[i] > '9' {
			return "", time.Time{}, false
		}
	}
	ts := ref[4 : 4+len(timestampLayout)]
	t, err := time.ParseInLocation(timestampLayout, ts, ist)
	if err != nil || t.Format(timestampLayout) != ts {
		return "", time.Time{}, false
	}
	ms := int(ref[18]-'0')*100 + int(ref[19]-'0')*10 + int(ref[20]-'0')
	return ref[:4], t.Add(time.Duration(ms) * time.Millisecond), true
}

// formatReferenceID is parseReferenceID's inverse.
func formatReferenceID(last4 string, generated time.Time) string {
	t := generated.In(ist)
	return last4 + t.Format(timestampLayout) + t.Format(".000")[1:]
}

// parseDOB reads UIDAI's DD-MM-YYYY (or DD/MM/YYYY), or a year alone, into
// "YYYY-MM-DD" or "YYYY".
func parseDOB(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) == 4 {
		if _, err := time.Parse("2006", s); err == nil {
			return s, true
		}
		return "", false
	}
	for _, layout := range []string{"02-01-2006", "02/01/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(time.DateOnly), true
		}
	}
	return "", false
}

// clean trims s and masks any Aadhaar number in it.
func clean(s string) string { return pii.TextOf(strings.TrimSpace(s), pii.Aadhaar) }
