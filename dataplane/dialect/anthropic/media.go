package anthropic

import (
	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

type wireSource struct {
	Type      string          `json:"type"`
	MediaType string          `json:"media_type"`
	Data      *string         `json:"data"`
	URL       *string         `json:"url"`
	Content   json.RawMessage `json:"content"`
}

// mediaBlock converts a text, image or document block into parts; sources no
// other provider can fetch (url documents, Files API ids) are dropped.
func (c *converter) mediaBlock(typ string, raw json.RawMessage, bp string) ([]unified.Part, *providers.Error) {
	b, perr := decodeBlock(raw, bp)
	if perr != nil {
		return nil, perr
	}
	if typ == "text" {
		if b.Text == nil {
			return nil, badRequest(path(bp, "text"), "Field required")
		}
		return []unified.Part{{Type: unified.PartText, Text: *b.Text}}, nil
	}
	sp := path(bp, "source")
	if absent(b.Source) {
		return nil, badRequest(sp, "Field required")
	}
	var src wireSource
	if perr := decodeObject(b.Source, sp, &src); perr != nil {
		return nil, perr
	}
	need := func(v *string, field string) (string, *providers.Error) {
		if v == nil || *v == "" {
			return "", badRequest(path(sp, field), "Field required")
		}
		return *v, nil
	}
	switch {
	case src.Type == "base64":
		data, perr := need(src.Data, "data")
		if perr != nil {
			return nil, perr
		}
		if src.MediaType == "" {
			return nil, badRequest(path(sp, "media_type"), "Field required")
		}
		uri := "data:" + src.MediaType + ";base64," + data
		if typ == "image" {
			return []unified.Part{{Type: unified.PartImageURL, ImageURL: &unified.ImageURL{URL: uri}}}, nil
		}
		return []unified.Part{{Type: unified.PartFile, File: &unified.File{FileData: uri, Filename: "document.pdf"}}}, nil
	case src.Type == "url":
		u, perr := need(src.URL, "url")
		if perr != nil {
			return nil, perr
		}
		if typ == "image" {
			return []unified.Part{{Type: unified.PartImageURL, ImageURL: &unified.ImageURL{URL: u}}}, nil
		}
		// OpenAI's file parts take inline data or uploaded ids, not URLs.
		c.drop(bp + " (document url source)")
		return nil, nil
	case src.Type == "text" && typ == "document":
		data, perr := need(src.Data, "data")
		if perr != nil {
			return nil, perr
		}
		return []unified.Part{{Type: unified.PartText, Text: data}}, nil
	case src.Type == "content" && typ == "document":
		if absent(src.Content) {
			return nil, badRequest(path(sp, "content"), "Field required")
		}
		if src.Content[0] == '"' {
			s, perr := decodeString(src.Content, path(sp, "content"))
			if perr != nil {
				return nil, perr
			}
			return []unified.Part{{Type: unified.PartText, Text: s}}, nil
		}
		items, perr := decodeArray(src.Content, path(sp, "content"))
		if perr != nil {
			return nil, perr
		}
		var out []unified.Part
		for k, it := range items {
			ip := path(sp, "content", k)
			t, perr := decodeBlockType(it, ip)
			if perr != nil {
				return nil, perr
			}
			if t != "text" && t != "image" {
				return nil, badRequest(path(ip, "type"), "Input should be 'text' or 'image'")
			}
			ps, perr := c.mediaBlock(t, it, ip)
			if perr != nil {
				return nil, perr
			}
			out = append(out, ps...)
		}
		return out, nil
	case src.Type == "file":
		c.drop(bp + " (" + typ + " file source)")
		return nil, nil
	default:
		return nil, badRequest(path(sp, "type"), "unsupported %s source type %q", typ, src.Type)
	}
}
