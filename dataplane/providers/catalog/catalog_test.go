package catalog

import (
	"encoding/json"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/openai"
	"github.com/ai-gateway/gateway/dataplane/providers/openai/openaitest"
)

func TestLoad(t *testing.T) {
	entries, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 100 {
		t.Fatalf("only %d providers", len(entries))
	}
	label := regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	seen := map[string]bool{}
	defunct := 0
	for _, e := range entries {
		if !label.MatchString(e.ID) {
			t.Errorf("%q is not a DNS label", e.ID)
		}
		if seen[e.ID] {
			t.Errorf("%q appears twice", e.ID)
		}
		seen[e.ID] = true
		if slices.Contains(Reserved, e.ID) {
			t.Errorf("%q shadows a native adapter", e.ID)
		}
		if e.Defunct() {
			defunct++
		}
		if e.HasPlaceholders() {
			continue
		}
		u, err := url.Parse(e.BaseURL)
		if err != nil {
			t.Errorf("%s: %v", e.ID, err)
			continue
		}
		local := u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1"
		if u.Scheme != "https" && !(u.Scheme == "http" && local) {
			t.Errorf("%s: %s is neither https nor a local http server", e.ID, e.BaseURL)
		}
	}
	if defunct == 0 {
		t.Error("no defunct entries: anyscale and octoai should be listed")
	}
	// Load hands out copies.
	entries[0].ID = "changed"
	if again, _ := Load(); again[0].ID == "changed" {
		t.Error("Load returned shared state")
	}
}

func TestParseRejects(t *testing.T) {
	const ok = `{id: ok, displayName: OK, baseURL: "https://api.example.com/v1", auth: bearer, chat: true, embeddings: false}`
	tests := map[string]string{
		"id that is not a DNS label": `{id: "wafer.ai", displayName: W, baseURL: "https://w.ai/v1", auth: bearer, chat: true}`,
		"duplicate id":               ok + "\n- " + ok,
		"native adapter id":          `{id: cohere, displayName: C, baseURL: "https://c.ai/v1", auth: bearer, chat: true}`,
		"unknown auth":               `{id: a, displayName: A, baseURL: "https://a.ai/v1", auth: basic, chat: true}`,
		"header auth without a name": `{id: a, displayName: A, baseURL: "https://a.ai/v1", auth: "header:", chat: true}`,
		"unknown quirk":              `{id: a, displayName: A, baseURL: "https://a.ai/v1", auth: bearer, chat: true, quirks: [telepathy]}`,
		"plain http to a remote":     `{id: a, displayName: A, baseURL: "http://a.ai/v1", auth: bearer, chat: true}`,
		"trailing slash":             `{id: a, displayName: A, baseURL: "https://a.ai/v1/", auth: bearer, chat: true}`,
		"no capability":              `{id: a, displayName: A, baseURL: "https://a.ai/v1", auth: bearer}`,
		"unknown status":             `{id: a, displayName: A, baseURL: "https://a.ai/v1", auth: bearer, chat: true, status: sleeping}`,
		"unknown field":              `{id: a, displayName: A, baseURL: "https://a.ai/v1", auth: bearer, chat: true, colour: red}`,
	}
	for name, entry := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte("providers:\n- " + entry + "\n")); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	if _, err := Parse([]byte("providers:\n- " + ok + "\n")); err != nil {
		t.Fatalf("valid entry rejected: %v", err)
	}
}

func TestRegister(t *testing.T) {
	r := providers.NewRegistry()
	if err := Register(r, openai.NewClient()); err != nil {
		t.Fatal(err)
	}
	entries, _ := Load()
	live := 0
	for _, e := range entries {
		_, registered := r.Adapter(e.ID)
		if registered == e.Defunct() {
			t.Errorf("%s: registered=%v defunct=%v", e.ID, registered, e.Defunct())
		}
		if !e.Defunct() {
			live++
		}
	}
	if n := len(r.List()); n != live {
		t.Errorf("%d providers registered, want %d", n, live)
	}
	tests := []struct {
		id                      string
		tasks                   []providers.Task
		needsCred, needsBaseURL bool
		defaultBase             string
	}{
		{"groq", []providers.Task{providers.TaskChat}, true, false, "https://api.groq.com/openai/v1"},
		{"together", []providers.Task{providers.TaskChat, providers.TaskEmbeddings}, true, false, "https://api.together.xyz/v1"},
		{"ollama", []providers.Task{providers.TaskChat, providers.TaskEmbeddings}, false, false, "http://localhost:11434/v1"},
		{"vllm", []providers.Task{providers.TaskChat, providers.TaskEmbeddings}, false, false, "http://localhost:8000/v1"},
		{"voyage", []providers.Task{providers.TaskEmbeddings}, true, false, "https://api.voyageai.com/v1"},
		{"cloudflare-workers-ai", []providers.Task{providers.TaskChat, providers.TaskEmbeddings}, true, true, ""},
	}
	for _, tt := range tests {
		info, ok := r.Info(tt.id)
		if !ok || !slices.Equal(info.Tasks, tt.tasks) || info.NeedsCredential != tt.needsCred ||
			info.NeedsBaseURL != tt.needsBaseURL || info.DefaultBaseURL != tt.defaultBase {
			t.Errorf("%s: %+v", tt.id, info)
		}
	}
	if e, ok := Defunct("anyscale"); !ok || e.DisplayName == "" {
		t.Error("anyscale should be reported as defunct")
	}
	if _, ok := Defunct("groq"); ok {
		t.Error("groq is not defunct")
	}
	if _, ok := r.Adapter("octoai"); ok {
		t.Error("a defunct provider was registered")
	}
}

func TestRegisterRefusesToShadow(t *testing.T) {
	r := providers.NewRegistry()
	r.Register(providers.Info{ID: "groq", DisplayName: "native groq"}, nil)
	if err := Register(r, nil); err == nil || !strings.Contains(err.Error(), "groq") {
		t.Fatalf("got %v", err)
	}
	if info, _ := r.Info("groq"); info.DisplayName != "native groq" {
		t.Fatal("the native registration was replaced")
	}
}

// mistralRules rejects what Mistral's API rejects (422 extra_forbidden for
// OpenAI-only fields, tool-call ids that are not 9 letters/digits, the
// developer role), so the quirks are checked against a strict upstream.
func mistralRules(body []byte) (int, string) {
	var req map[string]any
	_ = json.Unmarshal(body, &req)
	for _, f := range []string{"stream_options", "max_completion_tokens", "seed"} {
		if _, ok := req[f]; ok {
			return 422, `{"detail":[{"type":"extra_forbidden","loc":["body","` + f + `"],"msg":"Extra inputs are not permitted"}]}`
		}
	}
	id := regexp.MustCompile(`^[a-zA-Z0-9]{9}$`)
	msgs, _ := req["messages"].([]any)
	for _, m := range msgs {
		m, _ := m.(map[string]any)
		if m["role"] == "developer" {
			return 422, "Input tag 'developer' found using 'role' does not match any of the expected tags"
		}
		if tid, ok := m["tool_call_id"].(string); ok && !id.MatchString(tid) {
			return 400, "Tool call id was " + tid + " but must be a-z, A-Z, 0-9, with a length of 9."
		}
		calls, _ := m["tool_calls"].([]any)
		for _, c := range calls {
			if cid, _ := c.(map[string]any)["id"].(string); !id.MatchString(cid) {
				return 400, "Tool call id was " + cid + " but must be a-z, A-Z, 0-9, with a length of 9."
			}
		}
	}
	return 0, ""
}

const toolTurns = `{"model":"x","max_completion_tokens":20,"seed":7,"messages":[{"role":"developer","content":"terse"},{"role":"user","content":"hi"},` +
	`{"role":"assistant","content":null,"tool_calls":[{"id":"call_abc123","type":"function","function":{"name":"f","arguments":"{}"}}]},` +
	`{"role":"tool","tool_call_id":"call_abc123","content":"done"}]}`

func TestProvidersReachAFakeUpstream(t *testing.T) {
	if status, _ := mistralRules([]byte(toolTurns)); status == 0 {
		t.Fatal("the strict upstream accepts the unrewritten body; the test would prove nothing")
	}
	r := providers.NewRegistry()
	if err := Register(r, openai.NewClient()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id         string
		authHeader string // header the fake checks; "" = Authorization: Bearer
		noAuth     bool   // the upstream must see no credential at all
		validate   func([]byte) (int, string)
		body       string
		stream     bool
		check      func(t *testing.T, got map[string]any)
	}{
		{id: "groq", body: `{"model":"x","stream":true,"messages":[{"role":"user","content":"hi"}]}`, stream: true,
			check: func(t *testing.T, got map[string]any) {
				if so, _ := got["stream_options"].(map[string]any); so["include_usage"] != true {
					t.Errorf("usage was not requested: %v", got)
				}
			}},
		{id: "together", body: `{"model":"x","max_completion_tokens":5,"messages":[{"role":"developer","content":"d"},{"role":"user","content":"hi"}]}`,
			check: func(t *testing.T, got map[string]any) {
				if got["max_completion_tokens"] != 5.0 || got["messages"].([]any)[0].(map[string]any)["role"] != "developer" {
					t.Errorf("a provider without quirks had its body rewritten: %v", got)
				}
			}},
		{id: "mistral", validate: mistralRules, body: toolTurns,
			check: func(t *testing.T, got map[string]any) {
				msgs := got["messages"].([]any)
				call := msgs[2].(map[string]any)["tool_calls"].([]any)[0].(map[string]any)["id"]
				if got["max_tokens"] != 20.0 || got["random_seed"] != 7.0 || call != msgs[3].(map[string]any)["tool_call_id"] {
					t.Errorf("quirks not applied: %v", got)
				}
			}},
		{id: "mistral", validate: mistralRules, stream: true,
			body: `{"model":"x","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`},
		{id: "ollama", noAuth: true, validate: func(b []byte) (int, string) { return 0, "" },
			body: `{"model":"x","messages":[{"role":"developer","content":"d"},{"role":"user","content":"hi"}]}`,
			check: func(t *testing.T, got map[string]any) {
				if got["messages"].([]any)[0].(map[string]any)["role"] != "system" {
					t.Errorf("developer role sent to ollama: %v", got)
				}
			}},
		{id: "portkey", authHeader: "x-portkey-api-key", body: `{"model":"x","messages":[{"role":"user","content":"hi"}]}`},
		{id: "sarvam", authHeader: "api-subscription-key", body: `{"model":"x","messages":[{"role":"user","content":"hi"}]}`},
		{id: "cloudflare-workers-ai", body: `{"model":"@cf/meta/llama","messages":[{"role":"user","content":"hi"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			const key = "sk-catalog"
			up := openaitest.New(key)
			up.AuthHeader = tt.authHeader
			up.Validate = tt.validate
			if tt.noAuth {
				up.Key = ""
			}
			defer up.Close()
			a, ok := r.Adapter(tt.id)
			if !ok {
				t.Fatalf("%s is not registered", tt.id)
			}
			call := &providers.Call{Task: providers.TaskChat, Model: "real-model", Body: []byte(tt.body), Stream: tt.stream,
				IncludeUsage: strings.Contains(tt.body, "include_usage")}
			res, err := a.Send(t.Context(), &providers.Credential{Name: "k", Provider: tt.id, BaseURL: up.BaseURL(), Secret: key}, call)
			if err != nil {
				t.Fatal(err)
			}
			if res.Stream != nil {
				for {
					if _, err := res.Stream.Next(); err == io.EOF {
						break
					} else if err != nil {
						t.Fatal(err)
					}
				}
				_ = res.Stream.Close()
			} else {
				if !strings.Contains(string(res.Body), "fake: hi") {
					t.Fatalf("body %s", res.Body)
				}
				res.Release()
			}
			got, h := up.LastRequest()
			if got["model"] != "real-model" {
				t.Errorf("model %v", got["model"])
			}
			switch {
			case tt.noAuth:
				if h.Get("Authorization") != "" {
					t.Errorf("a keyless provider was sent a key")
				}
			case tt.authHeader != "":
				if h.Get(tt.authHeader) != key || h.Get("Authorization") != "" {
					t.Errorf("key not in %s only: %v", tt.authHeader, h)
				}
			default:
				if h.Get("Authorization") != "Bearer "+key {
					t.Errorf("Authorization %q", h.Get("Authorization"))
				}
			}
			if tt.check != nil {
				tt.check(t, got)
			}
		})
	}
}

func TestPlaceholderBaseURLNeedsConfig(t *testing.T) {
	r := providers.NewRegistry()
	if err := Register(r, nil); err != nil {
		t.Fatal(err)
	}
	a, _ := r.Adapter("snowflake-cortex")
	_, err := a.Send(t.Context(), &providers.Credential{Secret: "k"}, &providers.Call{Task: providers.TaskChat, Model: "m", Body: []byte(`{}`)})
	if pe, ok := err.(*providers.Error); !ok || pe.Code != "missing_base_url" {
		t.Fatalf("got %v", err)
	}
}
