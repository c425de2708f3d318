package openaitest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestEmbeddingsPerInput(t *testing.T) {
	s := NewWithToolsAndEmbeddings("sk-e")
	defer s.Close()
	post := func(key, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, s.BaseURL()+"/embeddings", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	tests := []struct {
		input  string
		n      int
		tokens float64
	}{
		{`"one two three"`, 1, 3},
		{`["a b", "c", "d e f"]`, 3, 6},
		{`[1, 2, 3]`, 1, 3},
		{`[[1, 2], [3]]`, 2, 3},
	}
	for _, tt := range tests {
		status, out := post("sk-e", `{"model":"m","input":`+tt.input+`}`)
		data, _ := out["data"].([]any)
		usage, _ := out["usage"].(map[string]any)
		if status != 200 || len(data) != tt.n || usage["prompt_tokens"] != tt.tokens {
			t.Errorf("input %s: status %d, %d embeddings, usage %v", tt.input, status, len(data), usage)
			continue
		}
		for i, d := range data {
			e := d.(map[string]any)
			if e["index"] != float64(i) || len(e["embedding"].([]any)) != 8 {
				t.Errorf("input %s: embedding %d is %v", tt.input, i, e)
			}
		}
	}
	for _, bad := range []string{`""`, `[]`, `["a", ""]`, `{"x":1}`} {
		if status, _ := post("sk-e", `{"model":"m","input":`+bad+`}`); status != 400 {
			t.Errorf("input %s: status %d, want 400", bad, status)
		}
	}
	if status, _ := post("wrong", `{"model":"m","input":"x"}`); status != 401 {
		t.Errorf("wrong key: status %d", status)
	}
	if status, _ := post("sk-e", `{"model":"fail-503","input":"x"}`); status != 503 {
		t.Errorf("fail-503: status %d", status)
	}
	if s.Calls() != int64(len(tests)+4+2) {
		t.Errorf("Calls() = %d", s.Calls())
	}
}
