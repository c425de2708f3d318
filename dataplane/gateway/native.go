package gateway

import (
	"bytes"
	"strings"
	"time"

	"github.com/segmentio/encoding/json"
	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/dialect"
	"github.com/ai-gateway/gateway/dataplane/providers"
)

// Dialects are the client API dialects served besides OpenAI's; a nil one
// answers 404.
type Dialects struct {
	// Anthropic serves /gateway/anthropic/v1/messages.
	Anthropic dialect.Ingress
	// Gemini serves /gateway/gemini/v1beta/models/{endpoint}:{method}.
	Gemini dialect.Ingress
	// Responses serves the OpenAI Responses API at /gateway/openai/v1/responses.
	Responses dialect.Ingress
}

var (
	prefixAnthropic = []byte("/gateway/anthropic/")
	prefixGemini    = []byte("/gateway/gemini/")
	prefixOpenAI    = []byte("/gateway/openai/v1/")
)

// forwardedHeaders are the client headers passed on when a request is
// forwarded natively: API versions and beta flags, never credentials.
var forwardedHeaders = []string{"anthropic-beta", "anthropic-version", "openai-beta"}

// nativeRoute serves the native-dialect routes; it reports false for paths
// outside them.
func (s *Server) nativeRoute(rc *fasthttp.RequestCtx, path []byte) bool {
	switch {
	case bytes.HasPrefix(path, prefixOpenAI):
		switch string(path[len(prefixOpenAI):]) {
		case "chat/completions":
			s.inference(rc, providers.TaskChat, "")
		case "completions":
			s.inference(rc, providers.TaskCompletions, "")
		case "embeddings":
			s.inference(rc, providers.TaskEmbeddings, "")
		case "models":
			s.models(rc)
		case "responses":
			s.native(rc, s.opts.Dialects.Responses, dialect.Params{Method: "responses"})
		default:
			writeError(rc, &providers.Error{Status: 404, Type: "invalid_request_error", Code: "not_found",
				Message: "the gateway does not serve " + string(path) + "; it serves chat/completions, completions, embeddings, responses and models"})
		}
	case bytes.HasPrefix(path, prefixAnthropic):
		ing := s.opts.Dialects.Anthropic
		switch string(path[len(prefixAnthropic):]) {
		case "v1/messages":
			s.native(rc, ing, dialect.Params{Method: "messages"})
		case "v1/messages/count_tokens":
			s.native(rc, ing, dialect.Params{Method: "count_tokens"})
		default:
			s.nativeNotFound(rc, ing, path)
		}
	case bytes.HasPrefix(path, prefixGemini):
		s.gemini(rc, string(path[len(prefixGemini):]))
	default:
		return false
	}
	return true
}

func (s *Server) nativeNotFound(rc *fasthttp.RequestCtx, ing dialect.Ingress, path []byte) {
	s.fail(rc, ing, "", "", time.Now(), &providers.Error{Status: 404, Type: "not_found_error", Code: "not_found",
		Message: "no route for " + string(path)})
}

// gemini routes "v1beta/models", "v1beta/models/{endpoint}" and
// "v1beta/models/{endpoint}:{method}".
func (s *Server) gemini(rc *fasthttp.RequestCtx, rest string) {
	ing := s.opts.Dialects.Gemini
	models, ok := strings.CutPrefix(rest, "v1beta/models")
	if !ok || ing == nil {
		s.nativeNotFound(rc, ing, rc.Path())
		return
	}
	name, method, hasMethod := strings.Cut(strings.TrimPrefix(models, "/"), ":")
	name = strings.TrimPrefix(name, "models/") // some clients send the full resource name
	if !hasMethod {
		if !rc.IsGet() {
			rc.Response.Header.Set("Allow", "GET")
			s.fail(rc, ing, "", "", time.Now(), &providers.Error{Status: 405, Type: "invalid_request_error",
				Message: "method " + string(rc.Method()) + " not allowed; use GET"})
			return
		}
		s.geminiModels(rc, name)
		return
	}
	s.native(rc, ing, dialect.Params{Endpoint: name, Method: method, Query: string(rc.QueryArgs().QueryString())})
}

// geminiModels lists Endpoints (or one) in Gemini's models format.
func (s *Server) geminiModels(rc *fasthttp.RequestCtx, name string) {
	snap := s.opts.Index.Snapshot()
	if snap == nil {
		s.fail(rc, s.opts.Dialects.Gemini, "", "", time.Now(), notReady())
		return
	}
	type model struct {
		Name                       string   `json:"name"`
		DisplayName                string   `json:"displayName"`
		SupportedGenerationMethods []string `json:"supportedGenerationMethods"`
	}
	toModel := func(e string, task providers.Task) model {
		methods := []string{"generateContent", "streamGenerateContent", "countTokens"}
		if task == providers.TaskEmbeddings {
			methods = []string{"embedContent", "batchEmbedContents"}
		}
		return model{Name: "models/" + e, DisplayName: e, SupportedGenerationMethods: methods}
	}
	var out any
	if name != "" {
		r := snap.Route(name)
		if r == nil {
			s.fail(rc, s.opts.Dialects.Gemini, "", "", time.Now(), &providers.Error{Status: 404, Type: "not_found_error",
				Message: "endpoint \"" + name + "\" does not exist"})
			return
		}
		out = toModel(r.Name, r.Task)
	} else {
		list := []model{}
		for _, e := range snap.Endpoints() {
			list = append(list, toModel(e.Name, e.Task))
		}
		out = map[string]any{"models": list}
	}
	b, _ := json.Marshal(out)
	rc.SetContentType("application/json")
	rc.SetBody(b)
}

// native serves a request in a non-OpenAI dialect.
func (s *Server) native(rc *fasthttp.RequestCtx, ing dialect.Ingress, p dialect.Params) {
	start := time.Now()
	if ing == nil {
		writeError(rc, &providers.Error{Status: 404, Type: "invalid_request_error", Code: "not_found",
			Message: "this gateway build does not serve " + string(rc.Path())})
		return
	}
	if !rc.IsPost() {
		rc.Response.Header.Set("Allow", "POST")
		s.fail(rc, ing, "", "", start, &providers.Error{Status: 405, Type: "invalid_request_error",
			Message: "method " + string(rc.Method()) + " not allowed; use POST"})
		return
	}
	if scanTopLevel(rc.PostBody()).models > 1 {
		s.fail(rc, ing, "", "", start, badRequest("model", "model is given more than once"))
		return
	}
	req, perr := ing.ParseRequest(rc.PostBody(), p)
	if perr != nil {
		s.fail(rc, ing, "", "", start, perr)
		return
	}
	if req.Forward != nil {
		// Only these client headers travel with a natively forwarded request;
		// credentials (Authorization, x-api-key, x-goog-api-key) never do.
		for _, h := range forwardedHeaders {
			if v := rc.Request.Header.Peek(h); len(v) > 0 {
				if req.Forward.Header == nil {
					req.Forward.Header = map[string]string{}
				}
				req.Forward.Header[h] = string(v)
			}
		}
	}
	route, ok := s.lookup(rc, ing, req.Endpoint, req.Task, start)
	if !ok {
		return
	}
	call := &providers.Call{Task: route.Task, Body: req.Body, Stream: req.Stream, IncludeUsage: req.IncludeUsage}
	s.serve(rc, &job{start: start, route: route, call: call, ing: ing, req: req})
}
