//go:build linux

// Command peak-rss runs a command with this process's standard streams and
// environment, waits for it, and writes the command's peak resident set size
// in bytes to a file. scripts/bench.sh puts it in front of the provider, which
// Terraform starts, to measure the provider process's memory.
//
// Usage: peak-rss -o FILE -- COMMAND [ARGUMENT...]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run runs the command that args name and returns its exit code, or 1 or 2
// when peak-rss itself fails.
func run(args []string) int {
	flags := flag.NewFlagSet("peak-rss", flag.ContinueOnError)
	out := flags.String("o", "", "write the peak RSS in bytes to this `file`")
	if err := flags.Parse(args); err != nil || *out == "" || flags.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: peak-rss -o FILE -- COMMAND [ARGUMENT...]")
		return 2
	}

	// The command runs until it ends by itself: no context ever cancels it.
	cmd := exec.CommandContext(context.Background(), flags.Arg(0), flags.Args()[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "peak-rss: %v\n", err)
		return 1
	}

	// Pass on the signals that stop a plugin; the command decides when to end.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		for s := range signals {
			_ = cmd.Process.Signal(s)
		}
	}()

	err := cmd.Wait()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		fmt.Fprintf(os.Stderr, "peak-rss: %v\n", err)
		return 1
	}

	if usage, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		// On Linux, Maxrss is in KiB.
		peak := strconv.FormatInt(usage.Maxrss*1024, 10) + "\n"
		if err := os.WriteFile(*out, []byte(peak), 0o600); err != nil {
			fmt.Fprintf(os.Stderr, "peak-rss: %v\n", err)
			return 1
		}
	}

	return cmd.ProcessState.ExitCode()
}
