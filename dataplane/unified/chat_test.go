package unified

import (
	"encoding/json"
	"testing"
)

func TestContentUnmarshal(t *testing.T) {
	tests := []struct {
		in   string
		text string
		null bool
		n    int // parts
	}{
		{in: `"plain"`, text: "plain"},
		{in: `"esc\"aped\n"`, text: "esc\"aped\n"},
		{in: `"h\u00e9llo"`, text: "héllo"},
		{in: `"héllo"`, text: "héllo"},
		{in: `null`, null: true},
		{in: `[{"type":"text","text":"a"},"b"]`, n: 2},
	}
	for _, tt := range tests {
		var m struct{ Content Content }
		if err := json.Unmarshal([]byte(`{"Content":`+tt.in+`}`), &m); err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		c := m.Content
		switch {
		case tt.null && !c.IsNull():
			t.Errorf("%s: want null", tt.in)
		case tt.n > 0 && len(c.Parts) != tt.n:
			t.Errorf("%s: %d parts", tt.in, len(c.Parts))
		case !tt.null && tt.n == 0 && (c.Text == nil || *c.Text != tt.text):
			t.Errorf("%s: got %v", tt.in, c.Text)
		}
	}
}
