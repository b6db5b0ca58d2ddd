package runner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
)

// page is one decoded answer of the executions call.
type page struct {
	*response

	// paged is true for the envelope form, false for a bare array.
	paged     bool
	totalSize int64
	size      int
	// number is the page number the answer reports, or -1 when it has none.
	number     int64
	executions []Execution
}

// envelope is the paged form: {"totalSize", "page", "size", "results"}.
type envelope[record any] struct {
	TotalSize *int64    `json:"totalSize"`
	Page      *int64    `json:"page"`
	Size      *int64    `json:"size"`
	Results   *[]record `json:"results"`
}

// textFields are the string fields of both execution shapes. Embedded, they
// decode as fields of the record itself.
type textFields struct {
	ID           string  `json:"id"`
	ExecutionID  string  `json:"execution_id"`
	JobID        string  `json:"job_id"`
	AccountAlias string  `json:"account_alias"`
	ExitStatus   *string `json:"exit_status"`
	Status       *string `json:"status"`
}

// wireExecution holds every field of both execution shapes, in every form
// the API has been seen to send them.
type wireExecution struct {
	textFields
	Start       Epoch       `json:"start"`
	End         Epoch       `json:"end"`
	Timers      []wireTimer `json:"timers"`
	Result      hostResults `json:"result"`
	FailedHosts hostNames   `json:"failed_hosts"`
}

type wireTimer struct {
	Start Epoch `json:"start"`
	End   Epoch `json:"end"`
}

// plainExecution is wireExecution in the form nearly every answer takes:
// integer epochs, result as an object, failed_hosts as strings. It has no
// decoder of its own, so encoding/json decodes it in one pass; an answer that
// does not fit it fails with a type error and is decoded as wireExecution.
type plainExecution struct {
	textFields
	Start       *int64                `json:"start"`
	End         *int64                `json:"end"`
	Timers      []plainTimer          `json:"timers"`
	Result      map[string]HostResult `json:"result"`
	FailedHosts []string              `json:"failed_hosts"`
}

type plainTimer struct {
	Start *int64 `json:"start"`
	End   *int64 `json:"end"`
}

// wire returns p as the wireExecution that decoding the same JSON gives.
func (p *plainExecution) wire() wireExecution {
	w := wireExecution{
		textFields:  p.textFields,
		Start:       epochOf(p.Start),
		End:         epochOf(p.End),
		Result:      hostResults{hosts: p.Result},
		FailedHosts: hostNames{present: p.FailedHosts != nil, names: p.FailedHosts},
	}
	if p.Timers != nil {
		w.Timers = make([]wireTimer, len(p.Timers))
		for i, t := range p.Timers {
			w.Timers[i] = wireTimer{Start: epochOf(t.Start), End: epochOf(t.End)}
		}
	}

	return w
}

func epochOf(ms *int64) Epoch {
	if ms == nil {
		return Epoch{}
	}

	return Epoch{Millis: *ms, Valid: true}
}

// DecodeExecutions reads one answer of the executions call, in either form,
// as JobExecutions does with each page. It neither fills in job ids nor
// sorts; benchmarks use it to measure decoding alone.
func DecodeExecutions(body []byte) ([]Execution, error) {
	p, err := decodeExecutions(body)
	if err != nil {
		return nil, err
	}

	return p.executions, nil
}

// decodeExecutions reads either form of the executions answer. It decodes
// the records as plainExecution first and, only when that meets a value of
// another type, again as wireExecution, which accepts every form and says
// which record is wrong.
func decodeExecutions(body []byte) (*page, error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, errors.New("the answer is empty")
	}

	switch trimmed[0] {
	case '[', '{':
		p, err := decodeForm(body, trimmed[0] == '{', (*plainExecution).wire)
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			p, err = decodeForm(body, trimmed[0] == '{', func(w *wireExecution) wireExecution { return *w })
		}
		return p, err

	case '<':
		return nil, errors.New("the answer is an HTML page, not JSON")

	default:
		return nil, errors.New("the answer is neither a JSON array nor a JSON object")
	}
}

// decodeForm decodes body, a bare array of records or an envelope, with
// records of type R, and converts each through wire.
func decodeForm[R any](body []byte, paged bool, wire func(*R) wireExecution) (*page, error) {
	if !paged {
		var records []R
		if err := decodeJSON(body, &records); err != nil {
			return nil, locateBadRecord[R](body, err)
		}
		executions, err := convertAll(records, wire)
		if err != nil {
			return nil, err
		}
		return &page{executions: executions}, nil
	}

	var env envelope[R]
	if err := decodeJSON(body, &env); err != nil {
		return nil, locateBadRecord[R](body, err)
	}
	if env.Results == nil {
		return nil, errors.New("the answer is a JSON object without a results array")
	}
	if env.TotalSize == nil || *env.TotalSize < 0 {
		return nil, errors.New("the paged answer has no valid totalSize")
	}
	executions, err := convertAll(*env.Results, wire)
	if err != nil {
		return nil, err
	}
	p := &page{paged: true, totalSize: *env.TotalSize, number: -1, executions: executions}
	if env.Page != nil {
		p.number = *env.Page
	}
	if env.Size != nil && *env.Size > 0 && *env.Size <= 1000 {
		p.size = int(*env.Size)
	}

	return p, nil
}

func convertAll[R any](records []R, wire func(*R) wireExecution) ([]Execution, error) {
	executions := make([]Execution, len(records))
	for i := range records {
		w := wire(&records[i])
		if err := convert(&w, &executions[i]); err != nil {
			return nil, fmt.Errorf("execution %d of the answer: %w", i, err)
		}
	}

	return executions, nil
}

// convert maps one record of either shape onto an Execution.
func convert(w *wireExecution, e *Execution) error {
	switch {
	case w.ID != "":
		e.ID = w.ID
	case w.ExecutionID != "":
		e.ID = w.ExecutionID
	default:
		return errors.New("it has neither id nor execution_id")
	}

	e.JobID, e.AccountAlias = w.JobID, w.AccountAlias

	switch {
	case w.ExitStatus != nil:
		e.ExitStatus, e.HasExitStatus = *w.ExitStatus, true
	case w.Status != nil:
		e.ExitStatus, e.HasExitStatus = *w.Status, true
	}

	e.Start, e.End = w.Start, w.End
	if len(w.Timers) > 0 {
		if !e.Start.Valid {
			e.Start = w.Timers[0].Start
		}
		if !e.End.Valid {
			e.End = w.Timers[len(w.Timers)-1].End
		}
	}

	e.Result = w.Result.hosts
	switch {
	case w.FailedHosts.present:
		// A null or empty entry names no host.
		e.FailedHosts = slices.DeleteFunc(w.FailedHosts.names, func(name string) bool { return name == "" })
	case e.Result != nil:
		e.FailedHosts = failedHosts(e.Result)
	}

	return nil
}

// failedHosts lists, sorted, the hosts with failures or unreachable above zero.
func failedHosts(result map[string]HostResult) []string {
	failed := []string{}
	for host, r := range result {
		if r.Failures > 0 || r.Unreachable > 0 {
			failed = append(failed, host)
		}
	}
	slices.Sort(failed)

	return failed
}

// Epoch is a point in time in epoch milliseconds, UTC. The JSON may write it
// as an integer or in exponent form (1.439998433881e12); either way it is
// kept exactly. Valid is false for null or a missing field.
type Epoch struct {
	Millis int64
	Valid  bool
}

// UnmarshalJSON reads a JSON number or null.
func (e *Epoch) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*e = Epoch{}
		return nil
	}
	if len(data) == 0 || (data[0] != '-' && (data[0] < '0' || data[0] > '9')) {
		return fmt.Errorf("epoch milliseconds must be a number, not %s", abbreviate(data))
	}

	if v, err := strconv.ParseInt(string(data), 10, 64); err == nil {
		*e = Epoch{Millis: v, Valid: true}
		return nil
	}

	r, ok := new(big.Rat).SetString(string(data))
	if !ok || !r.IsInt() || !r.Num().IsInt64() {
		return fmt.Errorf("epoch milliseconds must be a whole number within 64 bits, not %s", abbreviate(data))
	}
	*e = Epoch{Millis: r.Num().Int64(), Valid: true}

	return nil
}

// hostResults is the result field: an object keyed by host name, as the
// 2015 example shows, or an array of such objects, as its table says.
type hostResults struct {
	hosts map[string]HostResult
}

func (h *hostResults) UnmarshalJSON(data []byte) error {
	switch {
	case string(data) == "null":
		h.hosts = nil
		return nil
	case len(data) > 0 && data[0] == '[':
		var parts []map[string]HostResult
		if err := json.Unmarshal(data, &parts); err != nil {
			return err
		}
		h.hosts = make(map[string]HostResult)
		for _, part := range parts {
			for host, r := range part {
				h.hosts[host] = r
			}
		}
		return nil
	default:
		h.hosts = nil
		return json.Unmarshal(data, &h.hosts)
	}
}

// hostNames is failed_hosts: an array of host names. Entries that are not
// strings (one example shows [0]) name no host and are left out.
type hostNames struct {
	present bool
	names   []string
}

func (h *hostNames) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*h = hostNames{}
		return nil
	}

	var entries []json.RawMessage
	if err := json.Unmarshal(data, &entries); err != nil {
		return fmt.Errorf("failed_hosts must be an array, not %s", abbreviate(data))
	}

	h.present, h.names = true, make([]string, 0, len(entries))
	for _, entry := range entries {
		var name string
		if json.Unmarshal(entry, &name) == nil {
			h.names = append(h.names, name)
		}
	}

	return nil
}

// decodeJSON unmarshals data into v and, on failure, says where in the
// answer (line, column and byte offset) the problem is.
func decodeJSON(data []byte, v any) error {
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}

	var offset int64 = -1
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntaxErr):
		offset = syntaxErr.Offset
	case errors.As(err, &typeErr):
		offset = typeErr.Offset
	}
	if offset < 0 {
		return fmt.Errorf("invalid JSON: %w", err)
	}

	line, column := position(data, offset)

	return fmt.Errorf("invalid JSON at line %d, column %d (byte %d): %w", line, column, offset, err)
}

// locateBadRecord improves err, which a field's own decoder returned without
// a position, by finding the first execution record that fails to decode.
// body is a bare array of records or an envelope with a results array.
func locateBadRecord[R any](body []byte, err error) error {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &syntaxErr) || errors.As(err, &typeErr) {
		return err
	}

	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, tokErr := dec.Token(); tokErr != nil {
		return err
	} else if tok == json.Delim('{') {
		if !seekKey(dec, "results") {
			return err
		}
		if tok, tokErr := dec.Token(); tokErr != nil || tok != json.Delim('[') {
			return err
		}
	}

	for i := 0; dec.More(); i++ {
		offset := dec.InputOffset()
		for offset < int64(len(body)) && strings.IndexByte(" \t\r\n,", body[offset]) >= 0 {
			offset++
		}
		var record R
		if recordErr := dec.Decode(&record); recordErr != nil {
			line, column := position(body, offset)
			return fmt.Errorf("invalid execution %d, which starts at line %d, column %d (byte %d): %w",
				i, line, column, offset, recordErr)
		}
	}

	return err
}

// seekKey moves dec, inside an object, to just after the given key.
func seekKey(dec *json.Decoder, key string) bool {
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if tok == key {
			return true
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return false
		}
	}

	return false
}

// position turns a byte offset into a 1-based line and column.
func position(data []byte, offset int64) (line, column int) {
	offset = min(offset, int64(len(data)))
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	column = int(offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1

	return line, column
}

// abbreviate shows at most 40 bytes of a JSON value in a message.
func abbreviate(data []byte) string {
	if len(data) > 40 {
		return string(data[:40]) + "…"
	}

	return string(data)
}
