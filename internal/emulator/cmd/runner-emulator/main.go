// Command runner-emulator serves the Runner API emulator on a loopback address
// until it receives SIGINT or SIGTERM.
//
// It is meant for the demo and for trying the provider by hand: point the
// provider's api_url and runner_url at the URL it prints.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/clc-tf/terraform-provider-clc/internal/emulator"
)

func main() {
	os.Exit(exitCode())
}

// exitCode runs the command until a signal stops it and returns its exit code.
func exitCode() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	err := run(ctx, os.Args[1:], os.Stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		_, _ = fmt.Fprintf(os.Stderr, "runner-emulator: %v\n", err)
		return 1
	}
}

// errUsage reports a command line the flag package already complained about.
var errUsage = errors.New("invalid command line")

// run parses args, serves until ctx is done and then shuts the server down.
func run(ctx context.Context, args []string, stderr io.Writer) error {
	flags := flag.NewFlagSet("runner-emulator", flag.ContinueOnError)
	flags.SetOutput(stderr)
	listen := flags.String("listen", "127.0.0.1:8099",
		"loopback `address` to listen on, such as 127.0.0.1:8099, [::1]:0 or localhost:0")
	username := flags.String("username", emulator.DefaultUsername, "accepted login user")
	password := flags.String("password", emulator.DefaultPassword, "accepted login password")
	urlFile := flags.String("url-file", "",
		"write the base URL to this `file` once listening, and remove it on exit")
	fixtures := flags.String("fixtures", "",
		"serve every *.json job file in this `directory` instead of the embedded fixtures")
	latency := flags.Duration("latency", 0, "delay every answer by this `duration`, such as 20ms")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if flags.NArg() > 0 {
		_, _ = fmt.Fprintf(stderr, "unexpected arguments: %q\n", flags.Args())
		flags.Usage()
		return errUsage
	}

	logger := log.New(stderr, "", log.LstdFlags)
	cfg := emulator.Config{
		Username: *username,
		Password: *password,
		Latency:  *latency,
		OnRequest: func(r emulator.Request) {
			logger.Printf("%s %s %d", r.Method, r.Path, r.Status)
		},
	}
	if *fixtures != "" {
		jobs, err := emulator.LoadJobs(*fixtures)
		if err != nil {
			return fmt.Errorf("loading fixtures: %w", err)
		}
		cfg.Jobs = jobs
	}

	server, err := emulator.New(cfg)
	if err != nil {
		return err
	}
	if err := server.Start(*listen); err != nil {
		return err
	}
	_, _ = fmt.Fprintf(stderr, "runner emulator listening on %s\n", server.URL())

	if *urlFile != "" {
		if err := writeFileAtomic(*urlFile, server.URL()+"\n"); err != nil {
			return errors.Join(fmt.Errorf("writing the URL file: %w", err), server.Close())
		}
		defer func() { _ = os.Remove(*urlFile) }()
	}

	<-ctx.Done()
	logger.Printf("Shutting down")

	return server.Close()
}

// writeFileAtomic writes content to a temporary file beside path and renames
// it over path, so a reader never sees a partly written file.
func writeFileAtomic(path, content string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // Fails harmlessly once renamed.

	if _, err := tmp.WriteString(content); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}

	return os.Rename(tmp.Name(), path)
}
