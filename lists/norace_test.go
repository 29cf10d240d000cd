//go:build !race

package lists_test

// raceDetector: see race_test.go.
const raceDetector = false
