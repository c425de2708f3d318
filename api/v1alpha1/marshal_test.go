package v1alpha1

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	yamlv2 "go.yaml.in/yaml/v2"
)

// loadedObjects loads every testdata/valid file.
func loadedObjects(t *testing.T) []Object {
	t.Helper()
	var objs []Object
	for _, file := range caseFiles(t, "testdata/valid") {
		data, err := os.ReadFile(filepath.Join("testdata/valid", file))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range Load(file, data) {
			if d.Err != nil {
				t.Fatal(d.Err)
			}
			objs = append(objs, d.Object)
		}
	}
	return objs
}

// persisted is obj as a file written by the server holds it.
func persisted(obj Object) Object {
	c := DeepCopyObject(obj)
	*c.GetStatus() = Status{}
	m := c.GetMetadata()
	m.ResourceVersion, m.Generation = "", 0
	if k, ok := c.(*APIKey); ok {
		k.Spec.Value = ""
	}
	return c
}

func TestMarshalRoundTrip(t *testing.T) {
	for _, obj := range loadedObjects(t) {
		name := obj.GetTypeMeta().Kind + "/" + obj.GetMetadata().Name
		t.Run(name, func(t *testing.T) {
			y, err := Marshal(obj)
			if err != nil {
				t.Fatal(err)
			}
			ds := Load("out.yaml", y)
			if len(ds) != 1 || ds[0].Err != nil {
				t.Fatalf("Load(Marshal(x)) = %+v\n%s", ds, y)
			}
			if diff := cmp.Diff(persisted(obj), ds[0].Object); diff != "" {
				t.Errorf("Load(Marshal(x)) != x (-want +got):\n%s", diff)
			}
			if !SpecEqual(persisted(obj), ds[0].Object) {
				t.Errorf("SpecEqual after round trip is false")
			}
			y2, err := Marshal(ds[0].Object)
			if err != nil || !bytes.Equal(y, y2) {
				t.Errorf("Marshal(Load(Marshal(x))) differs:\n%s\n---\n%s", y, y2)
			}
			for range 5 {
				if again, _ := Marshal(obj); !bytes.Equal(again, y) {
					t.Fatalf("Marshal is not stable:\n%s\n---\n%s", y, again)
				}
			}
			checkSortedKeys(t, y)
		})
	}
}

// checkSortedKeys parses YAML keeping key order and checks every mapping is sorted.
func checkSortedKeys(t *testing.T, y []byte) {
	t.Helper()
	var doc yamlv2.MapSlice
	if err := yamlv2.Unmarshal(y, &doc); err != nil {
		t.Fatal(err)
	}
	if keys := mapKeys(doc); !slices.Equal(keys, []string{"apiVersion", "kind", "metadata", "spec"}) {
		t.Errorf("top-level keys = %v", keys)
	}
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch v := v.(type) {
		case yamlv2.MapSlice:
			if keys := mapKeys(v); !slices.IsSorted(keys) {
				t.Errorf("keys of %q not sorted: %v", path, keys)
			}
			for _, it := range v {
				walk(it.Value, path+"."+it.Key.(string))
			}
		case []any:
			for _, e := range v {
				walk(e, path+"[]")
			}
		}
	}
	walk(doc, "")
}

func mapKeys(m yamlv2.MapSlice) []string {
	var keys []string
	for _, it := range m {
		keys = append(keys, it.Key.(string))
	}
	return keys
}

func TestMarshalDropsServerFields(t *testing.T) {
	k := validAPIKey()
	k.Spec.SecretRef = nil
	k.Spec.Value = "sk-canary-123"
	k.Metadata.ResourceVersion, k.Metadata.Generation = "17", 4
	k.Status = Status{ObservedGeneration: 4, Conditions: []Condition{{Type: "Ready", Status: "True", LastTransitionTime: time.Unix(0, 0)}}}
	before := k.DeepCopy()
	y, err := Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	for _, banned := range []string{"status", "resourceVersion", "generation", "value", "REDACTED", "sk-canary"} {
		if bytes.Contains(y, []byte(banned)) {
			t.Errorf("Marshal output contains %q:\n%s", banned, y)
		}
	}
	if diff := cmp.Diff(before, k); diff != "" {
		t.Errorf("Marshal modified its argument:\n%s", diff)
	}
	const want = `apiVersion: gateway/v1alpha1
kind: APIKey
metadata:
  name: openai-prod
spec:
  config:
    baseURL: https://api.openai.com/v1
    headers:
      OpenAI-Organization: org-1
  provider: openai
`
	if string(y) != want {
		t.Errorf("Marshal =\n%s\nwant\n%s", y, want)
	}
}

func TestMarshalFillsTypeMeta(t *testing.T) {
	y, err := Marshal(&Endpoint{Metadata: ObjectMeta{Name: "e"}, Spec: EndpointSpec{Targets: []Target{{Model: "m", APIKeyRef: "k"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(y), "apiVersion: gateway/v1alpha1\nkind: Endpoint\n") {
		t.Errorf("Marshal =\n%s", y)
	}
}

func TestMarshalErrors(t *testing.T) {
	for _, obj := range []Object{nil, (*Endpoint)(nil), (*APIKey)(nil)} {
		if _, err := Marshal(obj); err == nil {
			t.Errorf("Marshal(%#v) succeeded", obj)
		}
	}
}

func TestSpecEqual(t *testing.T) {
	ep := validEndpoint
	key := validAPIKey
	tests := []struct {
		name string
		a, b Object
		want bool
	}{
		{"same", ep(), ep(), true},
		{"metadata and status do not matter", ep(), func() Object {
			e := ep()
			e.Metadata.Labels, e.Metadata.ResourceVersion, e.Status.ObservedGeneration = nil, "9", 9
			return e
		}(), true},
		{"defaults do not matter", &Endpoint{Spec: EndpointSpec{Retry: &RetryPolicy{}}},
			&Endpoint{Spec: EndpointSpec{Task: TaskChat, Retry: &RetryPolicy{Attempts: 2, Backoff: &Duration{250 * time.Millisecond}}}}, true},
		{"empty lists", &Endpoint{Spec: EndpointSpec{Targets: []Target{}, Fallbacks: []Target{}, RateLimit: &RateLimit{}}}, &Endpoint{}, true},
		{"weight", ep(), func() Object { e := ep(); *e.Spec.Targets[0].Weight = 91; return e }(), false},
		{"nil weight vs explicit", ep(), func() Object { e := ep(); e.Spec.Targets[1].Weight = nil; return e }(), false},
		{"timeout", ep(), func() Object { e := ep(); e.Spec.Timeout = &Duration{time.Minute}; return e }(), false},
		{"target order", ep(), func() Object { e := ep(); slices.Reverse(e.Spec.Targets); return e }(), false},
		{"keys same", key(), key(), true},
		{"empty config", &APIKey{Spec: APIKeySpec{Config: &ProviderConfig{Headers: map[string]string{}}}}, &APIKey{}, true},
		{"value changed", func() Object { k := key(); k.Spec.Value = "a"; return k }(), func() Object { k := key(); k.Spec.Value = "b"; return k }(), false},
		{"header changed", key(), func() Object { k := key(); k.Spec.Config.Headers["X"] = "y"; return k }(), false},
		{"kinds differ", ep(), key(), false},
		{"nil and value", ep(), (*Endpoint)(nil), false},
		{"both nil", (*APIKey)(nil), (*APIKey)(nil), true},
		{"nil interface", nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SpecEqual(tt.a, tt.b); got != tt.want {
				t.Errorf("SpecEqual = %v, want %v", got, tt.want)
			}
			if got := SpecEqual(tt.b, tt.a); got != tt.want {
				t.Errorf("SpecEqual (swapped) = %v, want %v", got, tt.want)
			}
		})
	}
	a, b := ep(), ep()
	SpecEqual(a, b)
	if diff := cmp.Diff(ep(), a); diff != "" {
		t.Errorf("SpecEqual modified its argument:\n%s", diff)
	}
}

// TestMarshalTrickyStrings checks that strings YAML likes to reinterpret come
// back unchanged.
func TestMarshalTrickyStrings(t *testing.T) {
	tricky := []string{
		" leading", "trailing ", "a: b", "- x", "#x", "x #y", "'q'", `"dq"`, "yes", "no", "on", "off", "y", "n", "true", "null", "~",
		"1e3", "0x10", "010", "0o10", "1:30", "1_000", "+1", ".5", ".inf", "-.inf", ".nan", "2024-10-21", "2001-12-14t21:59:43.10-05:00",
		"\t", "multi\nline", "trailing\n", "\n", "a\r\nb", "\u2028", "\u2029", "\u0085", "\u0080", "\u009f", "\ufffe", "\uffff", "\ufeffbom", "a\ufeff", "é", "emoji 🚀", "\x7f", "\x00", "\x1b[31m",
		"{a}", "[a]", "*a", "&a", "!tag", "%d", "@x", "`x`", "|", ">", "<<", "?", "? x", "---", "...", "=", "\\", "a\\nb",
		strings.Repeat("long words ", 30), strings.Repeat("x", 300),
	}
	for _, s := range tricky {
		e := validEndpoint()
		e.Spec.Targets[0].Model = s
		e.Metadata.Annotations = map[string]string{"note": s}
		k := validAPIKey()
		k.Spec.Config.Headers["X-Note"] = s
		k.Spec.Config.Azure = &AzureConfig{APIVersion: s}
		for _, obj := range []Object{e, k} {
			y, err := Marshal(obj)
			if err != nil {
				t.Fatalf("Marshal(%q): %v", s, err)
			}
			ds := Decode("out.yaml", y)
			if len(ds) != 1 || ds[0].Err != nil {
				t.Errorf("%q: Decode(Marshal(x)) = %+v\n%s", s, ds, y)
				continue
			}
			if diff := cmp.Diff(persisted(obj), ds[0].Object); diff != "" {
				t.Errorf("%q: round trip changed the object (-want +got):\n%s\n%s", s, diff, y)
			}
		}
	}
}
