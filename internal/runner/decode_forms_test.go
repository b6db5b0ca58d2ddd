package runner

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzPlainDecodeMatchesWire checks that whenever the one-pass plain decode
// of an answer succeeds, it gives exactly what the decode that accepts every
// form gives; when it fails, decodeExecutions falls back to the latter.
func FuzzPlainDecodeMatchesWire(f *testing.F) {
	seeds := []string{
		`[{"id": "a", "start": 1, "end": 2, "exit_status": "SUCCESS",
		   "result": {"h": {"ok": 1, "changed": 2, "unreachable": 3, "skipped": 4, "failures": 5}}}]`,
		`{"totalSize": 7, "page": 0, "size": 2, "results": [` + laterShape + `]}`,
		`[{"id": null, "execution_id": "b", "status": null, "start": null, "timers": [null, {}],
		   "failed_hosts": [], "result": {}}]`,
		`[{"ID": "upper", "Start": 5, "START": 6, "id": "lower", "result": null, "failed_hosts": null}]`,
		`[{"id": "a", "start": 1.5e3}]`,
		`[{"id": "a", "result": [{"h": {"ok": 1}}]}]`,
		`[{"id": "a", "failed_hosts": ["x", 0, null]}]`,
		`[null, {"id": "x", "result": {"h": null, "g": {"ok": null}}}]`,
		`{"totalSize": 1, "results": null}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	for _, pattern := range []string{"testdata/*.json", "../emulator/fixtures/*.json"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}

	f.Fuzz(func(t *testing.T, body []byte) {
		for _, paged := range []bool{false, true} {
			plain, plainErr := decodeForm(body, paged, (*plainExecution).wire)
			if plainErr != nil {
				continue
			}
			wire, wireErr := decodeForm(body, paged, func(w *wireExecution) wireExecution { return *w })
			if wireErr != nil {
				t.Fatalf("paged=%v: the plain decode succeeded, the wire decode failed: %v", paged, wireErr)
			}
			if !reflect.DeepEqual(plain, wire) {
				t.Fatalf("paged=%v: plain decode\n%+v\ndiffers from wire decode\n%+v", paged, plain, wire)
			}
		}
	})
}
