//go:build race

package lists_test

// raceDetector is true in a build with the race detector, which makes the
// pure-Go SQLite some twenty times slower: timing budgets do not apply.
const raceDetector = true
