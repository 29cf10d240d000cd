package pii

// Verhoeff's check digit scheme, which the last digit of an Aadhaar number
// follows: it catches every single-digit error and every swap of adjacent
// digits.

// verhoeffD is the multiplication table of the dihedral group D5 (0–4 the
// rotations, 5–9 the reflections).
var verhoeffD = [10][10]byte{
	{0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
	{1, 2, 3, 4, 0, 6, 7, 8, 9, 5},
	{2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
	{3, 4, 0, 1, 2, 8, 9, 5, 6, 7},
	{4, 0, 1, 2, 3, 9, 5, 6, 7, 8},
	{5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
	{6, 5, 9, 8, 7, 1, 0, 4, 3, 2},
	{7, 6, 5, 9, 8, 2, 1, 0, 4, 3},
	{8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
	{9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
}

// verhoeffInv is the inverse of each element of D5.
var verhoeffInv = [10]byte{0, 4, 3, 2, 1, 5, 6, 7, 8, 9}

// verhoeffP[i] is the permutation applied to the digit i places from the
// right (mod 8): the powers of (0 1 5 8 9 4 2 7)(3 6).
var verhoeffP = func() [8][10]byte {
	var p [8][10]byte
	p[0] = [10]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	p[1] = [10]byte{1, 5, 7, 6, 2, 8, 3, 0, 9, 4}
	for i := 2; i < 8; i++ {
		for j := range p[i] {
			p[i][j] = p[i-1][p[1][j]]
		}
	}
	return p
}()

// verhoeffValid reports whether digits (ASCII '0'–'9', check digit last)
// carry a valid Verhoeff check digit.
func verhoeffValid(digits []byte) bool {
	c := byte(0)
	for i := 0; i < len(digits); i++ {
		d := digits[len(digits)-1-i] - '0'
		if d > 9 {
			return false
		}
		c = verhoeffD[c][verhoeffP[i&7][d]]
	}
	return c == 0
}

// verhoeffCheckDigit returns the check digit ('0'–'9') that makes digits
// followed by it valid.
func verhoeffCheckDigit(digits []byte) byte {
	c := byte(0)
	for i := 0; i < len(digits); i++ {
		d := digits[len(digits)-1-i] - '0'
		c = verhoeffD[c][verhoeffP[(i+1)&7][d]]
	}
	return '0' + verhoeffInv[c]
}
