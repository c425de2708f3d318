package gemini

import (
	"strings"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// blobFields reads a Blob's or FileData's mimeType and the named data field.
func blobFields(raw json.RawMessage, field, dataField, reqType string, needMime bool) (mime, data string, perr *providers.Error) {
	o, perr := decodeObject(raw, field)
	if perr != nil {
		return "", "", perr
	}
	if m := o.get("mimeType"); m != nil {
		if mime, perr = decodeString(m, join(field, "mimeType")); perr != nil {
			return "", "", perr
		}
	}
	if mime == "" && needMime {
		return "", "", missing(reqType, join(field, "mimeType"))
	}
	d := o.get(dataField)
	if d == nil {
		return "", "", missing(reqType, join(field, dataField))
	}
	if data, perr = decodeString(d, join(field, dataField)); perr != nil {
		return "", "", perr
	}
	if data == "" {
		return "", "", missing(reqType, join(field, dataField))
	}
	return strings.ToLower(strings.TrimSpace(mime)), data, nil
}

// inlineData converts inline bytes (base64): images become a data: URI
// image_url, wav and mp3 audio input_audio, anything else (PDF, text, ...) a
// file part carrying a data: URI.
func inlineData(raw json.RawMessage, field, reqType string) (unified.Part, *providers.Error) {
	mime, data, perr := blobFields(raw, field, "data", reqType, true)
	if perr != nil {
		return unified.Part{}, perr
	}
	uri := "data:" + mime + ";base64," + data
	switch {
	case strings.HasPrefix(mime, "image/"):
		return unified.Part{Type: unified.PartImageURL, ImageURL: &unified.ImageURL{URL: uri}}, nil
	case mime == "audio/wav" || mime == "audio/x-wav" || mime == "audio/wave":
		return unified.Part{Type: unified.PartInputAudio, InputAudio: &unified.InputAudio{Data: data, Format: "wav"}}, nil
	case mime == "audio/mp3" || mime == "audio/mpeg":
		return unified.Part{Type: unified.PartInputAudio, InputAudio: &unified.InputAudio{Data: data, Format: "mp3"}}, nil
	}
	return unified.Part{Type: unified.PartFile, File: &unified.File{FileData: uri, Filename: filename(mime)}}, nil
}

// filename names an inline file by its type; OpenAI's file parts want one.
func filename(mime string) string {
	switch mime {
	case "application/pdf":
		return "document.pdf"
	case "text/plain":
		return "document.txt"
	case "text/csv":
		return "document.csv"
	case "text/html":
		return "document.html"
	case "text/markdown", "text/md":
		return "document.md"
	case "application/json":
		return "document.json"
	}
	return "file"
}

// fileData converts a file by URI (gs://, https://, a Files API URI) into an
// image_url carrying the URI, whatever its type: OpenAI's shape has no
// other part that takes a URL.
func fileData(raw json.RawMessage, field, reqType string) (unified.Part, *providers.Error) {
	_, uri, perr := blobFields(raw, field, "fileUri", reqType, false)
	if perr != nil {
		return unified.Part{}, perr
	}
	return unified.Part{Type: unified.PartImageURL, ImageURL: &unified.ImageURL{URL: uri}}, nil
}
