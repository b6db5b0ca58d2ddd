package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// transition is a change of one execution's status that takes effect at a
// set time.
type transition struct {
	job         jobKey
	executionID string
	status      string
	at          time.Time
}

// ScheduleTransition makes an execution end with status once after has
// passed, as a running playbook would: from then on the emulator serves the
// execution with status in its status field (exit_status in the 2015 shape,
// status in the later one) and with an end time, the moment the transition
// took effect. A start time is added when the execution had none, and in
// the later shape the last timer is ended, or a timer is added when there
// was none. Other fields stay as they were.
//
// The change is made when the first request after that moment arrives, so
// no request can see the execution half changed. It fails when the job or
// the execution is not served, when status is empty or when after is
// negative. A transition of an execution that PutJob later removed is
// dropped.
func (s *Server) ScheduleTransition(
	alias, jobID, executionID, status string, after time.Duration,
) error {
	if status == "" {
		return errors.New("the status of a transition must not be empty")
	}
	if after < 0 {
		return fmt.Errorf("the delay of a transition must not be negative, not %s", after)
	}

	key := jobKey{alias: alias, id: jobID}
	s.mu.Lock()
	defer s.mu.Unlock()

	job, found := s.jobs[key]
	if !found {
		return fmt.Errorf("job %q in account %q is not served", jobID, alias)
	}
	if _, found := findExecution(job, executionID); !found {
		return fmt.Errorf("job %q in account %q has no execution %q", jobID, alias, executionID)
	}
	s.transitions = append(s.transitions, transition{
		job: key, executionID: executionID, status: status, at: time.Now().Add(after),
	})

	return nil
}

// currentJob returns the job with the given key after applying every
// transition that is due.
func (s *Server) currentJob(key jobKey) (Job, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()

	now := time.Now()
	pending := s.transitions[:0]
	for _, t := range s.transitions {
		if now.Before(t.at) {
			pending = append(pending, t)
			continue
		}
		s.apply(t)
	}
	clear(s.transitions[len(pending):])
	s.transitions = pending

	job, found := s.jobs[key]

	return job, found
}

// apply rewrites the execution a due transition names. The job gets a new
// executions slice, so that answers built from the old one are not touched.
// The caller holds s.mu.
func (s *Server) apply(t transition) {
	job, found := s.jobs[t.job]
	if !found {
		return
	}
	i, found := findExecution(job, t.executionID)
	if !found {
		return
	}

	ended, err := endExecution(job.Executions[i], t.status, t.at.UnixMilli())
	if err != nil {
		// Stored executions are compacted JSON objects, which always decode.
		panic("emulator: a stored execution does not decode: " + err.Error())
	}
	job.Executions = append([]json.RawMessage(nil), job.Executions...)
	job.Executions[i] = ended
	s.jobs[t.job] = job
}

// executionIDs holds the two fields either execution shape names itself by.
type executionIDs struct {
	ID          *string `json:"id"`
	ExecutionID *string `json:"execution_id"`
}

// findExecution returns the index of the execution whose id or execution_id
// is id.
func findExecution(job Job, id string) (int, bool) {
	for i, raw := range job.Executions {
		var ids executionIDs
		if json.Unmarshal(raw, &ids) != nil {
			continue
		}
		if (ids.ID != nil && *ids.ID == id) || (ids.ExecutionID != nil && *ids.ExecutionID == id) {
			return i, true
		}
	}

	return 0, false
}

// endExecution returns raw with status set and an end time of endMillis, as
// ScheduleTransition describes.
func endExecution(raw json.RawMessage, status string, endMillis int64) (json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, err
	}
	quoted, err := json.Marshal(status)
	if err != nil {
		return nil, err
	}
	end := json.RawMessage(fmt.Sprint(endMillis))

	_, hasTimers := fields["timers"]
	_, hasExecutionID := fields["execution_id"]
	_, hasStatus := fields["status"]
	laterShape := hasTimers || hasExecutionID || hasStatus

	if _, has := fields["exit_status"]; has || !laterShape {
		fields["exit_status"] = quoted
	}
	if laterShape {
		fields["status"] = quoted
	}

	_, hasStart := fields["start"]
	_, hasEnd := fields["end"]
	if hasStart || hasEnd || !laterShape {
		if isNull(fields["start"]) {
			fields["start"] = end
		}
		fields["end"] = end
	}
	if laterShape {
		if fields["timers"], err = endTimers(fields["timers"], end); err != nil {
			return nil, err
		}
	}

	return json.Marshal(fields)
}

// endTimers ends the last of the timers, or adds one timer of no length when
// there is none.
func endTimers(raw json.RawMessage, end json.RawMessage) (json.RawMessage, error) {
	var timers []map[string]json.RawMessage
	if !isNull(raw) {
		if err := json.Unmarshal(raw, &timers); err != nil {
			return nil, err
		}
	}

	if len(timers) == 0 {
		timers = []map[string]json.RawMessage{{"start": end}}
	}
	last := timers[len(timers)-1]
	if isNull(last["start"]) {
		last["start"] = end
	}
	last["end"] = end

	return json.Marshal(timers)
}

// isNull tells whether a field is missing or null.
func isNull(raw json.RawMessage) bool {
	return raw == nil || string(raw) == "null"
}

// execution answers GET /jobs/{accountAlias}/{jobId}/executions/{executionId}
// with the execution as stored, one JSON object.
func (s *Server) execution(alias, jobID, executionID string) answer {
	job, found := s.currentJob(jobKey{alias: alias, id: jobID})
	if !found {
		return message(http.StatusNotFound,
			fmt.Sprintf("Job %s not found in account %s", jobID, alias))
	}

	i, found := findExecution(job, executionID)
	if !found {
		return message(http.StatusNotFound,
			fmt.Sprintf("Execution %s not found for job %s in account %s", executionID, jobID, alias))
	}

	return answer{status: http.StatusOK, body: job.Executions[i]}
}
