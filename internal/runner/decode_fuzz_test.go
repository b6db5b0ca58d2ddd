package runner

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/clc-tf/terraform-provider-clc/internal/emulator"
)

// FuzzDecodeExecutions feeds the decoder arbitrary answers, starting from the
// API page's example, every emulator fixture in both response forms, and the
// bad answers of the fault matrix. Whatever the input, it must return either
// an error or executions that each have an id, and never panic.
func FuzzDecodeExecutions(f *testing.F) {
	apiPage, err := os.ReadFile("testdata/api-page.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(apiPage)

	jobs, err := emulator.Fixtures()
	if err != nil {
		f.Fatal(err)
	}
	for _, job := range jobs {
		array := append([]byte("["), bytes.Join(rawValues(job.Executions), []byte(","))...)
		array = append(array, ']')
		f.Add(array)

		envelope, err := json.Marshal(map[string]any{
			"totalSize": len(job.Executions), "page": 0, "size": 100, "results": job.Executions,
		})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(envelope)
	}

	for _, bad := range []string{
		"", "<!DOCTYPE html><html></html>", `[{"id": "a", "sta`, `{"results": []}`,
		`[{"id": 7}]`, `[{"id": "a", "start": "yesterday"}]`, `[{"id": "a", "result": [{"h": {"ok": 1}}]}]`,
		`{"totalSize": 3, "size": 0, "results": [{"execution_id": "x", "timers": [{"start": 1e12}]}]}`,
	} {
		f.Add([]byte(bad))
	}

	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := decodeExecutions(body)
		if err != nil {
			if p != nil {
				t.Errorf("decodeExecutions returned a page with the error %v", err)
			}
			return
		}

		if p.totalSize < 0 || p.size < 0 {
			t.Errorf("totalSize %d and size %d must not be negative", p.totalSize, p.size)
		}
		for i, e := range p.executions {
			if e.ID == "" {
				t.Errorf("execution %d has no id: %+v", i, e)
			}
		}
	})
}

func rawValues(values []json.RawMessage) [][]byte {
	out := make([][]byte, len(values))
	for i, v := range values {
		out[i] = v
	}

	return out
}
