package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ai-gateway/gateway/dataplane/providers/builtin"
)

const regenerate = "regenerate it from the repository root with: go run ./hack/genproviders"

// TestREADMEUpToDate fails when README.md's provider table differs from what
// the registry says, e.g. after a catalog change.
func TestREADMEUpToDate(t *testing.T) {
	path := filepath.Join("..", "..", "README.md")
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	table, err := Table()
	if err != nil {
		t.Fatal(err)
	}
	updated, err := Splice(old, table)
	if err != nil {
		t.Fatalf("README.md: %v; add the markers, then %s", err, regenerate)
	}
	if diff := cmp.Diff(strings.Split(string(old), "\n"), strings.Split(string(updated), "\n")); diff != "" {
		t.Errorf("README.md's provider table is out of date; %s\n(-README.md +generated):\n%s", regenerate, diff)
	}
}

// TestEveryProviderListed: one row per registered provider, natives first.
func TestEveryProviderListed(t *testing.T) {
	table, err := Table()
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]int{}
	var order []string
	for _, line := range strings.Split(table, "\n") {
		if id, ok := strings.CutPrefix(line, "| `"); ok {
			id, _, _ = strings.Cut(id, "`")
			rows[id]++
			order = append(order, id)
		}
	}
	list := builtin.Registry().List()
	if len(order) != len(list) {
		t.Errorf("%d rows for %d registered providers", len(order), len(list))
	}
	for _, info := range list {
		if rows[info.ID] != 1 {
			t.Errorf("provider %q has %d rows", info.ID, rows[info.ID])
		}
	}
	for i, n := range natives {
		if i >= len(order) || order[i] != n.id {
			t.Fatalf("natives must come first, in order: row %d is %q, want %q", i, order[min(i, len(order)-1)], n.id)
		}
	}
	if !strings.Contains(table, "| `anthropic` | Anthropic | yes | no | no |") {
		t.Errorf("anthropic's row does not say chat only:\n%s", table)
	}
	if !strings.Contains(table, "| `groq` | Groq | yes | no | API key | `https://api.groq.com/openai/v1` |") {
		t.Errorf("groq's row:\n%s", table)
	}
	if !strings.Contains(table, "| `ollama` | Ollama (local) | yes | yes | none | `http://localhost:11434/v1` |") {
		t.Errorf("ollama's row:\n%s", table)
	}
}

func TestSplice(t *testing.T) {
	in := "# X\n\n## Providers\n\nprose\n\n" + BeginMarker + "\nold\nrows\n" + EndMarker + "\n\nafter\n"
	got, err := Splice([]byte(in), "\nnew\n\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "# X\n\n## Providers\n\nprose\n\n" + BeginMarker + "\n\nnew\n\n" + EndMarker + "\n\nafter\n"
	if string(got) != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	again, _ := Splice(got, "\nnew\n\n")
	if string(again) != want {
		t.Error("Splice is not idempotent")
	}
	for _, bad := range []string{"no markers", EndMarker + BeginMarker, BeginMarker + BeginMarker + EndMarker} {
		if _, err := Splice([]byte(bad), "x"); err == nil {
			t.Errorf("Splice(%q) succeeded", bad)
		}
	}
}
