package v1alpha1

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v2"
)

// The decoder first parses each document into a generic tree, then walks the
// tree against the Go types (walk.go). Tree nodes are *object, []any, string,
// bool, nil, json.Number (every integer, and JSON numbers) or float64 (YAML
// floats, which may be ±Inf or NaN).

// object is a mapping of the generic tree. Duplicate keys are remembered rather
// than silently resolved, so the walker can report them with a typed path.
type object struct {
	fields  map[string]any
	dups    []string // keys given more than once, in order found
	nullKey bool     // the mapping had a null key, which JSON cannot represent
}

func newObject() *object { return &object{fields: map[string]any{}} }

func (o *object) addDup(k string) {
	if !slices.Contains(o.dups, k) {
		o.dups = append(o.dups, k)
	}
}

// sortedKeys returns the keys in sorted order, so errors come out in a stable order.
func (o *object) sortedKeys() []string {
	keys := make([]string, 0, len(o.fields))
	for k := range o.fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// rawDoc is one document of a file, before parsing.
type rawDoc struct {
	text     []byte
	line     int  // number of file lines before the document's first line
	json     bool // the whole file is one JSON value
	implicit bool // the text before the first "---": a document only if hasContent
}

var bom = []byte("\xef\xbb\xbf")

// splitDocuments cuts a file into documents. A file that is one valid JSON value
// is a single document; anything else is YAML split on "---" lines.
func splitDocuments(data []byte) []rawDoc {
	data = bytes.TrimPrefix(data, bom)
	if t := bytes.TrimSpace(data); len(t) > 0 && (t[0] == '{' || t[0] == '[') && json.Valid(t) {
		return []rawDoc{{text: t, json: true}}
	}
	var docs []rawDoc
	cur := rawDoc{implicit: true}
	var buf bytes.Buffer
	line := 0
	for len(data) > 0 {
		l := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i+1], data[i+1:]
		} else {
			data = nil
		}
		content := bytes.TrimRight(l, "\r\n")
		switch {
		case isDocumentStart(content):
			cur.text = bytes.Clone(buf.Bytes())
			docs = append(docs, cur)
			buf.Reset()
			cur = rawDoc{line: line}
			// Keep what follows "---" on its line (a comment, a flow value), in its column.
			buf.WriteString("   ")
			buf.Write(l[3:])
		case string(content) == "...":
			buf.WriteString("\n") // document end marker: keep the line count
		default:
			buf.Write(l)
		}
		line++
	}
	cur.text = buf.Bytes()
	return append(docs, cur)
}

// hasContent reports whether the text before the first "---" is a document: it
// is, unless it holds only blank lines, comments and directives ("%YAML 1.1").
func hasContent(text []byte) bool {
	for line := range bytes.Lines(text) {
		t := bytes.TrimSpace(line)
		if len(t) > 0 && t[0] != '#' && t[0] != '%' {
			return true
		}
	}
	return false
}

func isDocumentStart(line []byte) bool {
	return bytes.HasPrefix(line, []byte("---")) &&
		(len(line) == 3 || line[3] == ' ' || line[3] == '\t')
}

// parseDocument parses one document into the generic tree.
func parseDocument(d rawDoc) (root any, err error) {
	if d.json {
		return parseJSON(d.text)
	}
	return parseYAML(d.text, d.line)
}

func parseJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return readJSON(dec)
}

func readJSON(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return tok, nil // string, json.Number, bool or nil
	}
	switch delim {
	case '{':
		o := newObject()
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string)
			v, err := readJSON(dec)
			if err != nil {
				return nil, err
			}
			if _, dup := o.fields[k]; dup {
				o.addDup(k)
				continue
			}
			o.fields[k] = v
		}
		_, err = dec.Token()
		return o, err
	case '[':
		a := []any{}
		for dec.More() {
			v, err := readJSON(dec)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err = dec.Token()
		return a, err
	}
	return nil, fmt.Errorf("unexpected %v", delim)
}

// parseYAML parses a YAML document twice: once into maps, which applies merge
// keys ("<<"), and once into yaml.MapSlice, which keeps duplicate keys so they
// can be reported. lineOffset turns the document's line numbers into the file's.
func parseYAML(data []byte, lineOffset int) (any, error) {
	var v any
	if err := yamlUnmarshal(data, &v); err != nil {
		return nil, yamlError(err, lineOffset)
	}
	root := fromYAML(v)
	var dups dupRoot
	if yamlUnmarshal(data, &dups) == nil {
		markDups(dups.v, root)
	}
	return root, nil
}

// yamlUnmarshal is yaml.Unmarshal turning a panic of the library, should its
// input find one, into an error: a manifest must never bring the server down.
func yamlUnmarshal(data []byte, out any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: cannot parse document")
		}
	}()
	return yaml.Unmarshal(data, out)
}

var (
	lineRE   = regexp.MustCompile(`line (\d+)`)
	quotedRE = regexp.MustCompile("`[^`]*`") // yaml.v2 quotes a scalar it cannot resolve this way
	anchorRE = regexp.MustCompile(`anchor '[^']*'`)
)

// yamlError shifts line numbers to file lines, keeps the message on one line and
// never echoes document content (yaml.v2 prints an invalid map key in full, and
// such a key may hold a credential).
func yamlError(err error, lineOffset int) error {
	msg := err.Error()
	if strings.Contains(msg, "invalid map key") {
		msg = "yaml: invalid map key: mapping keys must be strings, numbers or booleans"
	}
	if te, ok := err.(*yaml.TypeError); ok {
		msg = "yaml: " + strings.Join(te.Errors, "; ")
	}
	msg = quotedRE.ReplaceAllString(msg, "value")
	msg = anchorRE.ReplaceAllString(msg, "anchor")
	msg = lineRE.ReplaceAllStringFunc(msg, func(s string) string {
		n, convErr := strconv.Atoi(s[len("line "):])
		if convErr != nil {
			return s
		}
		return "line " + strconv.Itoa(n+lineOffset)
	})
	return fmt.Errorf("%s", strings.Join(strings.Fields(msg), " "))
}

// fromYAML converts yaml.v2's generic values into the tree.
func fromYAML(v any) any {
	switch t := v.(type) {
	case map[any]any:
		o := newObject()
		// Visit keys in a fixed order so colliding keys (1 and "1") resolve the same way each time.
		keys := make([]any, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b any) int {
			return strings.Compare(fmt.Sprintf("%T%v", a, a), fmt.Sprintf("%T%v", b, b))
		})
		for _, k := range keys {
			ks, ok := keyString(k)
			if !ok {
				o.nullKey = true
				continue
			}
			if _, dup := o.fields[ks]; dup {
				o.addDup(ks)
				continue
			}
			o.fields[ks] = fromYAML(t[k])
		}
		return o
	case []any:
		a := make([]any, len(t))
		for i, e := range t {
			a[i] = fromYAML(e)
		}
		return a
	case int:
		return json.Number(strconv.Itoa(t))
	case int64:
		return json.Number(strconv.FormatInt(t, 10))
	case uint64:
		return json.Number(strconv.FormatUint(t, 10))
	}
	return v // string, bool, float64, nil
}

// keyString renders a YAML key the way sigs.k8s.io/yaml does when it converts to JSON.
func keyString(k any) (string, bool) {
	switch t := k.(type) {
	case string:
		return t, true
	case int:
		return strconv.Itoa(t), true
	case int64:
		return strconv.FormatInt(t, 10), true
	case uint64:
		return strconv.FormatUint(t, 10), true
	case float64:
		return strconv.FormatFloat(t, 'g', -1, 64), true
	case bool:
		return strconv.FormatBool(t), true
	}
	return "", false
}

// dupRoot decodes a document into yaml.MapSlice, which yaml.v2 then uses for
// every nested mapping too, keeping duplicate keys.
type dupRoot struct{ v any }

func (r *dupRoot) UnmarshalYAML(unmarshal func(any) error) error {
	var ms yaml.MapSlice
	if unmarshal(&ms) == nil {
		r.v = ms
		return nil
	}
	var seq []dupRoot
	if unmarshal(&seq) == nil {
		r.v = seq
	}
	return nil
}

// markDups walks the MapSlice parse alongside the tree and records duplicate keys.
func markDups(ms, t any) {
	switch m := ms.(type) {
	case yaml.MapSlice:
		o, ok := t.(*object)
		if !ok {
			return
		}
		seen := map[string]bool{}
		for _, it := range m {
			k, ok := keyString(it.Key)
			if !ok {
				continue
			}
			if seen[k] {
				o.addDup(k)
				continue
			}
			seen[k] = true
			markDups(it.Value, o.fields[k])
		}
	case []any:
		if a, ok := t.([]any); ok {
			for i := range min(len(m), len(a)) {
				markDups(m[i], a[i])
			}
		}
	case []dupRoot:
		if a, ok := t.([]any); ok {
			for i := range min(len(m), len(a)) {
				markDups(m[i].v, a[i])
			}
		}
	}
}

// toJSON renders a tree value as JSON, for the types that decode themselves
// (Duration, SecretString, time.Time).
func toJSON(v any) ([]byte, error) {
	return json.Marshal(plain(v))
}

func plain(v any) any {
	switch t := v.(type) {
	case *object:
		m := make(map[string]any, len(t.fields))
		for k, e := range t.fields {
			m[k] = plain(e)
		}
		return m
	case []any:
		a := make([]any, len(t))
		for i, e := range t {
			a[i] = plain(e)
		}
		return a
	}
	return v
}
