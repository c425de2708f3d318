package v1alpha1

import (
	"strings"
	"testing"
)

func TestRemoveObject(t *testing.T) {
	const a = "apiVersion: gateway/v1alpha1\nkind: APIKey\nmetadata: {name: a}\nspec: {provider: mock}\n"
	const b = "apiVersion: gateway/v1alpha1\nkind: APIKey\nmetadata: {name: b}\nspec: {provider: mock}\n"
	const c = "apiVersion: gateway/v1alpha1\nkind: APIKey\nmetadata: {name: c}\nspec: {provider: mock}\n"
	tests := []struct {
		name  string
		in    string
		index int
		want  string
		ok    bool
	}{
		{"first of three", "# head\n" + a + "---\n" + b + "---\n" + c, 0, b + "---\n" + c, true},
		{"middle keeps comments", a + "---\n# about b\n" + b + "--- # c\n" + c, 1, a + "--- # c\n" + c, true},
		{"last", a + "---\n" + b, 1, a, true},
		{"leading separator", "---\n" + a + "---\n" + b, 0, "---\n" + b, true},
		{"empty document counted", a + "---\n---\n" + b, 2, a + "---\n", true},
		{"list item refused", "kind: List\napiVersion: v1\nitems:\n- " + strings.ReplaceAll(a, "\n", "\n  ") + "\n- " + strings.ReplaceAll(b, "\n", "\n  "), 0, "", false},
		{"json refused", `{"apiVersion":"gateway/v1alpha1","kind":"APIKey","metadata":{"name":"a"},"spec":{"provider":"mock"}}`, 0, "", false},
		{"out of range", a, 3, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := RemoveObject([]byte(tt.in), tt.index)
			if ok != tt.ok || (ok && string(got) != tt.want) {
				t.Fatalf("RemoveObject = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
			if !ok {
				return
			}
			// Every remaining object still decodes, and the removed one is gone.
			for _, d := range Decode("f.yaml", got) {
				if d.Err != nil {
					t.Fatalf("remaining file does not decode: %v", d.Err)
				}
			}
		})
	}
}
