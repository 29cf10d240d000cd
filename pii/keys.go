package pii

// keyClass says what a key's values are.
type keyClass uint8

const (
	notPersonal keyClass = iota
	personal             // masked whole (MaskValue)
	aadhaarKey           // masked whole, and never stored beyond the last four digits
)

// wholeKeys are personal only as the whole key ("name", not "bank_name").
var wholeKeys = merge(classes(aadhaarKey, "uid"), classes(personal,
	"name", "fullname", "firstname", "middlename", "lastname", "surname", "fathername", "fathersname",
	"mothername", "mothersname", "spousename", "customername", "applicantname", "borrowername", "holdername",
	"accountholdername", "nameasperpan", "dob", "dateofbirth", "birthdate", "address", "address1", "address2",
	"addressline1", "addressline2", "permanentaddress", "currentaddress", "residentialaddress",
	"account", "contact", "mail", "mob", "vpa", "upiid", "upi"))

// suffixKeys are personal as the whole key or as its last words
// ("customer_pan", "applicant_mobile_no", "workEmail").
var suffixKeys = merge(
	classes(aadhaarKey, "aadhaar", "aadhar", "aadhaarno", "aadharno", "aadhaarnumber", "aadharnumber",
		"aadhaarnum", "aadharnum", "aadhaarcard", "aadharcard", "aadhaarcardno", "aadhaarcardnumber", "aadhaarid",
		"aadharid", "uidno", "uidnumber", "uidai", "aadhaarlast4", "aadharlast4"),
	classes(personal, "pan", "panno", "pannumber", "pannum", "pancard", "pancardno", "pancardnumber", "panid",
		"phone", "phones", "phoneno", "phonenumber", "phonenumbers", "phonenum", "mobile", "mobiles", "mobileno",
		"mobilenumber", "mobilenumbers", "mobilenum", "mobno", "msisdn", "contactno", "contactnumber",
		"whatsapp", "whatsappno", "whatsappnumber", "email", "emails", "emailid", "emailaddress",
		"emailaddresses", "mailid", "accountno", "accountnumber", "accountnum", "acctno", "acctnumber",
		"accno", "acno", "bankaccount", "bankaccountno", "bankaccountnumber"))

// keyEnds holds every string that ends a key of wholeKeys or suffixKeys
// ("id" ends "upiid"), and endPairs the last two characters of each (the
// last one alone for one-character ends): a key whose last word is not
// among them is not personal, which settles most keys with a table look-up
// and the rest with one map look-up.
var keyEnds, endPairs = func() (map[string]bool, *[37 * 37]bool) {
	m, pairs := map[string]bool{}, new([37 * 37]bool)
	for _, set := range []map[string]keyClass{wholeKeys, suffixKeys} {
		for k := range set {
			for i := range k {
				m[k[i:]] = true
			}
			pairs[endPair(k)] = true
			pairs[endPair(k[len(k)-1:])] = true
		}
	}
	return m, pairs
}()

// endPair indexes the last two characters (lower-case letters and digits)
// of w in endPairs; a one-character w pairs with nothing (index 36).
func endPair[T string | []byte](w T) int {
	code := func(c byte) int {
		if c >= '0' && c <= '9' {
			return int(c - '0')
		}
		return int(c-'a') + 10
	}
	if len(w) == 1 {
		return 36*37 + code(w[0])
	}
	return code(w[len(w)-2])*37 + code(w[len(w)-1])
}

func classes(c keyClass, keys ...string) map[string]keyClass {
	m := make(map[string]keyClass, len(keys))
	for _, k := range keys {
		m[k] = c
	}
	return m
}

func merge(ms ...map[string]keyClass) map[string]keyClass {
	out := map[string]keyClass{}
	for _, m := range ms {
		for k, c := range m {
			out[k] = c
		}
	}
	return out
}

// IsKey reports whether the values under key are personal data and are
// masked whole (MaskValue), whatever they hold. Keys compare without case,
// spaces, dots, '-' and '_' ("Aadhaar-No", "aadhaar_no" and "aadhaarNo"
// are one key). Identifier keys count also as the last words of a key
// ("customer_pan", "applicant_mobile_no"; not "pan_hash" or
// "email_domain"); names, dates of birth and addresses only as the whole
// key ("name", "full_name", not "bank_name").
func IsKey(key string) bool { return classOf(key) != notPersonal }

// classOf classifies key without allocating (for keys of up to 64 letters
// and digits).
func classOf[T string | []byte](key T) keyClass {
	// Most keys are settled by their last word alone: read it backwards
	// first, and normalise the whole key only when it may be personal.
	var last [32]byte
	n, end := 0, len(key)
	for end > 0 && !isAlnum(key[end-1]) {
		end--
	}
	for i := end - 1; i >= 0 && isAlnum(key[i]); i-- {
		if n == len(last) {
			n = -1 // too long to be the end of a personal key
			break
		}
		c := key[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		last[len(last)-1-n] = c
		n++
		if c != key[i] && i > 0 && key[i-1] >= 'a' && key[i-1] <= 'z' {
			break // camelCase: the word starts here
		}
	}
	if n <= 0 || !endPairs[endPair(last[len(last)-n:])] || !keyEnds[string(last[len(last)-n:])] {
		return notPersonal
	}
	return classOfWords(key)
}

// classOfWords normalises key and looks it up whole and by its last words.
func classOfWords[T string | []byte](key T) keyClass {
	var buf [64]byte
	var startBuf [8]int
	b, starts := buf[:0], startBuf[:0]
	word := true
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c >= 'A' && c <= 'Z':
			if i > 0 && key[i-1] >= 'a' && key[i-1] <= 'z' {
				word = true // camelCase
			}
			c += 'a' - 'A'
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		default:
			word = true
			continue
		}
		if word {
			if len(starts) == cap(startBuf) {
				starts = append(starts[:0], starts[1:]...)
			}
			starts = append(starts, len(b))
			word = false
		}
		b = append(b, c)
	}
	if c, ok := wholeKeys[string(b)]; ok {
		return c
	}
	for _, st := range starts {
		if c, ok := suffixKeys[string(b[st:])]; ok {
			return c
		}
	}
	return notPersonal
}
