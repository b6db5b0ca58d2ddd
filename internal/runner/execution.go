package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
)

// JobExecution returns one execution of a job, from
// GET /jobs/{accountAlias}/{jobId}/executions/{executionId}.
//
// The answer is one execution in either shape. A JSON array holding exactly
// one execution is accepted too, as the API answers that way for one job.
// An answer about another execution id is refused as malformed, so that a
// caller never takes one run's outcome for another's.
func (c *Client) JobExecution(
	ctx context.Context, accountAlias, jobID, executionID string,
) (Execution, error) {
	err := checkSegments(
		[2]string{"account alias", accountAlias}, [2]string{"job id", jobID},
		[2]string{"execution id", executionID})
	if err != nil {
		return Execution{}, err
	}

	u := joinURL(c.runnerURL, nil, "jobs", accountAlias, jobID, "executions", executionID)
	resp, err := c.get(ctx, u)
	if err != nil {
		return Execution{}, err
	}

	e, err := decodeExecution(resp.body)
	if err != nil {
		return Execution{}, resp.malformed(err)
	}
	if e.ID != executionID {
		return Execution{}, resp.malformed(fmt.Errorf(
			"the answer is about execution %q, not %q", e.ID, executionID))
	}
	e.fillOwner(accountAlias, jobID)

	return e, nil
}

// decodeExecution reads one execution: a JSON object, or a JSON array that
// holds exactly one.
func decodeExecution(body []byte) (Execution, error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return Execution{}, errors.New("the answer is empty")
	}

	var record wireExecution
	switch trimmed[0] {
	case '{':
		if err := decodeJSON(body, &record); err != nil {
			return Execution{}, err
		}

	case '[':
		var records []wireExecution
		if err := decodeJSON(body, &records); err != nil {
			return Execution{}, err
		}
		if len(records) != 1 {
			return Execution{}, fmt.Errorf("the answer is an array of %d executions, not one", len(records))
		}
		record = records[0]

	case '<':
		return Execution{}, errors.New("the answer is an HTML page, not JSON")

	default:
		return Execution{}, errors.New("the answer is neither a JSON object nor a JSON array")
	}

	var e Execution
	if err := convert(&record, &e); err != nil {
		return Execution{}, fmt.Errorf("the execution of the answer: %w", err)
	}

	return e, nil
}
