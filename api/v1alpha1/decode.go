package v1alpha1

import (
	"fmt"
	"reflect"
	"slices"
)

// KindList wraps several resources in one document, as `kubectl get -o yaml` does.
const KindList = "List"

// Decode strictly decodes every document of a file: multi-document YAML, a JSON
// object, a JSON (or YAML) array of objects, or a `kind: List` with `items`. It
// neither defaults nor validates; see Load.
//
// Strict means: an unknown field, a duplicate key or a value of the wrong type
// (a number where a string is expected included: quote it) is an error naming
// its path, and every such error of a document is reported, not just the first.
// A top-level `status` is dropped, so the output of `get -o yaml` can be applied
// again. Empty and comment-only documents are skipped but still counted in
// Source.Index. YAML syntax errors give file line numbers.
//
// One Decoded is returned per non-empty document (per item for lists); its
// Object is set whenever the kind is Endpoint or APIKey, even if Err is set.
func Decode(file string, data []byte) []Decoded {
	d := decoder{file: file}
	for _, raw := range splitDocuments(data) {
		if raw.implicit && !hasContent(raw.text) {
			continue // comments or directives before the first "---" are no document
		}
		root, err := parseDocument(raw)
		switch {
		case err != nil:
			d.add(nil, "", "", FieldErrors{{Detail: err.Error()}})
		case root == nil:
			d.index++ // an empty document still counts
		default:
			d.document(root)
		}
	}
	return d.out
}

// Load decodes every document of a file, then defaults and validates each
// resource. A Decoded has Err set when any step fails; validation problems on a
// field that already failed to decode are not repeated.
func Load(file string, data []byte) []Decoded {
	ds := Decode(file, data)
	for i := range ds {
		d := &ds[i]
		if d.Object == nil {
			continue
		}
		Default(d.Object)
		verrs := Validate(d.Object)
		if len(verrs) == 0 {
			continue
		}
		if de, ok := d.Err.(*DocumentError); ok {
			de.Errs = addUnlessCovered(de.Errs, verrs)
			continue
		}
		m := d.Object.GetMetadata()
		d.Err = &DocumentError{Source: d.Source, Kind: d.Object.GetTypeMeta().Kind, Name: m.Name, Errs: verrs}
	}
	return ds
}

type decoder struct {
	file  string
	index int
	out   []Decoded
}

// add records one document and moves to the next index.
func (d *decoder) add(obj Object, kind, name string, errs FieldErrors) {
	src := Source{File: d.file, Index: d.index}
	d.index++
	dec := Decoded{Source: src, Object: obj}
	if len(errs) > 0 {
		dec.Err = &DocumentError{Source: src, Kind: kind, Name: name, Errs: errs}
	}
	d.out = append(d.out, dec)
}

// document decodes one parsed document, which may be a list of resources.
func (d *decoder) document(root any) {
	switch r := root.(type) {
	case []any:
		d.items(r)
	case *object:
		if k, _ := r.fields["kind"].(string); k == KindList {
			d.list(r)
			return
		}
		d.resource(r)
	default:
		d.add(nil, "", "", FieldErrors{{Detail: "must be an object with apiVersion, kind, metadata and spec, got " + describe(root)}})
	}
}

func (d *decoder) items(items []any) {
	if len(items) == 0 {
		d.index++
		return
	}
	for _, it := range items {
		o, ok := it.(*object)
		if !ok {
			d.add(nil, "", "", FieldErrors{{Detail: "list items must be objects with apiVersion, kind, metadata and spec, got " + describe(it)}})
			continue
		}
		if k, _ := o.fields["kind"].(string); k == KindList {
			d.add(nil, KindList, "", FieldErrors{{Field: "kind", Detail: "a List cannot hold another List"}})
			continue
		}
		d.resource(o)
	}
}

// list handles `kind: List`: apiVersion (any), kind, metadata (ignored) and items.
func (d *decoder) list(o *object) {
	var errs FieldErrors
	if o.nullKey {
		errs = append(errs, FieldError{Detail: "keys must not be null"})
	}
	items, _ := o.fields["items"].([]any)
	for _, k := range o.sortedKeys() {
		p := fieldPath("", k)
		if slices.Contains(o.dups, k) {
			errs = append(errs, FieldError{Field: p, Detail: "duplicate key"})
		}
		switch k {
		case "apiVersion", "kind", "metadata":
		case "items":
			if _, ok := o.fields[k].([]any); !ok && o.fields[k] != nil {
				errs = append(errs, FieldError{Field: p, Detail: "must be a list"})
			}
		default:
			errs = append(errs, FieldError{Field: p, Detail: "unknown field"})
		}
	}
	if len(errs) > 0 {
		start := d.index
		d.add(nil, KindList, "", errs)
		d.index = start + max(len(items), 1)
		return
	}
	d.items(items)
}

// resource decodes one Endpoint or APIKey document.
func (d *decoder) resource(o *object) {
	var errs FieldErrors
	apiVersion, verr := typeField(o, "apiVersion")
	if verr == "" && apiVersion != GroupVersion {
		verr = fmt.Sprintf("unsupported version %q: must be %s", apiVersion, GroupVersion)
	}
	if verr != "" {
		errs = append(errs, FieldError{Field: "apiVersion", Detail: verr})
	}
	kind, kerr := typeField(o, "kind")
	var obj Object
	switch kind {
	case KindEndpoint:
		obj = &Endpoint{}
	case KindAPIKey:
		obj = &APIKey{}
	default:
		if kerr == "" {
			kerr = fmt.Sprintf("unsupported kind %q: must be %s or %s", kind, KindEndpoint, KindAPIKey)
		}
	}
	if kerr != "" {
		errs = append(errs, FieldError{Field: "kind", Detail: kerr})
	}
	if obj == nil {
		d.add(nil, kind, rawName(o), errs)
		return
	}
	// apiVersion and kind are checked above; status belongs to the server, so a
	// manifest read back from `get -o yaml` can be applied again.
	rest := &object{fields: map[string]any{}, nullKey: o.nullKey}
	for k, v := range o.fields {
		switch k {
		case "apiVersion", "kind", "status":
		default:
			rest.fields[k] = v
		}
	}
	for _, k := range o.dups {
		if _, ok := rest.fields[k]; ok {
			rest.dups = append(rest.dups, k)
		}
	}
	w := walker{}
	w.decode(rest, reflect.ValueOf(obj).Elem(), "")
	errs = append(errs, w.errs...)
	tm := obj.GetTypeMeta()
	tm.APIVersion, tm.Kind = apiVersion, kind
	name := obj.GetMetadata().Name
	if name == "" {
		name = rawName(o)
	}
	d.add(obj, kind, name, errs)
}

// typeField reads apiVersion or kind, returning the problem with it if any.
func typeField(o *object, key string) (value, problem string) {
	v, ok := o.fields[key]
	if !ok || v == nil {
		return "", "required"
	}
	s, ok := v.(string)
	switch {
	case !ok:
		return "", "must be a string"
	case slices.Contains(o.dups, key):
		return s, "duplicate key"
	case s == "":
		return "", "required"
	}
	return s, ""
}

// rawName is metadata.name when it is a string, for error messages.
func rawName(o *object) string {
	if m, ok := o.fields["metadata"].(*object); ok {
		if n, ok := m.fields["name"].(string); ok {
			return n
		}
	}
	return ""
}

// describe names the type of a tree value for error messages, never its content.
func describe(v any) string {
	switch v.(type) {
	case *object:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "a number"
}
