package v1alpha1

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad checks that Load never panics, that errors are *DocumentErrors with
// increasing indexes, that no error quotes a credential given in spec.value, and
// that what loads cleanly survives Marshal and Load again.
//
//	go test ./api/v1alpha1 -run '^$' -fuzz FuzzLoad -fuzztime 1m
//
// The seed corpus is every file under testdata/valid and testdata/invalid, plus
// the inputs below; crashers the fuzzer finds land in testdata/fuzz/FuzzLoad.
func FuzzLoad(f *testing.F) {
	for _, dir := range []string{"testdata/valid", "testdata/invalid"} {
		for _, file := range caseFiles(f, dir) {
			data, err := os.ReadFile(filepath.Join(dir, file))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	for _, s := range []string{
		"", "---", "---\n---\n", "...", "[]", "{}", "null", "~", "[1, [2], {}]", "kind: List\nitems: [{kind: List}]",
		"apiVersion: gateway/v1alpha1\nkind: APIKey\nmetadata: {name: a}\nspec: {provider: p, value: " + canary + "}",
		"a: &a [*a]", "a: &a {b: *a}", "? [a]\n: b", "<<: [1]", "<<: {a: 1}\na: 2", "\xef\xbb\xbf{}", "{\"a\":1,\"a\":2}",
		"apiVersion: gateway/v1alpha1\nkind: Endpoint\nmetadata: {name: e}\nspec: {targets: [{model: \"\\u2028\", apiKeyRef: k, weight: 1e300}]}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		last := -1
		for _, d := range Load("fuzz.yaml", data) {
			if d.Source.Index <= last {
				t.Fatalf("Source.Index %d after %d", d.Source.Index, last)
			}
			last = d.Source.Index
			if d.Err != nil {
				if _, ok := d.Err.(*DocumentError); !ok {
					t.Fatalf("Err is %T", d.Err)
				}
				msg := d.Err.Error()
				if strings.Contains(msg, "\n") {
					t.Fatalf("multi-line error: %q", msg)
				}
				if k, ok := d.Object.(*APIKey); ok && len(k.Spec.Value) >= 8 && strings.Contains(msg, k.Spec.Value.Reveal()) {
					t.Fatalf("error quotes spec.value: %q", msg)
				}
				continue
			}
			y, err := Marshal(d.Object)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			back := Load("again.yaml", y)
			if len(back) != 1 || back[0].Err != nil {
				t.Fatalf("Load(Marshal(x)) = %+v\n%s", back, y)
			}
			if !SpecEqual(persisted(d.Object), back[0].Object) {
				t.Fatalf("spec changed over Marshal and Load:\n%s", y)
			}
			if persisted(d.Object).GetMetadata().Name != back[0].Object.GetMetadata().Name {
				t.Fatalf("name changed over Marshal and Load:\n%s", y)
			}
		}
	})
}

// BenchmarkLoad loads every valid testdata file.
func BenchmarkLoad(b *testing.B) {
	var files [][]byte
	for _, file := range caseFiles(b, "testdata/valid") {
		data, err := os.ReadFile(filepath.Join("testdata/valid", file))
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, data)
	}
	for b.Loop() {
		for _, data := range files {
			Load("bench.yaml", data)
		}
	}
}
