package main

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// machine describes where the suite ran.
type machine struct {
	CPU   string // model name from /proc/cpuinfo
	CPUs  int    // logical CPUs usable, as nproc reports
	Go    string // go version
	OS    string
	Arch  string
	Procs int // GOMAXPROCS of the benchmarks
}

func describeMachine() machine {
	m := machine{CPU: cpuModel(), CPUs: runtime.NumCPU(), Go: goVersion(), OS: runtime.GOOS, Arch: runtime.GOARCH, Procs: runtime.GOMAXPROCS(0)}
	return m
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// goVersion is the output of `go version`, the toolchain that built the
// benchmarks, falling back to this binary's own.
func goVersion() string {
	out, err := exec.Command("go", "version").Output()
	if err != nil {
		return runtime.Version()
	}
	return strings.TrimPrefix(strings.TrimSpace(string(out)), "go version ")
}
