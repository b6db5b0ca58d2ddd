package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/clc-tf/terraform-provider-clc/internal/runner"
)

func TestFinished(t *testing.T) {
	end := runner.Epoch{Millis: 1, Valid: true}
	tests := []struct {
		execution runner.Execution
		want      bool
	}{
		{runner.Execution{ExitStatus: "SUCCESS", HasExitStatus: true}, true},
		{runner.Execution{ExitStatus: "KILLED", HasExitStatus: true}, true},
		{runner.Execution{ExitStatus: "SOMETHING_NEW", HasExitStatus: true}, true},
		{runner.Execution{ExitStatus: "RUNNING", HasExitStatus: true, End: end}, true},
		{runner.Execution{End: end}, true},
		{runner.Execution{}, false},
	}
	for _, status := range []string{"PENDING", "INITIALIZING", "RUNNING", "STOPPING", "KILLING"} {
		tests = append(tests, struct {
			execution runner.Execution
			want      bool
		}{runner.Execution{ExitStatus: status, HasExitStatus: true}, false})
	}

	for _, tt := range tests {
		if got := finished(&tt.execution); got != tt.want {
			t.Errorf("finished(%+v) = %t, want %t", tt.execution, got, tt.want)
		}
	}
}

// statuses returns a read function that answers with one execution whose
// status is the next of the given ones, repeating the last.
func statuses(calls *int, list ...string) func(context.Context) ([]runner.Execution, error) {
	return func(context.Context) ([]runner.Execution, error) {
		status := list[min(*calls, len(list)-1)]
		*calls++
		return []runner.Execution{{
			ID: "exec-1", JobID: "job-1", AccountAlias: "WFAQ", ExitStatus: status, HasExitStatus: true,
		}}, nil
	}
}

func TestPollUntilFinished(t *testing.T) {
	fast := &waitSettings{timeout: time.Minute, pollInterval: time.Millisecond}

	t.Run("without waiting, one read", func(t *testing.T) {
		calls := 0
		got, err := pollUntilFinished(t.Context(), nil, statuses(&calls, "RUNNING"))
		if err != nil || calls != 1 || got[0].ExitStatus != "RUNNING" {
			t.Errorf("got %v, %v after %d reads; want RUNNING after 1", got, err, calls)
		}
	})

	t.Run("until the execution finishes", func(t *testing.T) {
		calls := 0
		read := statuses(&calls, "PENDING", "RUNNING", "FAILURE")
		got, err := pollUntilFinished(t.Context(), fast, read)
		if err != nil || calls != 3 || got[0].ExitStatus != "FAILURE" {
			t.Errorf("got %v, %v after %d reads; want FAILURE after 3", got, err, calls)
		}
	})

	t.Run("nothing to wait for", func(t *testing.T) {
		calls := 0
		read := func(context.Context) ([]runner.Execution, error) {
			calls++
			return nil, nil
		}
		got, err := pollUntilFinished(t.Context(), fast, read)
		if err != nil || calls != 1 || len(got) != 0 {
			t.Errorf("got %v, %v after %d reads; want nothing after 1", got, err, calls)
		}
	})

	t.Run("a read error ends the wait", func(t *testing.T) {
		calls := 0
		running := statuses(&calls, "RUNNING")
		failure := &runner.Error{Kind: runner.KindServer}
		read := func(ctx context.Context) ([]runner.Execution, error) {
			if calls == 2 {
				return nil, failure
			}
			return running(ctx)
		}
		_, err := pollUntilFinished(t.Context(), fast, read)
		if !errors.Is(err, failure) {
			t.Errorf("err = %v, want the read's error", err)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		calls := 0
		w := &waitSettings{timeout: 20 * time.Millisecond, pollInterval: time.Millisecond}
		_, err := pollUntilFinished(t.Context(), w, statuses(&calls, "RUNNING"))

		var waitErr *waitError
		if !errors.As(err, &waitErr) || waitErr.cancelled || waitErr.waited < w.timeout {
			t.Fatalf("err = %#v, want a timeout after at least %s", err, w.timeout)
		}
		if calls < 2 {
			t.Errorf("%d reads, want at least 2", calls)
		}
	})

	t.Run("cancellation ends a long pause at once", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		calls := 0
		running := statuses(&calls, "RUNNING")
		w := &waitSettings{timeout: time.Hour, pollInterval: time.Hour}
		_, err := pollUntilFinished(ctx, w, func(ctx context.Context) ([]runner.Execution, error) {
			defer cancel()
			return running(ctx)
		})

		var waitErr *waitError
		if !errors.As(err, &waitErr) || !waitErr.cancelled || calls != 1 {
			t.Errorf("err = %#v after %d reads, want a cancelled wait after 1", err, calls)
		}
	})

	t.Run("cancellation during a read", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		calls := 0
		running := statuses(&calls, "RUNNING")
		_, err := pollUntilFinished(ctx, fast, func(ctx context.Context) ([]runner.Execution, error) {
			if calls == 1 {
				cancel()
				return nil, ctx.Err()
			}
			return running(ctx)
		})

		var waitErr *waitError
		if !errors.As(err, &waitErr) || !waitErr.cancelled {
			t.Errorf("err = %#v, want a cancelled wait", err)
		}
	})
}

func TestAddWaitError(t *testing.T) {
	execution := runner.Execution{ID: "exec-1", JobID: "job-1", AccountAlias: "WFAQ",
		ExitStatus: "RUNNING", HasExitStatus: true}
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{
			name: "timeout",
			err: &waitError{execution: execution,
				waited: 15*time.Minute + 400*time.Millisecond, timeout: 15 * time.Minute},
			want: []string{"Execution Still Running", "After waiting 15m0s (the timeout is 15m0s), " +
				`execution "exec-1" of job "job-1" in account "WFAQ" is still RUNNING.`},
		},
		{
			name: "cancelled, without a status",
			err: &waitError{execution: runner.Execution{ID: "exec-1", JobID: "job-1", AccountAlias: "WFAQ"},
				waited: 1234567 * time.Microsecond, cancelled: true},
			want: []string{"Wait Cancelled", "cancelled after 1s; it was last without a status"},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var diags diag.Diagnostics
			if !addWaitError(&diags, fmt.Errorf("wrapped: %w", tt.err)) || len(diags) != 1 {
				t.Fatalf("diagnostics = %v, want one", diags)
			}
			if got := diags[0].Summary(); got != tt.want[0] {
				t.Errorf("summary = %q, want %q", got, tt.want[0])
			}
			if got := diags[0].Detail(); !strings.Contains(got, tt.want[1]) {
				t.Errorf("detail = %q, want it to contain %q", got, tt.want[1])
			}
		})
	}

	var diags diag.Diagnostics
	if addWaitError(&diags, errors.New("other")) || len(diags) != 0 {
		t.Errorf("another error was taken for a wait error: %v", diags)
	}
}

// TestAccJobExecutions_waitTimesOut waits for the running fixture, whose
// newest execution never finishes.
func TestAccJobExecutions_waitTimesOut(t *testing.T) {
	e := startEmulator(t)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerConfig(e) + fmt.Sprintf(`
data "clc_job_executions" "test" {
  job_id = %q

  wait_for_completion = {
    timeout       = "1s"
    poll_interval = "200ms"
  }
}
`, runningJob),
			ExpectError: errorLike("Execution Still Running", "After waiting", "(the timeout is 1s)",
				`execution "c1c0e003-0000-4000-a000-000000000002" of job "`+runningJob+`" in account "WFAQ"`,
				"is still PENDING"),
		}},
	})
}
