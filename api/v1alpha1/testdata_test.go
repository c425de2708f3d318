package v1alpha1

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ai-gateway/gateway/internal/golden"
)

// caseFiles lists the input files of a testdata directory (everything but
// .err expectations), as base names.
func caseFiles(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() || strings.HasSuffix(e.Name(), ".err") {
			continue
		}
		names = append(names, e.Name())
	}
	if len(names) == 0 {
		t.Fatalf("no cases in %s", dir)
	}
	return names
}

func caseName(file string) string { return strings.TrimSuffix(file, filepath.Ext(file)) }

// TestLoadValid loads every file under testdata/valid, which must load without
// error, and compares what Marshal writes for it with testdata/golden.
//
// go test ./api/v1alpha1 -run 'TestLoad(Valid|Invalid)' -update rewrites the
// expected files under testdata/ from what the code produces now; review the diff.
func TestLoadValid(t *testing.T) {
	for _, file := range caseFiles(t, "testdata/valid") {
		t.Run(caseName(file), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata/valid", file))
			if err != nil {
				t.Fatal(err)
			}
			docs := Load(file, data)
			if len(docs) == 0 {
				t.Fatal("no documents")
			}
			var out bytes.Buffer
			for i, d := range docs {
				if d.Err != nil {
					t.Errorf("unexpected error: %v", d.Err)
					continue
				}
				if d.Object == nil {
					t.Fatalf("document %d: nil Object without error", d.Source.Index+1)
				}
				if d.Source.File != file {
					t.Errorf("Source.File = %q, want %q", d.Source.File, file)
				}
				y, err := Marshal(d.Object)
				if err != nil {
					t.Fatalf("Marshal: %v", err)
				}
				if i > 0 {
					out.WriteString("---\n")
				}
				out.Write(y)
			}
			golden.Compare(t, filepath.Join("testdata/golden", caseName(file)+".yaml"), out.Bytes())
		})
	}
}

// TestLoadInvalid loads every testdata/invalid/<case>.{yaml,json} and compares
// the errors, one line per erroring document, with <case>.err.
func TestLoadInvalid(t *testing.T) {
	for _, file := range caseFiles(t, "testdata/invalid") {
		t.Run(caseName(file), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata/invalid", file))
			if err != nil {
				t.Fatal(err)
			}
			var got strings.Builder
			for _, d := range Load(file, data) {
				if d.Err == nil {
					continue
				}
				if _, ok := d.Err.(*DocumentError); !ok {
					t.Errorf("Err is %T, want *DocumentError", d.Err)
				}
				got.WriteString(d.Err.Error() + "\n")
			}
			if got.Len() == 0 {
				t.Fatal("no error")
			}
			golden.Compare(t, filepath.Join("testdata/invalid", caseName(file)+".err"), []byte(got.String()))
		})
	}
}
