package names_test

import (
	"fmt"

	"github.com/nirnay/nirnay/kyc/names"
)

func ExampleMatch() {
	for _, p := range [][2]string{
		{"Mr. R. K. Sharma S/O Late Shri B. L. Sharma", "RAJESH KUMAR SHARMA"},
		{"Smt. Sunita Devi", "Sunita Debi"},
		{"Rajesh Sharma", "Suresh Sharma"},
		{"Ram Kumar", "Ram Kumari"},
	} {
		s := names.Match(p[0], p[1])
		fmt.Printf("%.2f %v: %s\n", s.Value, s.Same(), s.Reason)
	}
	// Output:
	// 0.90 true: r~rajesh (initial), k~kumar (initial), sharma=sharma
	// 1.00 true: sunita=sunita, debi=devi
	// 0.50 false: sharma=sharma; unpaired: rajesh, suresh
	// 0.46 false: ram=ram; unpaired: kumar, kumari; gender contrast kumar/kumari
}
