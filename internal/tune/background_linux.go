package tune

import (
	"runtime"
	"syscall"
)

// Background gives the calling goroutine an OS thread of its own at a
// lower scheduling priority (BackgroundNice above the thread's nice, at
// most 19) for the rest of its life: when the CPUs are contended the kernel
// runs request-serving threads first, and when they are idle the
// background work runs at full speed. Call it first thing in a goroutine
// that does only background work (shipping the decision log); the thread
// ends with the goroutine.
func Background() {
	runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
	tid := syscall.Gettid()
	prio, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	if err != nil {
		return
	}
	// The raw system call reports 20 - nice.
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, backgroundNice(20-prio))
}
