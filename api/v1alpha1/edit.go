package v1alpha1

import "bytes"

// RemoveObject returns data without the object at index (as Decode numbers
// them), keeping every other byte, comments included, so that the server can
// move one resource out of a hand-written multi-document file without
// rewriting the rest. It returns false when the object is not alone in its
// YAML document (a List, an array, a JSON file): such files are not edited.
func RemoveObject(data []byte, index int) ([]byte, bool) {
	raws := splitDocuments(data)
	if len(raws) == 0 || raws[0].json {
		return nil, false
	}
	lines := bytes.SplitAfter(bytes.TrimPrefix(data, bom), []byte("\n"))
	d := decoder{}
	for i, raw := range raws {
		if raw.implicit && !hasContent(raw.text) {
			continue
		}
		before := d.index
		root, err := parseDocument(raw)
		switch {
		case err != nil:
			d.add(nil, "", "", nil)
		case root == nil:
			d.index++
		default:
			d.document(root)
		}
		if index < before || index >= d.index {
			continue
		}
		if d.index-before != 1 {
			return nil, false
		}
		start, end := raw.line, len(lines)
		if i+1 < len(raws) {
			end = raws[i+1].line
			if raw.implicit {
				end++ // drop the "---" that opened the next document too
			}
		}
		var out bytes.Buffer
		for j, l := range lines {
			if j < start || j >= end {
				out.Write(l)
			}
		}
		return out.Bytes(), true
	}
	return nil, false
}
