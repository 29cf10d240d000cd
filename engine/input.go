package engine

import "encoding/json"

// PlainNumbers turns the json.Number values of m, a request input decoded
// with UseNumber, into the numbers Request.Input holds: int64 where whole
// and float64 otherwise, in nested objects and arrays too. It changes m in
// place and returns it; nil stays nil.
func PlainNumbers(m map[string]any) map[string]any {
	for k, v := range m {
		m[k] = plainNumber(v)
	}
	return m
}

func plainNumber(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		return PlainNumbers(x)
	case []any:
		for i := range x {
			x[i] = plainNumber(x[i])
		}
	}
	return v
}
