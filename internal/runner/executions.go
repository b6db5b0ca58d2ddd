package runner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Execution is one run of a job's playbook, read from either shape the API
// has used. Fields the API left out or sent as null are zero and not Valid.
type Execution struct {
	ID           string
	JobID        string
	AccountAlias string
	// ExitStatus is exit_status (2015 shape) or status (later shape), as sent.
	ExitStatus    string
	HasExitStatus bool
	// Start and End are epoch milliseconds, UTC. End is not Valid while the
	// execution runs.
	Start Epoch
	End   Epoch
	// Result holds the per-host counts; nil when the API sent none.
	Result map[string]HostResult
	// FailedHosts is failed_hosts as sent or, where the API sent none, the
	// hosts in Result with failures or unreachable above zero, sorted. Nil
	// when neither is known.
	FailedHosts []string
}

// HostResult is the Ansible recap of one host. A count the API left out is 0.
type HostResult struct {
	OK          int64 `json:"ok"`
	Changed     int64 `json:"changed"`
	Unreachable int64 `json:"unreachable"`
	Skipped     int64 `json:"skipped"`
	Failures    int64 `json:"failures"`
}

// maxPages bounds how many pages one read follows: 1,000,000 executions at the
// largest page size.
const maxPages = 10000

// JobExecutions returns every execution of a job, newest first by start time
// (executions not started yet come first; ties by id). It follows the pages
// of a paged answer until totalSize records are read.
func (c *Client) JobExecutions(ctx context.Context, accountAlias, jobID string) ([]Execution, error) {
	if err := CheckPathSegment(accountAlias); err != nil {
		return nil, fmt.Errorf("invalid account alias %q: %w", accountAlias, err)
	}
	if err := CheckPathSegment(jobID); err != nil {
		return nil, fmt.Errorf("invalid job id %q: %w", jobID, err)
	}

	first, err := c.executionsPage(ctx, accountAlias, jobID, 0, c.pageSize)
	if err != nil {
		return nil, err
	}

	executions := first.executions
	if first.paged {
		executions, err = c.remainingPages(ctx, accountAlias, jobID, first)
		if err != nil {
			return nil, err
		}
		if int64(len(executions)) != first.totalSize {
			// Executions come and go between pages; what the pages held is
			// returned, records seen twice once, in their later form.
			c.log.Debug(ctx, "The pages held another number of executions than totalSize", map[string]any{
				"total_size": first.totalSize, "executions": len(executions),
			})
		}
	}

	for i := range executions {
		if executions[i].JobID == "" {
			executions[i].JobID = jobID
		}
		if executions[i].AccountAlias == "" {
			executions[i].AccountAlias = accountAlias
		}
	}
	sortNewestFirst(executions)

	return executions, nil
}

// remainingPages reads the pages after the first and merges all records by
// id, so a record that moved from one page to the next while we read is kept
// once, in its latest form.
func (c *Client) remainingPages(ctx context.Context, alias, jobID string, first *page) ([]Execution, error) {
	size := first.size
	if size <= 0 {
		size = c.pageSize
	}
	pages := (first.totalSize + int64(size) - 1) / int64(size)
	if pages > maxPages {
		return nil, first.malformed(fmt.Errorf(
			"totalSize %d needs %d pages of %d, more than the %d this provider reads",
			first.totalSize, pages, size, maxPages))
	}

	merged := make([]Execution, 0, max(first.totalSize, int64(len(first.executions))))
	index := make(map[string]int, cap(merged))
	add := func(records []Execution) {
		for _, e := range records {
			if i, seen := index[e.ID]; seen {
				merged[i] = e
				continue
			}
			index[e.ID] = len(merged)
			merged = append(merged, e)
		}
	}
	add(first.executions)

	for p := int64(1); p < pages; p++ {
		next, err := c.executionsPage(ctx, alias, jobID, int(p), size)
		if err != nil {
			return nil, err
		}
		if !next.paged {
			return nil, next.malformed(errors.New("page 0 was a paged answer but a later page is a bare array"))
		}
		add(next.executions)
	}

	return merged, nil
}

func (c *Client) executionsPage(ctx context.Context, alias, jobID string, pageNumber, size int) (*page, error) {
	query := url.Values{"page": {strconv.Itoa(pageNumber)}, "size": {strconv.Itoa(size)}}
	u := joinURL(c.runnerURL, query, "jobs", alias, jobID, "executions")

	resp, err := c.get(ctx, u)
	if err != nil {
		return nil, err
	}

	p, err := decodeExecutions(resp.body)
	if err != nil {
		return nil, resp.malformed(err)
	}
	p.response = resp

	return p, nil
}

func sortNewestFirst(executions []Execution) {
	slices.SortStableFunc(executions, func(a, b Execution) int {
		if a.Start.Valid != b.Start.Valid {
			if !a.Start.Valid {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(b.Start.Millis, a.Start.Millis); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}
