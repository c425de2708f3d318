package geminitest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// The request as the real service parses it: unknown fields are errors.

type gcRequest struct {
	Contents          []gcContent       `json:"contents"`
	SystemInstruction *gcContent        `json:"systemInstruction"`
	Tools             []gcTool          `json:"tools"`
	ToolConfig        *gcToolConfig     `json:"toolConfig"`
	GenerationConfig  *gcGenConfig      `json:"generationConfig"`
	SafetySettings    []json.RawMessage `json:"safetySettings"`
	CachedContent     string            `json:"cachedContent"`
}

type gcContent struct {
	Role  string   `json:"role"`
	Parts []gcPart `json:"parts"`
}

type gcPart struct {
	Text             *string `json:"text"`
	Thought          bool    `json:"thought"`
	ThoughtSignature string  `json:"thoughtSignature"`
	InlineData       *struct {
		MimeType string `json:"mimeType"`
		Data     string `json:"data"`
	} `json:"inlineData"`
	FileData *struct {
		MimeType string `json:"mimeType"`
		FileURI  string `json:"fileUri"`
	} `json:"fileData"`
	FunctionCall *struct {
		ID   string         `json:"id"`
		Name string         `json:"name"`
		Args map[string]any `json:"args"`
	} `json:"functionCall"`
	FunctionResponse *struct {
		ID       string         `json:"id"`
		Name     string         `json:"name"`
		Response map[string]any `json:"response"`
	} `json:"functionResponse"`
}

type gcTool struct {
	FunctionDeclarations []struct {
		Name                 string          `json:"name"`
		Description          string          `json:"description"`
		Parameters           *gcSchema       `json:"parameters"`
		ParametersJSONSchema json.RawMessage `json:"parametersJsonSchema"`
	} `json:"functionDeclarations"`
	GoogleSearch  json.RawMessage `json:"googleSearch"`
	CodeExecution json.RawMessage `json:"codeExecution"`
}

// gcSchema is google.ai.generativelanguage.v1beta.Schema.
type gcSchema struct {
	Type             string               `json:"type"`
	Format           string               `json:"format"`
	Title            string               `json:"title"`
	Description      string               `json:"description"`
	Nullable         bool                 `json:"nullable"`
	Enum             []string             `json:"enum"`
	MaxItems         json.Number          `json:"maxItems"`
	MinItems         json.Number          `json:"minItems"`
	Properties       map[string]*gcSchema `json:"properties"`
	Required         []string             `json:"required"`
	MinProperties    json.Number          `json:"minProperties"`
	MaxProperties    json.Number          `json:"maxProperties"`
	MinLength        json.Number          `json:"minLength"`
	MaxLength        json.Number          `json:"maxLength"`
	Pattern          string               `json:"pattern"`
	Example          any                  `json:"example"`
	AnyOf            []*gcSchema          `json:"anyOf"`
	PropertyOrdering []string             `json:"propertyOrdering"`
	Default          any                  `json:"default"`
	Items            *gcSchema            `json:"items"`
	Minimum          *float64             `json:"minimum"`
	Maximum          *float64             `json:"maximum"`
}

type gcToolConfig struct {
	FunctionCallingConfig *struct {
		Mode                 string   `json:"mode"`
		AllowedFunctionNames []string `json:"allowedFunctionNames"`
	} `json:"functionCallingConfig"`
}

type gcGenConfig struct {
	StopSequences      []string        `json:"stopSequences"`
	ResponseMimeType   string          `json:"responseMimeType"`
	ResponseSchema     *gcSchema       `json:"responseSchema"`
	ResponseJSONSchema json.RawMessage `json:"responseJsonSchema"`
	ResponseModalities []string        `json:"responseModalities"`
	CandidateCount     *int            `json:"candidateCount"`
	MaxOutputTokens    *int            `json:"maxOutputTokens"`
	Temperature        *float64        `json:"temperature"`
	TopP               *float64        `json:"topP"`
	TopK               *float64        `json:"topK"`
	Seed               *int64          `json:"seed"`
	PresencePenalty    *float64        `json:"presencePenalty"`
	FrequencyPenalty   *float64        `json:"frequencyPenalty"`
	ResponseLogprobs   bool            `json:"responseLogprobs"`
	Logprobs           *int            `json:"logprobs"`
	ThinkingConfig     *struct {
		IncludeThoughts bool   `json:"includeThoughts"`
		ThinkingBudget  *int   `json:"thinkingBudget"`
		ThinkingLevel   string `json:"thinkingLevel"`
	} `json:"thinkingConfig"`
}

// decodeStrict decodes like the real service: unknown names are rejected.
func decodeStrict(body []byte, v any) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := err.Error()
		if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
			return "Invalid JSON payload received. Unknown name " + name + ": Cannot find field."
		}
		return "Invalid JSON payload received. " + strings.TrimPrefix(msg, "json: ")
	}
	return ""
}

var (
	functionName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$`)
	schemaTypes  = map[string]bool{"STRING": true, "NUMBER": true, "INTEGER": true, "BOOLEAN": true, "ARRAY": true, "OBJECT": true, "NULL": true}
)

// Messages of the real service, for the checks that have one.
const (
	msgCallTurn      = "Please ensure that function call turn comes immediately after a user turn or after a function response turn."
	msgResponseTurn  = "Please ensure that function response turn comes immediately after a function call turn."
	msgResponseCount = "Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn."
	msgRole          = "Please use a valid role: user, model."
	msgSignature     = "Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
)

// validate returns the error message the real service would answer with, or "".
func validate(req *gcRequest, rt route) string {
	if len(req.Contents) == 0 {
		return "* GenerateContentRequest.contents: contents is not specified\n"
	}
	if req.SystemInstruction != nil {
		for j, p := range req.SystemInstruction.Parts {
			if p.Text == nil || *p.Text == "" {
				return fmt.Sprintf("* GenerateContentRequest.system_instruction.parts[%d].data: system instruction parts must be text\n", j)
			}
		}
	}
	for i, c := range req.Contents {
		switch {
		case c.Role == "" && rt.vertex:
			return "Unable to submit request because it has an empty role field. Add a role to every content and try again."
		case c.Role != "" && c.Role != "user" && c.Role != "model":
			return msgRole
		}
		if len(c.Parts) == 0 {
			return fmt.Sprintf("* GenerateContentRequest.contents[%d].parts: contents.parts must not be empty.\n", i)
		}
		for j := range c.Parts {
			if msg := validatePart(&c.Parts[j], i, j, c.Role, rt); msg != "" {
				return msg
			}
		}
		if msg := validateTurn(req.Contents, i); msg != "" {
			return msg
		}
	}
	declared := map[string]bool{}
	for t, tl := range req.Tools {
		for d, fd := range tl.FunctionDeclarations {
			at := fmt.Sprintf("GenerateContentRequest.tools[%d].function_declarations[%d]", t, d)
			if !functionName.MatchString(fd.Name) {
				return "* " + at + ".name: Invalid function name. Must start with a letter or an underscore. Must be alphameric (a-z, A-Z, 0-9), underscores (_), dots (.), colons (:), or dashes (-), with a maximum length of 64.\n"
			}
			declared[fd.Name] = true
			if fd.Parameters != nil {
				if msg := validateSchema(fd.Parameters, at+".parameters", true); msg != "" {
					return msg
				}
			}
		}
	}
	if tc := req.ToolConfig; tc != nil && tc.FunctionCallingConfig != nil {
		fc := tc.FunctionCallingConfig
		switch fc.Mode {
		case "", "MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED":
		default:
			return fmt.Sprintf("Invalid value at 'tool_config.function_calling_config.mode' (type.googleapis.com/google.ai.generativelanguage.v1beta.FunctionCallingConfig.Mode), %q", fc.Mode)
		}
		if len(fc.AllowedFunctionNames) > 0 && fc.Mode != "ANY" && fc.Mode != "VALIDATED" {
			return "* GenerateContentRequest.tool_config.function_calling_config.allowed_function_names: allowed_function_names may only be set when mode is ANY\n"
		}
		for _, n := range fc.AllowedFunctionNames {
			if !declared[n] {
				return fmt.Sprintf("* GenerateContentRequest.tool_config.function_calling_config.allowed_function_names: function %q is not declared\n", n)
			}
		}
	}
	return validateGeneration(req.GenerationConfig)
}

func validatePart(p *gcPart, i, j int, role string, rt route) string {
	at := fmt.Sprintf("GenerateContentRequest.contents[%d].parts[%d]", i, j)
	set := []string{}
	if p.Text != nil && *p.Text != "" {
		set = append(set, "text")
	}
	if p.InlineData != nil {
		set = append(set, "inlineData")
	}
	if p.FileData != nil {
		set = append(set, "fileData")
	}
	if p.FunctionCall != nil {
		set = append(set, "functionCall")
	}
	if p.FunctionResponse != nil {
		set = append(set, "functionResponse")
	}
	switch {
	case len(set) == 0:
		return "* " + at + ".data: required oneof field 'data' must have one initialized field\n"
	case len(set) > 1:
		return fmt.Sprintf("* %s: oneof field 'data' is already set. Cannot set '%s'\n", at, set[1])
	}
	switch {
	case p.InlineData != nil:
		if p.InlineData.MimeType == "" {
			return "* " + at + ".inline_data.mime_type: mime_type must be specified\n"
		}
		if _, err := base64.StdEncoding.DecodeString(p.InlineData.Data); err != nil || p.InlineData.Data == "" {
			return fmt.Sprintf("Invalid value at 'contents[%d].parts[%d].inline_data.data' (TYPE_BYTES), Base64 decoding failed", i, j)
		}
	case p.FileData != nil:
		u := p.FileData.FileURI
		if rt.vertex && !strings.HasPrefix(u, "gs://") && !strings.HasPrefix(u, "https://") {
			return "Invalid or unsupported file uri: " + u
		}
		if !rt.vertex && !strings.HasPrefix(u, "https://generativelanguage.googleapis.com/") && !strings.Contains(u, "youtube.com/") {
			return "Invalid or unsupported file uri: " + u
		}
	case p.FunctionCall != nil && role != "model":
		return msgCallTurn
	case p.FunctionResponse != nil && role == "model":
		return msgResponseTurn
	case p.FunctionResponse != nil && p.FunctionResponse.Response == nil:
		return "* " + at + ".function_response.response: response must be a JSON object\n"
	}
	return ""
}

func count(c gcContent) (calls, responses int) {
	for _, p := range c.Parts {
		if p.FunctionCall != nil {
			calls++
		}
		if p.FunctionResponse != nil {
			responses++
		}
	}
	return calls, responses
}

// validateTurn checks that function calls follow a user turn and function
// responses answer the calls of the turn right before them.
func validateTurn(contents []gcContent, i int) string {
	calls, responses := count(contents[i])
	if calls > 0 && (i == 0 || contents[i-1].Role == "model") {
		return msgCallTurn
	}
	if responses > 0 {
		if i == 0 || contents[i-1].Role != "model" {
			return msgResponseTurn
		}
		prevCalls, _ := count(contents[i-1])
		if prevCalls == 0 {
			return msgResponseTurn
		}
		if prevCalls != responses {
			return msgResponseCount
		}
	}
	return ""
}

func validateSchema(s *gcSchema, at string, top bool) string {
	t := strings.ToUpper(s.Type)
	if s.Type != "" && !schemaTypes[t] {
		return fmt.Sprintf("Invalid value at '%s.type' (type.googleapis.com/google.ai.generativelanguage.v1beta.Type), %q", at, s.Type)
	}
	if t == "OBJECT" && top && len(s.Properties) == 0 {
		return "* " + at + ".properties: should be non-empty for OBJECT type\n"
	}
	if len(s.Properties) > 0 && t != "OBJECT" {
		return "* " + at + ".properties: only allowed for OBJECT type\n"
	}
	if len(s.Enum) > 0 && t != "STRING" {
		return "* " + at + ".enum: only allowed for STRING type\n"
	}
	for name, p := range s.Properties {
		if p == nil {
			continue
		}
		if msg := validateSchema(p, at+".properties["+name+"].value", false); msg != "" {
			return msg
		}
	}
	if s.Items != nil {
		if msg := validateSchema(s.Items, at+".items", false); msg != "" {
			return msg
		}
	}
	for k, a := range s.AnyOf {
		if a == nil {
			continue
		}
		if msg := validateSchema(a, fmt.Sprintf("%s.any_of[%d]", at, k), false); msg != "" {
			return msg
		}
	}
	return ""
}

func validateGeneration(g *gcGenConfig) string {
	if g == nil {
		return ""
	}
	const at = "* GenerateContentRequest.generation_config."
	switch {
	case g.Temperature != nil && (*g.Temperature < 0 || *g.Temperature > 2):
		return at + "temperature: temperature must be in the range [0.0, 2.0]\n"
	case g.TopP != nil && (*g.TopP < 0 || *g.TopP > 1):
		return at + "top_p: top_p must be in the range [0.0, 1.0]\n"
	case g.CandidateCount != nil && (*g.CandidateCount < 1 || *g.CandidateCount > 8):
		return at + "candidate_count: candidate_count must be in the range [1, 8]\n"
	case g.MaxOutputTokens != nil && *g.MaxOutputTokens < 1:
		return at + "max_output_tokens: max_output_tokens must be positive\n"
	case len(g.StopSequences) > 5:
		return at + "stop_sequences: at most 5 stop sequences are supported\n"
	case (g.ResponseSchema != nil || g.ResponseJSONSchema != nil) && g.ResponseMimeType != "application/json" && g.ResponseMimeType != "text/x.enum":
		return at + "response_mime_type: response_schema is only supported with response_mime_type application/json\n"
	case g.ResponseSchema != nil && g.ResponseJSONSchema != nil:
		return at + "response_schema: only one of response_schema and response_json_schema may be set\n"
	}
	if g.ResponseSchema != nil {
		return validateSchema(g.ResponseSchema, "GenerateContentRequest.generation_config.response_schema", false)
	}
	return ""
}
