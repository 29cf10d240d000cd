//go:build !linux

package tune

// Background does nothing outside Linux (see background_linux.go).
func Background() {}
