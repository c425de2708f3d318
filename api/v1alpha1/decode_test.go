package v1alpha1

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const endpointDoc = `apiVersion: gateway/v1alpha1
kind: Endpoint
metadata: {name: %s}
spec: {targets: [{model: m, apiKeyRef: k}]}
`

// docSummary is what TestDecodeSources compares: where each document is and what it is.
type docSummary struct {
	Index int
	What  string // "Kind/name", or "error"
}

func summarize(ds []Decoded) []docSummary {
	var out []docSummary
	for _, d := range ds {
		s := docSummary{Index: d.Source.Index, What: "error"}
		if d.Err == nil && d.Object != nil {
			s.What = d.Object.GetTypeMeta().Kind + "/" + d.Object.GetMetadata().Name
		}
		out = append(out, s)
	}
	return out
}

func TestDecodeSources(t *testing.T) {
	ep := func(name string) string { return fmt.Sprintf(endpointDoc, name) }
	tests := []struct {
		name string
		in   string
		want []docSummary
	}{
		{"single", ep("a"), []docSummary{{0, "Endpoint/a"}}},
		{"leading marker", "---\n" + ep("a"), []docSummary{{0, "Endpoint/a"}}},
		{"comment before leading marker", "# hello\n\n---\n" + ep("a"), []docSummary{{0, "Endpoint/a"}}},
		{"two", ep("a") + "---\n" + ep("b"), []docSummary{{0, "Endpoint/a"}, {1, "Endpoint/b"}}},
		{"empty and comment-only documents count", ep("a") + "---\n---\n# just a comment\n---\n" + ep("b") + "---\n",
			[]docSummary{{0, "Endpoint/a"}, {3, "Endpoint/b"}}},
		{"marker with comment", ep("a") + "--- # next\n" + ep("b"), []docSummary{{0, "Endpoint/a"}, {1, "Endpoint/b"}}},
		{"document end marker", ep("a") + "...\n---\n" + ep("b"), []docSummary{{0, "Endpoint/a"}, {1, "Endpoint/b"}}},
		{"null document", "~\n---\n" + ep("b"), []docSummary{{1, "Endpoint/b"}}},
		{"error in the middle", ep("a") + "---\n: : :\n---\n" + ep("c"),
			[]docSummary{{0, "Endpoint/a"}, {1, "error"}, {2, "Endpoint/c"}}},
		{"json object", `{"apiVersion":"gateway/v1alpha1","kind":"APIKey","metadata":{"name":"k"},"spec":{"provider":"mock"}}`,
			[]docSummary{{0, "APIKey/k"}}},
		{"json array counts items", `[{"apiVersion":"gateway/v1alpha1","kind":"APIKey","metadata":{"name":"k"},"spec":{"provider":"mock"}}, 1,
			{"apiVersion":"gateway/v1alpha1","kind":"APIKey","metadata":{"name":"l"},"spec":{"provider":"mock"}}]`,
			[]docSummary{{0, "APIKey/k"}, {1, "error"}, {2, "APIKey/l"}}},
		{"empty json array", `[]`, nil},
		{"list then document", "kind: List\nitems:\n- " + strings.ReplaceAll(ep("a"), "\n", "\n  ") + "\n- " +
			strings.ReplaceAll(ep("b"), "\n", "\n  ") + "\n---\n" + ep("c"),
			[]docSummary{{0, "Endpoint/a"}, {1, "Endpoint/b"}, {2, "Endpoint/c"}}},
		{"empty list still counts", "kind: List\nitems: []\n---\n" + ep("c"), []docSummary{{1, "Endpoint/c"}}},
		{"empty file", "", nil},
		{"only comments", "# nothing\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := summarize(Load("f.yaml", []byte(tt.in)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("documents (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeYAMLErrorsUseFileLines(t *testing.T) {
	in := fmt.Sprintf(endpointDoc, "a") + "---\n" + fmt.Sprintf(endpointDoc, "b") + "---\napiVersion: gateway/v1alpha1\nkind: Endpoint\nmetadata: name: x\n"
	ds := Decode("f.yaml", []byte(in))
	if len(ds) != 3 || ds[2].Err == nil {
		t.Fatalf("got %+v, want an error in document 3", ds)
	}
	const want = "f.yaml: document 3: yaml: line 13: mapping values are not allowed in this context"
	if got := ds[2].Err.Error(); got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

func TestDecodeDoesNotDefaultOrValidate(t *testing.T) {
	ds := Decode("f.yaml", []byte("apiVersion: gateway/v1alpha1\nkind: Endpoint\nmetadata: {name: Not_Valid}\nspec: {retry: {}}\n"))
	if len(ds) != 1 || ds[0].Err != nil {
		t.Fatalf("Decode = %+v, want one document without error", ds)
	}
	e := ds[0].Object.(*Endpoint)
	if e.Spec.Task != "" || e.Spec.Retry.Attempts != 0 || e.Spec.Retry.Backoff != nil {
		t.Errorf("Decode applied defaults: %+v", e.Spec)
	}
	if e.Metadata.Name != "Not_Valid" {
		t.Errorf("name = %q", e.Metadata.Name)
	}
}

func TestDecodeKeepsObjectOnError(t *testing.T) {
	in := "apiVersion: gateway/v1alpha1\nkind: APIKey\nmetadata: {name: k, labels: {a: b}}\nspec: {provider: openai, wat: 1, env: [x]}\n"
	for _, fn := range []func(string, []byte) []Decoded{Decode, Load} {
		ds := fn("f.yaml", []byte(in))
		if len(ds) != 1 {
			t.Fatalf("got %d documents", len(ds))
		}
		d := ds[0]
		var de *DocumentError
		if !errors.As(d.Err, &de) {
			t.Fatalf("Err = %v, want *DocumentError", d.Err)
		}
		if de.Kind != KindAPIKey || de.Name != "k" || de.Source != (Source{File: "f.yaml"}) {
			t.Errorf("DocumentError = %+v", de)
		}
		want := FieldErrors{{"spec.env", "must be a string"}, {"spec.wat", "unknown field"}}
		if diff := cmp.Diff(want, de.Errs); diff != "" {
			t.Errorf("errors (-want +got):\n%s", diff)
		}
		k, ok := d.Object.(*APIKey)
		if !ok {
			t.Fatalf("Object = %T, want *APIKey", d.Object)
		}
		if k.Metadata.Name != "k" || k.Spec.Provider != "openai" || k.Metadata.Labels["a"] != "b" || k.Spec.Env != "" {
			t.Errorf("partial object = %+v", k)
		}
	}
}

func TestDecodeDropsStatus(t *testing.T) {
	in := fmt.Sprintf(endpointDoc, "a") + "status: {observedGeneration: 3, conditions: [{type: Ready, status: \"True\"}], bogus: 1}\n"
	ds := Load("f.yaml", []byte(in))
	if len(ds) != 1 || ds[0].Err != nil {
		t.Fatalf("Load = %+v", ds)
	}
	if st := ds[0].Object.GetStatus(); st.ObservedGeneration != 0 || st.Conditions != nil {
		t.Errorf("status was read: %+v", st)
	}
}

func TestLoadDoesNotRepeatDecodeErrors(t *testing.T) {
	// metadata.name fails to decode; Validate would also say "required".
	in := "apiVersion: gateway/v1alpha1\nkind: Endpoint\nmetadata: {name: [x]}\nspec: {targets: 3}\n"
	ds := Load("f.yaml", []byte(in))
	const want = `f.yaml: document 1: Endpoint: metadata.name: must be a string; spec.targets: must be a list`
	if len(ds) != 1 || ds[0].Err == nil || ds[0].Err.Error() != want {
		t.Fatalf("Load = %+v, want error %q", ds, want)
	}
}

func TestErrorFormats(t *testing.T) {
	errs := FieldErrors{{"spec.targets[1].wieght", "unknown field"}, {"", "whole document"}}
	tests := []struct {
		err  error
		want string
	}{
		{FieldError{"spec.targets[1].wieght", "unknown field"}, "spec.targets[1].wieght: unknown field"},
		{FieldError{"", "yaml: line 3: oops"}, "yaml: line 3: oops"},
		{errs, "spec.targets[1].wieght: unknown field; whole document"},
		{&DocumentError{Source{"bad.yaml", 0}, "Endpoint", "my-chat", errs[:1]}, "bad.yaml: document 1: Endpoint/my-chat: spec.targets[1].wieght: unknown field"},
		{&DocumentError{Source{"bad.yaml", 1}, "", "", FieldErrors{{"metadata.name", "required"}}}, "bad.yaml: document 2: metadata.name: required"},
		{&DocumentError{Source{"bad.yaml", 1}, "APIKey", "", FieldErrors{{"metadata.name", "required"}}}, "bad.yaml: document 2: APIKey: metadata.name: required"},
		{&DocumentError{Source{"bad.yaml", 0}, "", "x", FieldErrors{{"kind", "required"}}}, "bad.yaml: document 1: x: kind: required"},
		{&DocumentError{Source{"", 4}, "", "", FieldErrors{{"", "yaml: line 3: mapping values are not allowed in this context"}}}, "document 5: yaml: line 3: mapping values are not allowed in this context"},
		{&DocumentError{Source{"f.yaml", 0}, "Endpoint", "a b\n", FieldErrors{{"", "x"}}}, `f.yaml: document 1: Endpoint/"a b\n": x`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	var fe FieldErrors
	if !errors.As(&DocumentError{Errs: errs}, &fe) || len(fe) != 2 {
		t.Errorf("errors.As(DocumentError, FieldErrors) failed")
	}
}
