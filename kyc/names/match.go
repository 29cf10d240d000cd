package names

import (
	"fmt"
	"math"
	"strings"
)

// DefaultThreshold is the score at or above which two names are taken as
// the same person's name. Measured at it (see the package comment):
// precision 1.000 and recall 0.990 on testdata/pairs.tsv, the set the
// matcher was tuned on; precision 0.987 and recall 0.852 on
// testdata/holdout.tsv, written afterwards. A caller that would rather
// review than miss (screening) may use 0.8: precision 0.986 and 0.951,
// recall 0.990 and 0.875 on the same two sets.
const DefaultThreshold = 0.85

const (
	// mergeFloor is the least similarity at which joined tokens are taken
	// as the other name's single token.
	mergeFloor = 0.9
	// noFullCap caps a score with no full token in common.
	noFullCap = 0.7
	// contrastFactor multiplies a score with a gender contrast.
	contrastFactor = 0.6
)

// Score is the result of a match.
type Score struct {
	// Value is in [0, 1]; 1 is the same name.
	Value float64
	// Reason says briefly how the tokens were paired ("rajesh=rajesh,
	// r~rajesh (initial); unpaired: prasad"), the two names in a fixed
	// order whichever was passed first. It is for people reading a
	// decision; its wording is not a stable format.
	Reason string
}

// Same reports whether s is at or above DefaultThreshold.
func (s Score) Same() bool { return s.Value >= DefaultThreshold }

// Match normalises a and b and scores them (see the package comment). It is
// symmetric and deterministic.
func Match(a, b string) Score { return MatchNames(Normalize(a), Normalize(b)) }

// MatchNames is Match for names already normalised, so a list of names
// (sanctions entries) is normalised once and matched many times.
func MatchNames(a, b Name) Score {
	if a.IsZero() || b.IsZero() {
		return Score{Value: 0, Reason: "no name to compare"}
	}
	if sameTexts(a.tokens, b.tokens) {
		return Score{Value: 1, Reason: "same tokens"}
	}
	// Score in one canonical order so the result is symmetric to the bit.
	x, y := a.tokens, b.tokens
	if compareTokens(x, y) > 0 {
		x, y = y, x
	}
	best := assess(x, y)
	mx, my := join(x, y), join(y, x)
	if mx != nil {
		best = better(best, assess(mx, y))
	}
	if my != nil {
		best = better(best, assess(x, my))
	}
	if mx != nil && my != nil {
		best = better(best, assess(mx, my))
	}
	return Score{Value: best.value, Reason: best.reason()}
}

// assessment is a scored pairing of two token lists.
type assessment struct {
	x, y     []token
	pairOf   [maxTokens]int8 // for each x token, the index of its y token, or -1
	sim      [maxTokens]float64
	kind     [maxTokens]simKind
	value    float64
	noFull   bool
	contrast [2]int8 // x and y indices of a gender contrast, or -1
}

func better(a, b assessment) assessment {
	if b.value > a.value {
		return b
	}
	return a
}

// assess pairs x with y by the exact maximum-weight assignment (a dynamic
// programme over subsets of y: at most maxTokens·2^maxTokens·maxTokens
// steps) and scores the pairing.
func assess(x, y []token) assessment {
	n, m := len(x), len(y)
	var sim [maxTokens][maxTokens]float64
	var kind [maxTokens][maxTokens]simKind
	for i := range n {
		for j := range m {
			sim[i][j], kind[i][j] = tokenSim(&x[i], &y[j])
		}
	}
	full := 1 << m
	var rows [2][1 << maxTokens]float64
	var choice [maxTokens][1 << maxTokens]int8
	dp, next := rows[0][:full], rows[1][:full]
	for s := range dp {
		dp[s] = math.Inf(-1)
	}
	dp[0] = 0
	for i := range n {
		for s := range next {
			next[s] = math.Inf(-1)
		}
		for s, v := range dp {
			if math.IsInf(v, -1) {
				continue
			}
			if v > next[s] {
				next[s], choice[i][s] = v, -1
			}
			for j := range m {
				k := kind[i][j]
				if s&(1<<j) != 0 || k != simFull && k != simInitial {
					continue
				}
				t := s | 1<<j
				if w := v + sim[i][j]*(x[i].weight+y[j].weight); w > next[t] {
					next[t], choice[i][t] = w, int8(j)
				}
			}
		}
		dp, next = next, dp
	}
	bestS := 0
	for s, v := range dp {
		if v > dp[bestS] {
			bestS = s
		}
	}
	a := assessment{x: x, y: y, contrast: [2]int8{-1, -1}}
	for i := n - 1; i >= 0; i-- {
		j := choice[i][bestS]
		a.pairOf[i] = j
		if j >= 0 {
			a.sim[i], a.kind[i] = sim[i][j], kind[i][j]
			bestS &^= 1 << j
		}
	}
	var xState, yState [maxTokens]pairState
	for i := range n {
		if j := a.pairOf[i]; j >= 0 {
			st := pairedInitial
			if a.kind[i] == simFull {
				st = pairedFull
			}
			xState[i], yState[j] = st, st
		}
	}
	for i := range n {
		for j := range m {
			if xState[i] == unpaired && yState[j] == unpaired && kind[i][j] == simContrast && !x[i].optional && !y[j].optional {
				a.contrast = [2]int8{int8(i), int8(j)}
			}
		}
	}
	a.value = a.score(xState[:n], yState[:m])
	return a
}

// pairState is how a token took part in a pairing.
type pairState uint8

const (
	unpaired      pairState = iota
	pairedInitial           // paired with or as an initial
	pairedFull              // paired as a full token with a full token
)

// score computes the formula of the package comment for a pairing.
func (a *assessment) score(xState, yState []pairState) float64 {
	num, den := 0.0, 0.0
	fullPair := false
	for i, j := range a.pairOf[:len(a.x)] {
		if j < 0 {
			continue
		}
		w := a.x[i].weight + a.y[j].weight
		num += a.sim[i] * w
		den += w
		if xState[i] == pairedFull && !a.x[i].initial {
			fullPair = true
		}
	}
	den += unpairedPenalty(a.x, xState, a.y, yState)
	den += unpairedPenalty(a.y, yState, a.x, xState)
	v := 0.0
	if den > 0 {
		v = num / den
	}
	if !fullPair && v > noFullCap {
		v, a.noFull = noFullCap, true
	}
	if a.contrast[0] >= 0 {
		v *= contrastFactor
	}
	return min(max(v, 0), 1)
}

// unpairedPenalty sums the penalty of the unpaired tokens of t, given how
// the other name o is covered: a quarter of the weight for a token after
// t's first when every token of o is paired, two or more as full tokens.
func unpairedPenalty(t []token, tState []pairState, o []token, oState []pairState) float64 {
	covered, fullPaired := true, 0
	for j, st := range oState {
		switch {
		case st == pairedFull && !o[j].initial:
			fullPaired++
		case st == unpaired && !o[j].optional:
			covered = false
		}
	}
	first := true
	pen := 0.0
	for i, st := range tState {
		if t[i].optional {
			continue
		}
		if st == unpaired {
			f := 1.0
			if covered && fullPaired >= 2 && !first {
				f = middleFactor
			}
			pen += t[i].weight * f
		}
		first = false
	}
	return pen
}

// join returns x with runs of two or three adjacent tokens joined where the
// join is a token of y, or nil when there is none.
func join(x, y []token) []token {
	var out []token
	joined := false
	for i := 0; i < len(x); {
		n, bestSim := 1, 0.0
		var best token
		for l := 3; l >= 2; l-- {
			if i+l > len(x) || hasInitial(x[i:i+l]) || !joinable(x[i:i+l], y) {
				continue
			}
			var b strings.Builder
			for _, t := range x[i : i+l] {
				b.WriteString(t.text)
			}
			cand := newToken(b.String(), false)
			for j := range y {
				s, k := tokenSim(&cand, &y[j])
				if k == simFull && s >= mergeFloor && !y[j].initial && s > bestSim {
					best, n, bestSim = cand, l, s
				}
			}
		}
		if n == 1 {
			out = append(out, x[i])
		} else {
			out, joined = append(out, best), true
		}
		i += n
	}
	if !joined {
		return nil
	}
	return out
}

// joinable reports whether some full token of y begins as the run does and
// is about as long as the run's keys together: a cheap test before the run
// is joined and keyed.
func joinable(run, y []token) bool {
	n := 0
	for _, t := range run {
		n += len(t.key)
	}
	first := firstRune(run[0].key)
	for _, t := range y {
		if !t.initial && firstRune(t.key) == first && len(t.key) >= n-3 && len(t.key) <= n+3 {
			return true
		}
	}
	return false
}

func hasInitial(ts []token) bool {
	for _, t := range ts {
		if t.initial {
			return true
		}
	}
	return false
}

func sameTexts(x, y []token) bool {
	if len(x) != len(y) {
		return false
	}
	var used [maxTokens]bool
outer:
	for _, t := range x {
		for j, u := range y {
			if !used[j] && t.text == u.text {
				used[j] = true
				continue outer
			}
		}
		return false
	}
	return true
}

func compareTokens(x, y []token) int {
	for i := range min(len(x), len(y)) {
		if c := strings.Compare(x[i].text, y[i].text); c != 0 {
			return c
		}
	}
	return len(x) - len(y)
}

// reason describes the pairing.
func (a *assessment) reason() string {
	var parts, unpaired []string
	var yPaired [maxTokens]bool
	for i, j := range a.pairOf[:len(a.x)] {
		if j < 0 {
			continue
		}
		yPaired[j] = true
		x, y := a.x[i].text, a.y[j].text
		switch {
		case a.kind[i] == simInitial:
			parts = append(parts, x+"~"+y+" (initial)")
		case a.sim[i] == 1:
			parts = append(parts, x+"="+y)
		default:
			parts = append(parts, fmt.Sprintf("%s≈%s %.2f", x, y, a.sim[i]))
		}
	}
	for i, j := range a.pairOf[:len(a.x)] {
		if j < 0 && !a.x[i].optional {
			unpaired = append(unpaired, a.x[i].text)
		}
	}
	for j, t := range a.y {
		if !yPaired[j] && !t.optional {
			unpaired = append(unpaired, t.text)
		}
	}
	s := strings.Join(parts, ", ")
	if len(unpaired) > 0 {
		s += "; unpaired: " + strings.Join(unpaired, ", ")
	}
	if a.noFull {
		s += "; no full token in common"
	}
	if c := a.contrast; c[0] >= 0 {
		s += "; gender contrast " + a.x[c[0]].text + "/" + a.y[c[1]].text
	}
	return strings.TrimPrefix(s, "; ")
}
