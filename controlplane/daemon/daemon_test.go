package daemon_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/ai-gateway/gateway/api/v1alpha1"
	"github.com/ai-gateway/gateway/controlplane/controller"
	"github.com/ai-gateway/gateway/controlplane/daemon"
	"github.com/ai-gateway/gateway/dataplane/providers/openai/openaitest"
	"github.com/ai-gateway/gateway/internal/logbuf"
)

// testSecretKey is a fixed AES-256 key (base64 of 32 bytes) for the local secret store.
const testSecretKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// upstreamKey is the fake upstream's credential; gatewayd reads it from TEST_UPSTREAM_KEY.
const upstreamKey = "sk-test-upstream-5e1f0c"

// gatewayd is a real gateway started in-process on loopback.
type gatewayd struct {
	t      *testing.T
	g      *daemon.Gateway
	base   string // http://127.0.0.1:port
	dir    string // the manifest folder
	logs   *logbuf.Buffer
	client *http.Client
	cancel context.CancelFunc
	done   <-chan error

	stopOnce sync.Once
	stopErr  error
}

// startGateway writes files into a fresh manifest folder, starts gatewayd on
// 127.0.0.1:0 and waits until /ready answers 200.
func startGateway(t *testing.T, files map[string]string, env map[string]string) *gatewayd {
	t.Helper()
	d := &gatewayd{t: t, dir: t.TempDir(), logs: &logbuf.Buffer{}}
	for name, content := range files {
		d.write(name, content)
	}
	cfg := &daemon.Config{Listen: "127.0.0.1:0", Manifests: d.dir, DataDir: t.TempDir(), SecretKey: testSecretKey,
		LogLevel: "debug", LogFormat: "text"}
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(d.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	g, done, err := daemon.Start(ctx, cfg, daemon.Options{Logger: log,
		Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		cancel()
		t.Fatalf("Start: %v", err)
	}
	d.g, d.cancel, d.done = g, cancel, done
	d.base = "http://" + g.Addr
	d.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	t.Cleanup(func() {
		if err := d.stop(); err != nil {
			t.Errorf("gatewayd stopped with %v", err)
		}
		d.client.CloseIdleConnections()
		if t.Failed() {
			t.Logf("gatewayd log:\n%s", d.logs)
		}
	})
	waitFor(t, "/ready to answer 200", func() bool {
		resp, err := d.client.Get(d.base + "/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return d
}

// stop cancels gatewayd's context and waits for it to drain; it is idempotent.
func (d *gatewayd) stop() error {
	d.stopOnce.Do(func() {
		d.cancel()
		select {
		case d.stopErr = <-d.done:
		case <-time.After(20 * time.Second):
			d.stopErr = errors.New("gatewayd did not stop within 20s")
		}
	})
	return d.stopErr
}

func (d *gatewayd) write(name, content string) {
	d.t.Helper()
	full := filepath.Join(d.dir, name)
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		d.t.Fatal(err)
	}
}

// writeAtomic writes through a hidden temporary file and a rename, as editors
// and gatewayctl do.
func (d *gatewayd) writeAtomic(name, content string) {
	d.t.Helper()
	tmp := filepath.Join(d.dir, "."+name+".tmp")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		d.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(d.dir, name)); err != nil {
		d.t.Fatal(err)
	}
}

func (d *gatewayd) remove(name string) {
	d.t.Helper()
	if err := os.Remove(filepath.Join(d.dir, name)); err != nil {
		d.t.Fatal(err)
	}
}

// sdk returns an official OpenAI client pointed at the gateway. Retries are
// off so that every failure is seen.
func (d *gatewayd) sdk() openai.Client {
	return openai.NewClient(option.WithBaseURL(d.base+"/gateway/mlflow/v1"), option.WithAPIKey("dummy-client-key"),
		option.WithMaxRetries(0), option.WithHTTPClient(d.client))
}

// chat posts a non-streaming chat request and returns the status and body.
func (d *gatewayd) chat(model, text string) (int, []byte, error) {
	body, _ := json.Marshal(map[string]any{"model": model, "messages": []any{map[string]string{"role": "user", "content": text}}})
	resp, err := d.client.Post(d.base+"/gateway/mlflow/v1/chat/completions", "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

type chatResponse struct {
	Model   string `json:"model"`
	Choices []struct {
		Message struct {
			Content string `json:"content"`
		} `json:"message"`
	} `json:"choices"`
}

// servedModel returns the upstream model that answered a chat request, or "".
func (d *gatewayd) servedModel(endpoint string) string {
	status, body, err := d.chat(endpoint, "which model")
	if err != nil || status != 200 {
		return ""
	}
	var r chatResponse
	if json.Unmarshal(body, &r) != nil {
		return ""
	}
	return r.Model
}

// waitFor polls cond for up to 5 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func apiKey(name, spec string) string {
	return fmt.Sprintf("apiVersion: gateway/v1alpha1\nkind: APIKey\nmetadata:\n  name: %s\nspec:\n%s---\n", name, spec)
}

func endpoint(name, task, model, key, extra string) string {
	return fmt.Sprintf(`apiVersion: gateway/v1alpha1
kind: Endpoint
metadata:
  name: %s
spec:
  task: %s
  targets:
  - model: %s
    apiKeyRef: %s
%s---
`, name, task, model, key, extra)
}

func mockManifests() string {
	return apiKey("mock", "  provider: mock\n") +
		endpoint("mock-chat", "chat", "mock-1", "mock", "") +
		endpoint("mock-embeddings", "embeddings", "mock-emb", "mock", "")
}

func upstreamKeyManifest(up *openaitest.Server) string {
	return apiKey("up", "  provider: openai\n  env: TEST_UPSTREAM_KEY\n  config:\n    baseURL: "+up.BaseURL()+"\n")
}

func upstreamEnv() map[string]string { return map[string]string{"TEST_UPSTREAM_KEY": upstreamKey} }

func TestOpenAISDK(t *testing.T) {
	up := openaitest.New(upstreamKey)
	t.Cleanup(up.Close)
	d := startGateway(t, map[string]string{
		"mock.yaml": mockManifests(),
		"upstream.yaml": upstreamKeyManifest(up) +
			endpoint("up-chat", "chat", "gpt-fake", "up", "") +
			endpoint("up-fallback", "chat", "fail-500", "up", "  fallbacks:\n  - {model: good-model, apiKeyRef: up}\n") +
			endpoint("up-limited", "chat", "fail-429", "up", ""),
	}, upstreamEnv())
	client := d.sdk()
	ctx := t.Context()
	user := func(text string) []openai.ChatCompletionMessageParamUnion {
		return []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("be brief"), openai.UserMessage(text)}
	}

	t.Run("mock chat", func(t *testing.T) {
		resp, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "mock-chat", Messages: user("hello gateway")})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Choices) != 1 || resp.Choices[0].Message.Content != "hello gateway" || resp.Choices[0].FinishReason != "stop" {
			t.Fatalf("response %s", resp.RawJSON())
		}
		// The mock counts words: "be brief" + "hello gateway" in, the echo out.
		if u := resp.Usage; u.PromptTokens != 4 || u.CompletionTokens != 2 || u.TotalTokens != 6 {
			t.Fatalf("usage %+v", u)
		}
	})

	stream := func(t *testing.T, model, text string, usage bool) openai.ChatCompletionAccumulator {
		t.Helper()
		params := openai.ChatCompletionNewParams{Model: model, Messages: user(text)}
		if usage {
			params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		}
		s := client.Chat.Completions.NewStreaming(ctx, params)
		defer s.Close()
		var acc openai.ChatCompletionAccumulator
		chunks := 0
		for s.Next() {
			if !acc.AddChunk(s.Current()) {
				t.Fatalf("the accumulator rejected chunk %s", s.Current().RawJSON())
			}
			chunks++
		}
		if err := s.Err(); err != nil {
			t.Fatalf("stream error after %d chunks: %v", chunks, err)
		}
		if chunks < 3 {
			t.Fatalf("only %d chunks", chunks)
		}
		return acc
	}

	t.Run("mock stream with usage", func(t *testing.T) {
		acc := stream(t, "mock-chat", "hello there gateway", true)
		if len(acc.Choices) != 1 || acc.Choices[0].Message.Content != "hello there gateway" {
			t.Fatalf("accumulated %+v", acc.ChatCompletion)
		}
		if acc.Usage.PromptTokens != 5 || acc.Usage.CompletionTokens != 3 || acc.Usage.TotalTokens != 8 {
			t.Fatalf("usage %+v", acc.Usage)
		}
	})
	t.Run("mock stream without usage", func(t *testing.T) {
		acc := stream(t, "mock-chat", "no usage please", false)
		if acc.Choices[0].Message.Content != "no usage please" || acc.Usage.TotalTokens != 0 {
			t.Fatalf("content %q usage %+v", acc.Choices[0].Message.Content, acc.Usage)
		}
	})

	t.Run("mock embeddings", func(t *testing.T) {
		resp, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "mock-embeddings",
			Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"first text", "second"}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Data) != 2 || len(resp.Data[0].Embedding) != 8 || len(resp.Data[1].Embedding) != 8 || resp.Data[1].Index != 1 {
			t.Fatalf("embeddings %s", resp.RawJSON())
		}
		if resp.Usage.PromptTokens != 3 {
			t.Errorf("usage %+v", resp.Usage)
		}
		resp, err = client.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "mock-embeddings", Dimensions: openai.Int(16),
			Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("x")}})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Data) != 1 || len(resp.Data[0].Embedding) != 16 {
			t.Fatalf("dimensions not honoured: %d values", len(resp.Data[0].Embedding))
		}
		// Base64, as the Python SDK asks by default: the Go SDK decodes it.
		resp, err = client.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "mock-embeddings", Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("x")},
			EncodingFormat: openai.EmbeddingNewParamsEncodingFormatBase64})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Data) != 1 || len(resp.Data[0].Embedding) != 8 {
			t.Fatalf("base64 embeddings: %s", resp.RawJSON())
		}
	})

	t.Run("models", func(t *testing.T) {
		page, err := client.Models.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range page.Data {
			ids = append(ids, m.ID)
		}
		for _, want := range []string{"mock-chat", "mock-embeddings", "up-chat", "up-fallback", "up-limited"} {
			if !slices.Contains(ids, want) {
				t.Errorf("models %q lack %q", ids, want)
			}
		}
	})

	t.Run("unknown model", func(t *testing.T) {
		_, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "no-such-endpoint", Messages: user("x")})
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 {
			t.Fatalf("err = %v, want a 404 *openai.Error", err)
		}
		if apiErr.Code != "model_not_found" || !strings.Contains(apiErr.Message, "no-such-endpoint") {
			t.Errorf("error body %s", apiErr.RawJSON())
		}
	})

	t.Run("upstream chat", func(t *testing.T) {
		resp, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "up-chat", Messages: user("hi there")})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Model != "gpt-fake" || resp.Choices[0].Message.Content != "fake: hi there" || resp.Usage.TotalTokens != 12 {
			t.Fatalf("response %s", resp.RawJSON())
		}
		if _, h := up.LastRequest(); h.Get("Authorization") != "Bearer "+upstreamKey {
			t.Fatalf("the upstream got Authorization %q, not the server-side key", h.Get("Authorization"))
		}
	})
	t.Run("upstream stream", func(t *testing.T) {
		acc := stream(t, "up-chat", "stream me please", true)
		if acc.Choices[0].Message.Content != "fake: stream me please" || acc.Usage.TotalTokens != 12 || acc.Model != "gpt-fake" {
			t.Fatalf("content %q usage %+v model %q", acc.Choices[0].Message.Content, acc.Usage, acc.Model)
		}
		acc = stream(t, "up-chat", "no usage", false)
		if acc.Choices[0].Message.Content != "fake: no usage" || acc.Usage.TotalTokens != 0 {
			t.Fatalf("usage leaked to a client that did not ask: %+v", acc.Usage)
		}
	})
	t.Run("upstream fallback", func(t *testing.T) {
		resp, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "up-fallback", Messages: user("fall back")})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Model != "good-model" || resp.Choices[0].Message.Content != "fake: fall back" {
			t.Fatalf("response %s", resp.RawJSON())
		}
		acc := stream(t, "up-fallback", "fall back streaming", false)
		if acc.Model != "good-model" || acc.Choices[0].Message.Content != "fake: fall back streaming" {
			t.Fatalf("stream: model %q content %q", acc.Model, acc.Choices[0].Message.Content)
		}
	})
	t.Run("upstream 429", func(t *testing.T) {
		_, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "up-limited", Messages: user("x")})
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 {
			t.Fatalf("err = %v, want a 429 *openai.Error", err)
		}
		if ra := apiErr.Response.Header.Get("Retry-After"); ra != "7" {
			t.Errorf("Retry-After %q, want the upstream's 7", ra)
		}
		s := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: "up-limited", Messages: user("x")})
		for s.Next() {
			t.Fatalf("chunk from a rate-limited stream: %s", s.Current().RawJSON())
		}
		if !errors.As(s.Err(), &apiErr) || apiErr.StatusCode != 429 {
			t.Fatalf("stream err = %v, want a 429 *openai.Error", s.Err())
		}
		s.Close()
	})

	if strings.Contains(d.logs.String(), upstreamKey) {
		t.Error("the upstream credential appears in gatewayd's log")
	}
}

func TestHotReload(t *testing.T) {
	up := openaitest.New(upstreamKey)
	t.Cleanup(up.Close)
	d := startGateway(t, map[string]string{
		"keys.yaml":   upstreamKeyManifest(up) + apiKey("mock", "  provider: mock\n"),
		"reload.yaml": endpoint("reload", "chat", "model-one", "up", ""),
		"steady.yaml": endpoint("steady", "chat", "steady-model", "up", ""),
	}, upstreamEnv())
	if got := d.servedModel("reload"); got != "model-one" {
		t.Fatalf("served by %q, want model-one", got)
	}

	// Edit in place: the new target is served without a restart.
	d.write("reload.yaml", endpoint("reload", "chat", "model-two", "up", ""))
	waitFor(t, "model-two to serve", func() bool { return d.servedModel("reload") == "model-two" })

	// A new file: a new Endpoint.
	if status, _, _ := d.chat("brand-new", "x"); status != 404 {
		t.Fatalf("brand-new answered %d before it existed", status)
	}
	d.writeAtomic("new.yaml", endpoint("brand-new", "chat", "new-model", "up", ""))
	waitFor(t, "brand-new to serve", func() bool { return d.servedModel("brand-new") == "new-model" })

	// A broken edit (unknown field): the resource reports Invalid and keeps
	// serving its last good version; everything else is untouched. (Broken
	// edits are written atomically: a reconcile that caught an in-place write
	// half-way would see an empty file, which deletes the resource.)
	d.writeAtomic("reload.yaml", endpoint("reload", "chat", "model-three", "up", "  wieght: 3\n"))
	cond := waitReady(t, d, "reload", "False")
	if cond.Reason != controller.ReasonInvalid || !strings.Contains(cond.Message, "reload.yaml: document 1: Endpoint/reload: spec.wieght: unknown field") {
		t.Fatalf("condition %+v", cond)
	}
	for ep, model := range map[string]string{"reload": "model-two", "brand-new": "new-model", "steady": "steady-model"} {
		if got := d.servedModel(ep); got != model {
			t.Errorf("%s served by %q, want %q", ep, got, model)
		}
	}

	// A YAML syntax error: the file's resource keeps its last good version.
	d.writeAtomic("new.yaml", endpoint("brand-new", "chat", "newer-model", "up", "  fallbacks: [\n"))
	waitFor(t, "the syntax error to be reported", func() bool { return len(d.g.Controller.FileErrors()) > 0 })
	if errs := d.g.Controller.FileErrors(); !strings.Contains(errs[0], "new.yaml") {
		t.Errorf("FileErrors() = %q", errs)
	}
	for ep, model := range map[string]string{"reload": "model-two", "brand-new": "new-model", "steady": "steady-model"} {
		if got := d.servedModel(ep); got != model {
			t.Errorf("%s served by %q, want %q", ep, got, model)
		}
	}

	// Fixed: the new version is served.
	d.writeAtomic("reload.yaml", endpoint("reload", "chat", "model-three", "up", ""))
	waitFor(t, "model-three to serve", func() bool { return d.servedModel("reload") == "model-three" })
	waitReady(t, d, "reload", "True")

	// Deleted: gone from serving and from the models list.
	d.remove("new.yaml")
	waitFor(t, "brand-new to be removed", func() bool { status, _, _ := d.chat("brand-new", "x"); return status == 404 })
	resp, err := d.client.Get(d.base + "/gateway/mlflow/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(b), "brand-new") || !strings.Contains(string(b), `"id":"reload"`) {
		t.Fatalf("models %s", b)
	}
}

// waitReady waits until the Endpoint's Ready condition has the given status.
func waitReady(t *testing.T, d *gatewayd, name, status string) v1alpha1.Condition {
	t.Helper()
	var got v1alpha1.Condition
	waitFor(t, "Endpoint/"+name+" Ready="+status, func() bool {
		r, ok := d.g.Controller.Get(v1alpha1.KindEndpoint, name)
		if !ok {
			return false
		}
		for _, c := range r.Object.GetStatus().Conditions {
			if c.Type == controller.ConditionReady && c.Status == status {
				got = c
				return true
			}
		}
		return false
	})
	return got
}

// liveManifest is the configuration the zero-downtime test rewrites. Both
// variants have the same length, so an in-place overwrite never leaves a
// shorter or torn file behind.
func liveManifest(v string) string {
	return endpoint("live", "chat", "model-"+strings.Repeat(v, 4), "up", "") +
		endpoint("live-stream", "chat", "delay-stream-"+v, "up", "") +
		endpoint("live-mock", "chat", "mock-"+strings.Repeat(v, 4), "mock", "")
}

func TestZeroDowntimeUnderReload(t *testing.T) {
	up := openaitest.New(upstreamKey)
	up.StreamDelay = 20 * time.Millisecond
	t.Cleanup(up.Close)
	d := startGateway(t, map[string]string{
		"keys.yaml": upstreamKeyManifest(up) + apiKey("mock", "  provider: mock\n"),
		"live.yaml": liveManifest("a"),
	}, upstreamEnv())
	startGen := d.g.Index.Snapshot().Generation

	var (
		stop                 = make(chan struct{})
		wg                   sync.WaitGroup
		requests, streams    atomic.Int64
		failures             atomic.Int64
		mu                   sync.Mutex
		failed               []string
		models               = map[string]int{}
		streamModels         = map[string]int{}
		lastNonStreamByModel = map[string]string{}
	)
	fail := func(format string, args ...any) {
		failures.Add(1)
		mu.Lock()
		defer mu.Unlock()
		if len(failed) < 20 {
			failed = append(failed, fmt.Sprintf(format, args...))
		}
	}
	// Non-streaming load on the upstream-backed and the mock Endpoints.
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ep := []string{"live", "live-mock"}[i%2]
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				text := fmt.Sprintf("load %d %d", i, n)
				status, body, err := d.chat(ep, text)
				requests.Add(1)
				if err != nil || status != 200 {
					fail("%s: status %d err %v body %s", ep, status, err, body)
					continue
				}
				var r chatResponse
				want := text
				if ep == "live" {
					want = "fake: " + text
				}
				if json.Unmarshal(body, &r) != nil || len(r.Choices) != 1 || r.Choices[0].Message.Content != want || r.Model == "" {
					fail("%s: malformed answer %s", ep, body)
					continue
				}
				mu.Lock()
				models[r.Model]++
				lastNonStreamByModel[ep] = r.Model
				mu.Unlock()
			}
		}()
	}
	// Streams held open across swaps (the upstream pauses between chunks).
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ep := []string{"live-stream", "live-stream", "live-stream", "live-mock"}[i]
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				text := fmt.Sprintf("stream %d %d with some words", i, n)
				model, content, err := d.stream(ep, text)
				streams.Add(1)
				if err != nil {
					fail("%s stream: %v", ep, err)
					continue
				}
				want := text
				if ep == "live-stream" {
					want = "fake: " + text
				}
				if content != want {
					fail("%s stream: content %q, want %q", ep, content, want)
					continue
				}
				mu.Lock()
				streamModels[model]++
				mu.Unlock()
			}
		}()
	}

	// Rewrite the folder 50 times while the load runs: the live Endpoints
	// flip between two models (alternating atomic renames and in-place
	// overwrites), and an unrelated Endpoint file comes and goes.
	const rewrites = 50
	for i := range rewrites {
		v := []string{"a", "b"}[i%2]
		if i%3 == 0 {
			overwriteInPlace(t, filepath.Join(d.dir, "live.yaml"), liveManifest(v))
		} else {
			d.writeAtomic("live.yaml", liveManifest(v))
		}
		switch i % 4 {
		case 0:
			d.write("extra.yaml", endpoint(fmt.Sprintf("extra-%d", i), "chat", "m", "mock", ""))
		case 1:
			d.writeAtomic("extra.yaml", endpoint(fmt.Sprintf("extra-%d", i), "chat", "m", "mock", ""))
		case 3:
			d.remove("extra.yaml")
		}
		time.Sleep(120 * time.Millisecond) // longer than the controller's 100ms debounce, so most rewrites are applied
	}
	// The last rewrite (i = 49) set "b": wait for it to serve, then stop.
	waitFor(t, "the final configuration to serve", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return lastNonStreamByModel["live"] == "model-bbbb" && lastNonStreamByModel["live-mock"] == "mock-bbbb"
	})
	close(stop)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d requests, %d streams, %d swaps; models %v; stream models %v", requests.Load(), streams.Load(),
		d.g.Index.Snapshot().Generation-startGen, models, streamModels)
	if n := failures.Load(); n > 0 {
		t.Fatalf("%d failed requests during reloads, first ones:\n%s", n, strings.Join(failed, "\n"))
	}
	for _, m := range []string{"model-aaaa", "model-bbbb", "mock-aaaa", "mock-bbbb"} {
		if models[m] == 0 {
			t.Errorf("no response from %s: the configuration changes were not observed (%v)", m, models)
		}
	}
	if streams.Load() == 0 || requests.Load() == 0 {
		t.Fatal("no load ran")
	}
	if d.g.Index.Snapshot().Generation < startGen+2 {
		t.Errorf("only %d configuration swaps", d.g.Index.Snapshot().Generation-startGen)
	}
}

// overwriteInPlace rewrites a file's bytes without truncating or replacing it,
// as an editor that writes in place does (content of the same length).
func overwriteInPlace(t *testing.T, path, content string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte(content), 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// stream runs a streaming chat request and checks its framing: every event is
// a chunk, none is an error, and it ends with [DONE]. It returns the model and
// the concatenated content.
func (d *gatewayd) stream(ep, text string) (model, content string, err error) {
	body, _ := json.Marshal(map[string]any{"model": ep, "stream": true, "messages": []any{map[string]string{"role": "user", "content": text}}})
	resp, err := d.client.Post(d.base+"/gateway/mlflow/v1/chat/completions", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		return "", "", fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	events, err := readEvents(resp.Body)
	if err != nil {
		return "", "", err
	}
	return checkChunks(events)
}

func readEvents(r io.Reader) ([]string, error) {
	var events []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			events = append(events, p)
		}
	}
	return events, sc.Err()
}

func checkChunks(events []string) (model, content string, err error) {
	if len(events) == 0 || events[len(events)-1] != "[DONE]" {
		return "", "", fmt.Errorf("stream did not end with [DONE]: %q", events)
	}
	var b strings.Builder
	for _, e := range events[:len(events)-1] {
		var c struct {
			Model   string          `json:"model"`
			Error   json.RawMessage `json:"error"`
			Choices []struct {
				Delta struct {
					Content string `json:"content"`
				} `json:"delta"`
			} `json:"choices"`
		}
		if err := json.Unmarshal([]byte(e), &c); err != nil || c.Error != nil {
			return "", "", fmt.Errorf("bad event %q in %q", e, events)
		}
		model = c.Model
		for _, ch := range c.Choices {
			b.WriteString(ch.Delta.Content)
		}
	}
	return model, b.String(), nil
}

// gatedUpstream is an OpenAI-style upstream whose stream sends its first chunk,
// then waits for release before sending the rest.
func gatedUpstream(t *testing.T, release <-chan struct{}) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		chunk := func(delta string) {
			fmt.Fprintf(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gated\",\"choices\":[{\"index\":0,\"delta\":%s,\"finish_reason\":null}]}\n\n", delta)
			fl.Flush()
		}
		chunk(`{"role":"assistant","content":"first "}`)
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		for _, w := range []string{"second ", "third"} {
			chunk(`{"content":"` + w + `"}`)
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
		fl.Flush()
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestGracefulDrain(t *testing.T) {
	release := make(chan struct{})
	var releaseOnce sync.Once
	t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) })
	up := gatedUpstream(t, release)
	d := startGateway(t, map[string]string{
		"gated.yaml": apiKey("gated", "  provider: openai-compatible\n  config: {baseURL: '"+up.URL+"/v1'}\n") +
			endpoint("gated-chat", "chat", "gated", "gated", ""),
	}, nil)

	body := `{"model":"gated-chat","stream":true,"messages":[{"role":"user","content":"x"}]}`
	resp, err := d.client.Post(d.base+"/gateway/mlflow/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	br := bufio.NewReader(resp.Body)
	first, err := br.ReadString('\n')
	if err != nil || !strings.Contains(first, `"first "`) {
		t.Fatalf("first event %q, %v", first, err)
	}

	// Stop gatewayd while the stream is in flight, and wait until it no longer
	// accepts connections: it is draining.
	d.cancel()
	waitFor(t, "the listener to close", func() bool {
		c, err := net.DialTimeout("tcp", d.g.Addr, time.Second)
		if err != nil {
			return true
		}
		c.Close()
		return false
	})
	select {
	case err := <-d.done:
		t.Fatalf("gatewayd stopped (%v) with a stream in flight", err)
	default:
	}

	releaseOnce.Do(func() { close(release) })
	events, err := readEvents(io.MultiReader(strings.NewReader(first), br))
	if err != nil {
		t.Fatalf("reading the rest of the stream: %v", err)
	}
	_, content, err := checkChunks(events)
	if err != nil {
		t.Fatal(err)
	}
	if content != "first second third" {
		t.Fatalf("content %q", content)
	}
	if err := d.stop(); err != nil {
		t.Fatalf("done = %v, want nil", err)
	}
}

func TestParseConfig(t *testing.T) {
	defaults := daemon.Config{Listen: "127.0.0.1:8000", Manifests: "./manifests", DataDir: "./.gateway-data", LogLevel: "info", LogFormat: "text"}
	with := func(f func(*daemon.Config)) daemon.Config { c := defaults; f(&c); return c }
	allEnv := map[string]string{
		"GATEWAY_LISTEN": "127.0.0.1:9001", "GATEWAY_MANIFESTS": "/m", "GATEWAY_DATA_DIR": "/d",
		"GATEWAY_WORKSPACE_DIR": "/Workspace/x", "GATEWAY_SECRET_SCOPE": "scope", "GATEWAY_LOG_LEVEL": "debug",
		"GATEWAY_LOG_FORMAT": "json", "GATEWAY_ADMIN_TOKEN": "tok", "GATEWAY_SECRET_KEY": "key",
	}
	fromEnv := daemon.Config{Listen: "127.0.0.1:9001", Manifests: "/m", DataDir: "/d", WorkspaceDir: "/Workspace/x", SecretScope: "scope",
		LogLevel: "debug", LogFormat: "json", AdminToken: "tok", SecretKey: "key"}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    daemon.Config
		wantErr string
	}{
		{name: "defaults", want: defaults},
		{name: "environment", env: allEnv, want: fromEnv},
		{name: "flags override environment", env: allEnv,
			args: []string{"--listen", "127.0.0.1:9002", "--manifests=/f", "-data-dir", "/fd", "--workspace-dir", "/W", "--secret-scope", "s2",
				"--log-level", "warn", "--log-format", "text"},
			want: daemon.Config{Listen: "127.0.0.1:9002", Manifests: "/f", DataDir: "/fd", WorkspaceDir: "/W", SecretScope: "s2",
				LogLevel: "warn", LogFormat: "text", AdminToken: "tok", SecretKey: "key"}},
		{name: "Databricks App port", env: map[string]string{"DATABRICKS_APP_PORT": "8080"},
			want: with(func(c *daemon.Config) { c.Listen, c.DatabricksApp = "0.0.0.0:8080", true })},
		{name: "GATEWAY_LISTEN beats the Databricks App port", env: map[string]string{"DATABRICKS_APP_PORT": "8080", "GATEWAY_LISTEN": "127.0.0.1:7"},
			want: with(func(c *daemon.Config) { c.Listen, c.DatabricksApp = "127.0.0.1:7", true })},
		{name: "--listen beats the Databricks App port", env: map[string]string{"DATABRICKS_APP_PORT": "8080"}, args: []string{"--listen", ":9"},
			want: with(func(c *daemon.Config) { c.Listen, c.DatabricksApp = ":9", true })},
		{name: "unknown flag", args: []string{"--nope"}, wantErr: "flag provided but not defined: -nope"},
		{name: "positional argument", args: []string{"--listen", ":1", "extra"}, wantErr: `unexpected argument "extra"`},
		{name: "missing flag value", args: []string{"--listen"}, wantErr: "flag needs an argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			got, err := daemon.ParseConfig(tt.args, func(k string) string { return tt.env[k] }, &stderr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Fatalf("config (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("help", func(t *testing.T) {
		var stderr bytes.Buffer
		_, err := daemon.ParseConfig([]string{"-h"}, func(string) string { return "" }, &stderr)
		if !errors.Is(err, flag.ErrHelp) {
			t.Fatalf("err = %v, want flag.ErrHelp", err)
		}
		for _, want := range []string{"--listen", "GATEWAY_LISTEN", "GATEWAY_MANIFESTS", "GATEWAY_ADMIN_TOKEN", "GATEWAY_SECRET_KEY"} {
			if !strings.Contains(strings.ReplaceAll(stderr.String(), "  -", "  --"), want) {
				t.Errorf("usage does not mention %s:\n%s", want, stderr.String())
			}
		}
	})
}

func TestLogger(t *testing.T) {
	for _, tt := range []struct {
		level, format, wantErr string
	}{
		{"info", "text", ""},
		{"debug", "json", ""},
		{"WARN", "JSON", ""},
		{"loud", "text", "--log-level"},
		{"info", "xml", "--log-format"},
	} {
		c := &daemon.Config{LogLevel: tt.level, LogFormat: tt.format}
		var buf bytes.Buffer
		log, err := c.Logger(&buf)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s/%s: err = %v, want %q", tt.level, tt.format, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s/%s: %v", tt.level, tt.format, err)
			continue
		}
		log.Error("hello")
		if strings.EqualFold(tt.format, "json") && !json.Valid(bytes.TrimSpace(buf.Bytes())) {
			t.Errorf("%s: not JSON: %s", tt.format, buf.String())
		}
	}
}

func TestStartRefusals(t *testing.T) {
	// An empty environment, and no ~/.databrickscfg, so no real Databricks
	// configuration leaks in.
	noEnv := func(k string) (string, bool) {
		return map[string]string{"DATABRICKS_CONFIG_FILE": "/nonexistent"}[k], k == "DATABRICKS_CONFIG_FILE"
	}
	quiet := daemon.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Getenv: noEnv}
	base := func() *daemon.Config {
		return &daemon.Config{Listen: "127.0.0.1:0", Manifests: t.TempDir(), DataDir: t.TempDir(), SecretKey: testSecretKey}
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	for _, tt := range []struct {
		name    string
		edit    func(*daemon.Config)
		wantErr []string
	}{
		// Databricks mode with no workspace configured (the environment is
		// empty here): a clear startup error. TestDatabricksStartRefusals has more.
		{"workspace dir without a workspace", func(c *daemon.Config) { c.WorkspaceDir = "/Workspace/Users/me/gateway" }, []string{"--workspace-dir", "DATABRICKS_HOST"}},
		{"secret scope without a workspace", func(c *daemon.Config) { c.SecretScope = "ai-gateway" }, []string{"--secret-scope", "DATABRICKS_HOST"}},
		{"bad secret key", func(c *daemon.Config) { c.SecretKey = "too-short" }, []string{"secret store", "GATEWAY_SECRET_KEY"}},
		{"address in use", func(c *daemon.Config) { c.Listen = busy.Addr().String() }, []string{"listen on " + busy.Addr().String()}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base()
			tt.edit(cfg)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			g, _, err := daemon.Start(ctx, cfg, quiet)
			if err == nil {
				t.Fatalf("Start succeeded on %s", g.Addr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "too-short") {
				t.Errorf("error echoes the secret key: %v", err)
			}
		})
	}
}
