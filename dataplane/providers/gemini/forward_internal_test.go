package gemini

import "testing"

func TestRewriteInnerModels(t *testing.T) {
	tests := []struct{ method, in, want string }{
		{"batchEmbedContents", `{"requests":[{"model":"models/ep","content":{}},{"model":"models/ep"}]}`,
			`{"requests":[{"model":"models/text-embedding-004","content":{}},{"model":"models/text-embedding-004"}]}`},
		{"countTokens", `{"generateContentRequest":{"model":"models/ep","contents":[]}}`,
			`{"generateContentRequest":{"model":"models/text-embedding-004","contents":[]}}`},
		{"countTokens", `{"contents":[]}`, `{"contents":[]}`},
		{"generateContent", `{"contents":[],"model":"x"}`, `{"contents":[],"model":"x"}`},
	}
	for _, tt := range tests {
		got, err := rewriteInnerModels(tt.method, []byte(tt.in), "text-embedding-004")
		if err != nil || string(got) != tt.want {
			t.Errorf("%s: got %s %v, want %s", tt.method, got, err, tt.want)
		}
	}
}
