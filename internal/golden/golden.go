// Package golden compares test output with files kept under testdata, and
// rewrites those files when a test binary runs with -update.
//
// It is a normal (non-test) package so that every package's tests share one
// copy of the logic and one -update flag: go test passes -update to each test
// binary, and the flag is defined once here, in whatever test binary imports
// this package. A test binary that imports golden must not define its own
// "update" flag (the flag package panics on a second definition).
package golden

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata instead of comparing with them")

// Update reports whether the test binary runs with -update, for tests that
// write more than Compare does (several files from one case, say).
func Update() bool { return *update }

// Compare fails t when got differs from the file at path; under -update it
// writes got to path instead (creating its folder), so that the diff can be
// reviewed with git.
func Compare(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got; go test -update rewrites it):\n%s", path, diff)
	}
}

// JSON compares v, rendered by Indent, with the file at path.
func JSON(t testing.TB, path string, v any) {
	t.Helper()
	Compare(t, path, Indent(t, v))
}

// Indent renders v as JSON indented by two spaces and ending in a newline,
// the form the golden files keep. A v that is JSON already ([]byte or
// json.RawMessage) is indented as it is: marshalling it again would turn a
// []byte into base64 and HTML-escape a RawMessage, hiding what the code under
// test wrote. Invalid JSON fails t.
func Indent(t testing.TB, v any) []byte {
	t.Helper()
	var raw []byte
	switch b := v.(type) {
	case []byte:
		raw = b
	case json.RawMessage:
		raw = b
	default:
		out, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		return append(out, '\n')
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		t.Fatalf("invalid JSON %s: %v", raw, err)
	}
	buf.WriteByte('\n')
	return buf.Bytes()
}

// Read returns the file at path, failing t when it cannot be read.
func Read(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Cases returns the files matching pattern, each with suffix cut off (the
// case's base, to which the test adds its input and output suffixes). It
// fails t when nothing matches, so that a renamed testdata folder cannot make
// a golden test pass by testing nothing.
func Cases(t testing.TB, pattern, suffix string) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs match %s: %v", pattern, err)
	}
	for i, f := range files {
		files[i] = strings.TrimSuffix(f, suffix)
	}
	return files
}
