package runner

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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

// Bounds of Config.MaxParallelRequests.
const (
	DefaultMaxParallelRequests = 4
	MaxParallelRequestsLimit   = 32
)

// maxPages bounds how many pages one read follows: 1,000,000 executions at the
// largest page size.
const maxPages = 10000

// JobExecutions returns every execution of a job, newest first by start time
// (executions not started yet come first; ties by id). It follows the pages
// of a paged answer until totalSize records are read, asking for the pages
// after the first up to Config.MaxParallelRequests at a time.
func (c *Client) JobExecutions(ctx context.Context, accountAlias, jobID string) ([]Execution, error) {
	err := checkSegments([2]string{"account alias", accountAlias}, [2]string{"job id", jobID})
	if err != nil {
		return nil, err
	}

	first, err := c.executionsPage(ctx, accountAlias, jobID, 0, c.pageSize)
	if err != nil {
		return nil, err
	}

	// A record repeated in one answer is kept once, as in paged answers.
	executions := mergeByID([]pageRecords{{executions: first.executions}})
	if first.paged {
		executions, err = c.remainingPages(ctx, accountAlias, jobID, first)
		if err != nil {
			return nil, err
		}
	}

	for i := range executions {
		executions[i].fillOwner(accountAlias, jobID)
	}
	sortNewestFirst(executions)

	return executions, nil
}

// remainingPages reads the pages after the first, up to c.maxParallel at a
// time, and merges all records by id in page order, so a record that moved
// from one page to the next while we read is kept once, in the form of the
// later page. When a page reports more executions than the first did, the
// extra pages are read as well. An execution removed while we read moves
// the later ones towards page 0, so one of them can be missed until the next
// read; nothing short of reading every page again at once could tell.
func (c *Client) remainingPages(
	ctx context.Context, alias, jobID string, first *page,
) ([]Execution, error) {
	size := pageSize(first, c.pageSize)
	if size == 0 {
		return nil, first.malformed(fmt.Errorf(
			"page 0 holds no executions, but totalSize is %d", first.totalSize))
	}

	pages := []pageRecords{{executions: first.executions, totalSize: first.totalSize}}
	for total := first.totalSize; ; {
		count := (total + int64(size) - 1) / int64(size)
		if count > maxPages {
			return nil, first.malformed(fmt.Errorf(
				"totalSize %d needs %d pages of %d, more than the %d this provider reads",
				total, count, size, maxPages))
		}
		if count <= int64(len(pages)) {
			break
		}

		from := len(pages)
		pages = append(pages, make([]pageRecords, int(count)-from)...)
		if err := c.fetchPages(ctx, alias, jobID, size, pages, from); err != nil {
			return nil, err
		}
		for _, p := range pages[from:] {
			total = max(total, p.totalSize)
		}
	}

	merged := mergeByID(pages)

	// NOTE: a gate on the newest execution must not pass on a partial list,
	// so fewer distinct executions than every page promised is an error, not
	// a tolerance: an API that ignores page or size would otherwise serve the
	// first page again and again, and an old run would look like the latest.
	promised := first.totalSize
	for _, p := range pages {
		promised = min(promised, p.totalSize)
	}
	if int64(len(merged)) < promised {
		return nil, first.malformed(fmt.Errorf(
			"the pages hold %d distinct executions, fewer than the totalSize of %d they promise; "+
				"the API may be ignoring the page or size parameters", len(merged), promised))
	}

	return merged, nil
}

// pageSize is the page size to ask for after the first page: the number of
// executions the first page holds when more pages follow (whatever size the
// answer reports, since a full first page is the truth), never more than
// asked for; 0 when the first page is empty although more are promised.
func pageSize(first *page, asked int) int {
	held := len(first.executions)
	switch {
	case int64(held) < first.totalSize:
		return min(held, asked)
	case first.size > 0:
		return min(first.size, asked)
	default:
		return asked
	}
}

// pageRecords is what remainingPages keeps of one page: not its body.
type pageRecords struct {
	executions []Execution
	totalSize  int64
}

// fetchPages fills pages[from:], page number i into pages[i], with at most
// c.maxParallel requests in flight. The first failure cancels the requests
// still running and is the error returned.
func (c *Client) fetchPages(
	ctx context.Context, alias, jobID string, size int, pages []pageRecords, from int,
) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		failOnce sync.Once
		failure  error
	)
	next.Store(int64(from))
	for range min(c.maxParallel, len(pages)-from) {
		wg.Go(func() {
			for ctx.Err() == nil {
				number := int(next.Add(1) - 1)
				if number >= len(pages) {
					return
				}
				p, err := c.executionsPage(ctx, alias, jobID, number, size)
				switch {
				case err != nil:
				case !p.paged:
					err = p.malformed(fmt.Errorf(
						"page 0 was a paged answer but page %d is a bare array", number))
				case p.number >= 0 && p.number != int64(number):
					err = p.malformed(fmt.Errorf(
						"page %d was asked for, but the answer is page %d; pages count from 0",
						number, p.number))
				}
				if err != nil {
					failOnce.Do(func() { failure = err })
					cancel()
					return
				}
				pages[number] = pageRecords{executions: p.executions, totalSize: p.totalSize}
			}
		})
	}
	wg.Wait()

	if failure != nil {
		return failure
	}

	// Set only when the caller's context ended, which leaves pages unread.
	return ctx.Err()
}

// mergeByID joins the pages in page order, keeping each id once: where an
// id is on more than one page, the record of the later page replaces the
// earlier one in its first position.
func mergeByID(pages []pageRecords) []Execution {
	n := 0
	for _, p := range pages {
		n += len(p.executions)
	}

	merged := make([]Execution, 0, n)
	index := make(map[string]int, n)
	for _, p := range pages {
		for _, e := range p.executions {
			if i, seen := index[e.ID]; seen {
				merged[i] = e
				continue
			}
			index[e.ID] = len(merged)
			merged = append(merged, e)
		}
	}

	return merged
}

// parallelism checks a configured MaxParallelRequests and applies the default.
func parallelism(configured int) (int, error) {
	switch {
	case configured == 0:
		return DefaultMaxParallelRequests, nil
	case configured < 0 || configured > MaxParallelRequestsLimit:
		return 0, fmt.Errorf("max parallel requests %d is out of range: it must be from 1 to %d",
			configured, MaxParallelRequestsLimit)
	}

	return configured, nil
}

func (c *Client) executionsPage(
	ctx context.Context, alias, jobID string, pageNumber, size int,
) (*page, error) {
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

// fillOwner names the job and account the execution was asked for where the
// API's record leaves them out: the execution belongs to them either way.
func (e *Execution) fillOwner(accountAlias, jobID string) {
	if e.JobID == "" {
		e.JobID = jobID
	}
	if e.AccountAlias == "" {
		e.AccountAlias = accountAlias
	}
}

// activeStatuses are the exit statuses of an execution that has not finished.
var activeStatuses = map[string]bool{
	"PENDING": true, "INITIALIZING": true, "RUNNING": true, "STOPPING": true, "KILLING": true,
}

// Finished tells whether an execution has ended: it has an end time, or an
// exit status other than PENDING, INITIALIZING, RUNNING, STOPPING and
// KILLING. An execution with neither is taken to be still running.
func (e *Execution) Finished() bool {
	return e.End.Valid || (e.HasExitStatus && !activeStatuses[e.ExitStatus])
}

// sortNewestFirst orders executions by start time, newest first, ties by id.
// An execution without a start time is placed by its end time if it has
// one; with neither, it comes first while it has not finished (it is about
// to start), and last once it has (it ended, as INIT_FAILURE can, without
// ever starting, and nothing tells when): a run that never started must not
// hide every later run from a gate on the newest one.
func sortNewestFirst(executions []Execution) {
	type key struct {
		rank int // 2: not started yet; 1: has a time; 0: finished without one
		at   int64
	}
	keyOf := func(e *Execution) key {
		switch {
		case e.Start.Valid:
			return key{1, e.Start.Millis}
		case e.End.Valid:
			return key{1, e.End.Millis}
		case !e.Finished():
			return key{2, 0}
		default:
			return key{0, 0}
		}
	}

	slices.SortStableFunc(executions, func(a, b Execution) int {
		ka, kb := keyOf(&a), keyOf(&b)
		if c := cmp.Compare(kb.rank, ka.rank); c != 0 {
			return c
		}
		if c := cmp.Compare(kb.at, ka.at); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}
