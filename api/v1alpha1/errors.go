package v1alpha1

import (
	"errors"
	"strconv"
	"strings"
)

// Source locates a document: File as given by the caller, Index is the 0-based
// position of the document in the file.
//
// Index counts raw documents, empty ones included, so "document 3" is the third
// document a reader counts in the file. The items of a list (a top-level JSON or
// YAML array, or a `kind: List`) each count as one document, in order; a file
// holding only a list therefore numbers its items 1, 2, 3, ...
type Source struct {
	File  string
	Index int
}

// String renders the source as "<file>: document <Index+1>".
func (s Source) String() string {
	doc := "document " + strconv.Itoa(s.Index+1)
	if s.File == "" {
		return doc
	}
	return s.File + ": " + doc
}

// FieldError is one problem with one field. Field is a path such as
// "spec.targets[1].weight" or "metadata.labels[team]"; it is empty for problems
// with the whole document (a YAML syntax error, say).
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"message"`
}

// Error renders "<field>: <detail>", or just the detail when Field is empty.
func (e FieldError) Error() string {
	if e.Field == "" {
		return e.Detail
	}
	return e.Field + ": " + e.Detail
}

// FieldErrors is every problem found in one document, in the order found.
type FieldErrors []FieldError

// Error joins the errors with "; ".
func (errs FieldErrors) Error() string {
	parts := make([]string, len(errs))
	for i, e := range errs {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// FieldsOf returns the field problems err carries (a *DocumentError, a
// FieldErrors or a FieldError, wrapped or not), so that an API can answer
// with them as data as well as in its message.
func FieldsOf(err error) FieldErrors {
	var de *DocumentError
	if errors.As(err, &de) {
		return de.Errs
	}
	var fe FieldErrors
	if errors.As(err, &fe) {
		return fe
	}
	var one FieldError
	if errors.As(err, &one) {
		return FieldErrors{one}
	}
	return nil
}

// DocumentError says which file, document, resource and fields are wrong.
// Kind and Name are whatever the document said, when it said it as a string.
type DocumentError struct {
	Source Source
	Kind   string
	Name   string
	Errs   FieldErrors
}

// Error renders "<file>: document <n>: <Kind>/<Name>: <errors joined by "; ">",
// leaving out the parts that are unknown: "<Kind>: " when there is no name,
// "<Name>: " when there is no kind, nothing when neither is known.
func (e *DocumentError) Error() string {
	var b strings.Builder
	b.WriteString(e.Source.String())
	b.WriteString(": ")
	switch {
	case e.Kind != "" && e.Name != "":
		b.WriteString(pathSafe(e.Kind) + "/" + pathSafe(e.Name) + ": ")
	case e.Kind != "":
		b.WriteString(pathSafe(e.Kind) + ": ")
	case e.Name != "":
		b.WriteString(pathSafe(e.Name) + ": ")
	}
	b.WriteString(e.Errs.Error())
	return b.String()
}

// Unwrap gives errors.As access to the field errors.
func (e *DocumentError) Unwrap() error { return e.Errs }

// Decoded is the outcome for one document of a file.
type Decoded struct {
	// Source locates the document.
	Source Source
	// Object is the decoded *Endpoint or *APIKey. It may be non-nil even when Err is
	// set, as long as the kind was understood, so the caller can attach status
	// to the named resource; its fields are then only those that decoded cleanly.
	Object Object
	// Err is a *DocumentError, or nil.
	Err error
}

// addUnlessCovered appends the errors of more whose path is neither equal to nor
// below the path of an error already in errs, so that a field that failed to
// decode does not also report, say, "required".
func addUnlessCovered(errs, more FieldErrors) FieldErrors {
	out := errs
	for _, m := range more {
		covered := false
		for _, e := range errs {
			if e.Field == "" || m.Field == e.Field || isBelow(m.Field, e.Field) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, m)
		}
	}
	return out
}

// isBelow reports whether path is inside parent: "spec.targets[0]" is below
// "spec.targets", which is below "spec".
func isBelow(path, parent string) bool {
	if !strings.HasPrefix(path, parent) || len(path) == len(parent) {
		return false
	}
	c := path[len(parent)]
	return c == '.' || c == '['
}
