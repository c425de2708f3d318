package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ai-gateway/gateway/api/v1alpha1"
)

func TestReadSources(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a.yaml":             "a",
		"b.yml":              "b",
		"c.JSON":             "c",
		"notes.txt":          "skip: not a manifest name",
		".hidden.yaml":       "skip: hidden",
		"d.yaml~":            "skip: backup",
		".d.yaml.swp":        "skip: vim swap",
		"e.yaml.swp":         "skip: swap",
		"f.yaml.tmp":         "skip: temporary",
		"#g.yaml#":           "skip: emacs autosave",
		"4913":               "skip: vim write test",
		"sub/h.yaml":         "h",
		"sub/deeper/i.yaml":  "i",
		".git/j.yaml":        "skip: hidden folder",
		"sub/.cache/k.yaml":  "skip: hidden folder",
		"other/explicit.txt": "explicit",
	})
	if err := os.Symlink(filepath.Join(dir, "a.yaml"), filepath.Join(dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "missing"), filepath.Join(dir, "dangling.yaml")); err != nil {
		t.Fatal(err)
	}
	names := func(srcs []source) []string {
		var out []string
		for _, s := range srcs {
			rel, err := filepath.Rel(dir, s.name)
			if err != nil || s.name == stdinName {
				rel = s.name
			}
			out = append(out, filepath.ToSlash(rel)+"="+string(s.data))
		}
		return out
	}

	var notes []string
	note := func(s string) { notes = append(notes, s) }
	srcs, err := readSources([]string{dir}, false, nil, note)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(srcs), []string{"a.yaml=a", "b.yml=b", "c.JSON=c", "link.yaml=a"}; !slices.Equal(got, want) {
		t.Errorf("folder: got %q, want %q", got, want)
	}
	if len(notes) != 2 || !strings.Contains(notes[0], "other") || !strings.Contains(notes[1], "sub") {
		t.Errorf("notes about skipped sub-folders: %q", notes)
	}

	notes = nil
	srcs, err = readSources([]string{dir}, true, nil, note)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a.yaml=a", "b.yml=b", "c.JSON=c", "link.yaml=a", "sub/deeper/i.yaml=i", "sub/h.yaml=h"}
	if got := names(srcs); !slices.Equal(got, want) {
		t.Errorf("-R: got %q, want %q", got, want)
	}
	if len(notes) != 0 {
		t.Errorf("-R noted %q", notes)
	}

	// Files named explicitly are taken whatever their name; - is stdin; the
	// order of -f is kept.
	srcs, err = readSources([]string{filepath.Join(dir, "other", "explicit.txt"), "-", filepath.Join(dir, "b.yml")}, false,
		strings.NewReader("from stdin"), note)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(srcs), []string{"other/explicit.txt=explicit", "stdin=from stdin", "b.yml=b"}; !slices.Equal(got, want) {
		t.Errorf("explicit files: got %q, want %q", got, want)
	}

	if _, err := readSources([]string{filepath.Join(dir, "nope")}, false, nil, note); err == nil || !strings.Contains(err.Error(), "nope: no such file or directory") {
		t.Errorf("missing path: %v", err)
	}
}

// TestCombineSources: the one request of an apply --prune holds exactly the
// objects of every file, JSON files and credentials included.
func TestCombineSources(t *testing.T) {
	srcs := []source{
		{name: "a.yaml", data: []byte("# leading comment\n" + endpointYAML("a", "x", "m") + "---\n" + mockKey)},
		{name: "b.json", data: []byte(`{"apiVersion":"gateway/v1alpha1","kind":"APIKey","metadata":{"name":"k"},"spec":{"provider":"openai","value":"sk-\"quoted\"\u00e9"}}`)},
		{name: "c.json", data: []byte("\xef\xbb\xbf" + `[{"apiVersion":"gateway/v1alpha1","kind":"Endpoint","metadata":{"name":"c"},"spec":{"targets":[{"model":"m","apiKeyRef":"k","weight":2}]}}]`)},
		{name: "empty.yaml", data: []byte("# only a comment\n")},
		{name: "d.yaml", data: []byte("---\n" + endpointYAML("d", "", "m") + "...\n")},
	}
	set := loadSources(srcs)
	body, err := combineSources(set)
	if err != nil {
		t.Fatal(err)
	}
	got := v1alpha1.Load("combined", body)
	var names []string
	for _, d := range got {
		if d.Err != nil {
			t.Fatalf("combined body has an error: %v\n%s", d.Err, body)
		}
		names = append(names, d.Object.GetMetadata().Name)
	}
	if want := []string{"a", "mock", "k", "c", "d"}; !slices.Equal(names, want) {
		t.Errorf("combined objects %q, want %q\n%s", names, want, body)
	}
	if v := got[2].Object.(*v1alpha1.APIKey).Spec.Value.Reveal(); v != `sk-"quoted"é` {
		t.Errorf("value changed on the way: %q", v)
	}
}

func TestIgnoredName(t *testing.T) {
	for name, want := range map[string]bool{
		"a.yaml": false, ".a.yaml": true, "a.yaml~": true, "a.swp": true, "a.swx": true, "a.tmp": true,
		"#a#": true, "#": false, "4913": true, "": true,
	} {
		if got := ignoredName(name); got != want {
			t.Errorf("ignoredName(%q) = %v, want %v", name, got, want)
		}
	}
}
