package v1alpha1

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// walker decodes the generic tree into a Go value by reflection, following the
// json tags, and records every problem with its path instead of stopping at the
// first. Types with their own UnmarshalJSON (Duration, SecretString, time.Time)
// are leaves: they get their subtree as JSON and their error text is reported
// at their path.
type walker struct {
	errs FieldErrors
}

var jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()

func (w *walker) fail(path, detail string) {
	w.errs = append(w.errs, FieldError{Field: path, Detail: detail})
}

// decode sets rv from v. It returns false when v itself could not be used (a
// type mismatch at this node), in which case rv is left as it was; problems
// deeper inside an object or list are recorded and the rest is still decoded.
func (w *walker) decode(v any, rv reflect.Value, path string) bool {
	if v == nil {
		return true // null leaves the zero value, as encoding/json does
	}
	t := rv.Type()
	if t.Kind() == reflect.Pointer {
		nv := reflect.New(t.Elem())
		if !w.decode(v, nv.Elem(), path) {
			return false
		}
		rv.Set(nv)
		return true
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshalerType) {
		b, err := toJSON(v)
		if err == nil {
			err = rv.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(b)
		}
		if err != nil {
			w.fail(path, err.Error())
			return false
		}
		return true
	}
	switch t.Kind() {
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			w.fail(path, "must be a string")
			return false
		}
		rv.SetString(s)
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			w.fail(path, "must be a boolean")
			return false
		}
		rv.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return w.decodeInt(v, rv, path)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return w.decodeUint(v, rv, path)
	case reflect.Float32, reflect.Float64:
		var f float64
		var err error
		switch n := v.(type) {
		case json.Number:
			f, err = strconv.ParseFloat(string(n), 64)
		case float64:
			f = n
		default:
			err = errors.New("not a number")
		}
		if err != nil || rv.OverflowFloat(f) {
			w.fail(path, "must be a number")
			return false
		}
		rv.SetFloat(f)
	case reflect.Struct:
		o, ok := v.(*object)
		if !ok {
			w.fail(path, "must be an object")
			return false
		}
		w.decodeStruct(o, rv, path)
	case reflect.Map:
		o, ok := v.(*object)
		if !ok || t.Key().Kind() != reflect.String {
			w.fail(path, "must be an object")
			return false
		}
		w.decodeMap(o, rv, path)
	case reflect.Slice:
		a, ok := v.([]any)
		if !ok {
			w.fail(path, "must be a list")
			return false
		}
		s := reflect.MakeSlice(t, len(a), len(a))
		for i, e := range a {
			w.decode(e, s.Index(i), path+"["+strconv.Itoa(i)+"]")
		}
		rv.Set(s)
	case reflect.Interface:
		if t.NumMethod() != 0 {
			w.fail(path, "unsupported field type")
			return false
		}
		rv.Set(reflect.ValueOf(plain(v)))
	default:
		w.fail(path, "unsupported field type")
		return false
	}
	return true
}

func (w *walker) decodeInt(v any, rv reflect.Value, path string) bool {
	n, ok := v.(json.Number)
	if f, isFloat := v.(float64); isFloat && f == math.Trunc(f) && math.Abs(f) >= 1<<63 {
		// YAML reads integers too large for 64 bits as floats.
		n, ok = json.Number(strconv.FormatFloat(f, 'f', -1, 64)), true
	}
	if !ok || !isInteger(string(n)) {
		w.fail(path, "must be an integer")
		return false
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || rv.OverflowInt(i) {
		bits := rv.Type().Bits()
		w.fail(path, fmt.Sprintf("must be an integer between %d and %d", int64(-1)<<(bits-1), int64(1)<<(bits-1)-1))
		return false
	}
	rv.SetInt(i)
	return true
}

func (w *walker) decodeUint(v any, rv reflect.Value, path string) bool {
	n, ok := v.(json.Number)
	if f, isFloat := v.(float64); isFloat && f == math.Trunc(f) && math.Abs(f) >= 1<<64 {
		n, ok = json.Number(strconv.FormatFloat(f, 'f', -1, 64)), true
	}
	if !ok || !isInteger(string(n)) {
		w.fail(path, "must be an integer")
		return false
	}
	u, err := strconv.ParseUint(string(n), 10, 64)
	if err != nil || rv.OverflowUint(u) {
		w.fail(path, fmt.Sprintf("must be an integer between 0 and %d", uint64(1)<<(rv.Type().Bits()-1)<<1-1))
		return false
	}
	rv.SetUint(u)
	return true
}

// isInteger reports whether s is written as an integer: an optional sign and digits.
func isInteger(s string) bool {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (w *walker) decodeStruct(o *object, rv reflect.Value, path string) {
	if o.nullKey {
		w.fail(path, "keys must not be null")
	}
	fields := fieldsOf(rv.Type())
	for _, k := range o.sortedKeys() {
		p := fieldPath(path, k)
		if slices.Contains(o.dups, k) {
			w.fail(p, "duplicate key")
		}
		idx, ok := fields[k]
		if !ok {
			w.unknownField(path, k)
			continue
		}
		w.decode(o.fields[k], rv.FieldByIndex(idx), p)
	}
}

func (w *walker) decodeMap(o *object, rv reflect.Value, path string) {
	if o.nullKey {
		w.fail(path, "keys must not be null")
	}
	t := rv.Type()
	m := reflect.MakeMapWithSize(t, len(o.fields))
	for _, k := range o.sortedKeys() {
		p := keyPath(path, k)
		if slices.Contains(o.dups, k) {
			w.fail(p, "duplicate key")
		}
		ev := reflect.New(t.Elem()).Elem()
		if w.decode(o.fields[k], ev, p) {
			m.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), ev)
		}
	}
	rv.Set(m)
}

// fieldPath appends a struct field: "spec" + "targets" = "spec.targets".
func fieldPath(parent, name string) string {
	name = pathSafe(name)
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// keyPath appends a map key: "metadata.labels" + "team" = "metadata.labels[team]".
func keyPath(parent, key string) string {
	return parent + "[" + pathSafe(key) + "]"
}

// pathSafe quotes a name that would make a path ambiguous or span lines.
func pathSafe(s string) string {
	if s == "" {
		return `""`
	}
	for _, r := range s {
		if r <= ' ' || r > '~' || r == '"' || r == '[' || r == ']' {
			return strconv.Quote(s)
		}
	}
	return s
}

var structFields sync.Map // reflect.Type → map[string][]int

// fieldsOf maps each JSON name of a struct to its field index, flattening
// embedded structs that have no JSON name (TypeMeta's `json:",inline"`).
func fieldsOf(t reflect.Type) map[string][]int {
	if f, ok := structFields.Load(t); ok {
		return f.(map[string][]int)
	}
	m := map[string][]int{}
	collectFields(t, nil, m)
	structFields.Store(t, m)
	return m
}

func collectFields(t reflect.Type, prefix []int, m map[string][]int) {
	var embedded []reflect.StructField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			embedded = append(embedded, f)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = append(slices.Clone(prefix), i)
	}
	// Fields of the outer struct win over those of an embedded one.
	for _, f := range embedded {
		sub := map[string][]int{}
		collectFields(f.Type, append(slices.Clone(prefix), f.Index...), sub)
		for k, idx := range sub {
			if _, ok := m[k]; !ok {
				m[k] = idx
			}
		}
	}
}

// unknownField reports an unknown key. A key that could not be a field name
// (a pasted credential such as "sk-..." used as a key, say) is not echoed,
// because errors reach status messages and logs.
func (w *walker) unknownField(path, k string) {
	if looksLikeFieldName(k) {
		w.fail(fieldPath(path, k), "unknown field")
		return
	}
	w.fail(path, "unknown field (a key of "+strconv.Itoa(len(k))+" characters that is not a field name; not shown in case it is a credential)")
}

// looksLikeFieldName reports whether k has the shape of a JSON field name:
// letters, digits and '_', at most 64 characters.
func looksLikeFieldName(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
