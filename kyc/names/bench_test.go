package names

import "testing"

// benchPairs are typical KYC comparisons: an exact name, initials, a
// relation marker and titles, a transliteration, a join, and a hard negative.
var benchPairs = [][2]string{
	{"RAJESH KUMAR SHARMA", "Rajesh Kumar Sharma"},
	{"R. K. Sharma", "Rajesh Kumar Sharma"},
	{"Smt. Sunita Devi W/O Ramesh Chand", "SUNITA DEBI"},
	{"Mohammed Irfan Qureshi", "Md Irfan Kureshi"},
	{"Ramkumar Yadav", "Ram Kumar Yadav"},
	{"Rajesh Sharma", "Suresh Sharma"},
}

func BenchmarkMatch(b *testing.B) {
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := benchPairs[i%len(benchPairs)]
		_ = Match(p[0], p[1])
		i++
	}
}

// BenchmarkMatchNames is screening's loop: the list entry and the customer
// normalised once, then matched.
func BenchmarkMatchNames(b *testing.B) {
	names := make([][2]Name, len(benchPairs))
	for i, p := range benchPairs {
		names[i] = [2]Name{Normalize(p[0]), Normalize(p[1])}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := names[i%len(names)]
		_ = MatchNames(p[0], p[1])
		i++
	}
}

func BenchmarkNormalize(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = Normalize("Mr. R. K. Sharma S/O Late Shri B. L. Sharma")
	}
}
