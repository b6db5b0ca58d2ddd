//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestRunReportsPeakRSSAndExitCode(t *testing.T) {
	out := filepath.Join(t.TempDir(), "peak")

	code := run([]string{"-o", out, "--", "/bin/sh", "-c", "exit 3"})

	if code != 3 {
		t.Errorf("exit code %d, want 3, the command's own", code)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if peak, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64); err != nil || peak <= 0 {
		t.Errorf("peak RSS %q, want a positive number of bytes", data)
	}
}

func TestRunRefusesAnIncompleteCommandLine(t *testing.T) {
	for _, args := range [][]string{{"--", "/bin/sh"}, {"-o", "file"}} {
		if code := run(args); code != 2 {
			t.Errorf("run(%q) = %d, want 2", args, code)
		}
	}
}
