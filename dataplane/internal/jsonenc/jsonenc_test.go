package jsonenc

import (
	"encoding/json"
	"testing"
)

func TestAppendString(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{`a "quote" and \ backslash`, `"a \"quote\" and \\ backslash"`},
		{"tab\tnew\nline\rcr\x01", `"tab\tnew\nline\rcr\u0001"`},
		{"<b> & </b>", `"<b> & </b>"`},
		{"line\u2028para\u2029", `"line\u2028para\u2029"`},
		{"bad \xff utf8", `"bad \ufffd utf8"`},
		{"héllo 世界", `"héllo 世界"`},
	} {
		got := string(AppendString([]byte("x"), tt.in))
		if got != "x"+tt.want {
			t.Errorf("AppendString(%q) = %s, want %s", tt.in, got[1:], tt.want)
		}
		var back string
		if err := json.Unmarshal([]byte(tt.want), &back); err != nil {
			t.Errorf("%s is not a JSON string: %v", tt.want, err)
		}
	}
}

func TestMarshalKeepsHTML(t *testing.T) {
	b, err := Marshal(map[string]string{"text": "<a & b>"})
	if err != nil || string(b) != `{"text":"<a & b>"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
}

// FuzzAppendString checks that every string comes back intact through a
// JSON decoder (invalid UTF-8 as U+FFFD, as encoding/json does too).
func FuzzAppendString(f *testing.F) {
	f.Add("a\"b\\c\n\u2028<&>\xff")
	f.Fuzz(func(t *testing.T, s string) {
		var got string
		if err := json.Unmarshal(AppendString(nil, s), &got); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		want, _ := json.Marshal(s)
		var wantS string
		_ = json.Unmarshal(want, &wantS)
		if got != wantS {
			t.Fatalf("%q decodes to %q, want %q", s, got, wantS)
		}
	})
}
