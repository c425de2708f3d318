// Package media turns an OpenAI image_url (a data URI or an http(s) URL) into
// inline bytes for providers that only accept those (Bedrock, Gemini without a
// file URI), with a size limit so one request cannot pull gigabytes.
package media

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// MaxBytes bounds one fetched or decoded image.
const MaxBytes = 20 << 20

// Image is an inline image.
type Image struct {
	// MediaType is the MIME type, e.g. "image/png".
	MediaType string
	// Data is the raw bytes.
	Data []byte
}

// Base64 returns the data base64-encoded (standard alphabet).
func (i Image) Base64() string { return base64.StdEncoding.EncodeToString(i.Data) }

// Format returns the short format name ("png", "jpeg", ...).
func (i Image) Format() string {
	f := strings.TrimPrefix(i.MediaType, "image/")
	if f == "jpg" {
		return "jpeg"
	}
	return f
}

// IsDataURI reports whether u is a data: URI.
func IsDataURI(u string) bool { return strings.HasPrefix(u, "data:") }

// ParseDataURI decodes "data:<type>;base64,<data>".
func ParseDataURI(u string) (Image, error) {
	rest, ok := strings.CutPrefix(u, "data:")
	if !ok {
		return Image{}, fmt.Errorf("not a data URI")
	}
	meta, data, ok := strings.Cut(rest, ",")
	if !ok {
		return Image{}, fmt.Errorf("data URI has no ',' separator")
	}
	mediaType, isB64 := strings.CutSuffix(meta, ";base64")
	if !isB64 {
		return Image{}, fmt.Errorf("data URI must be base64-encoded")
	}
	if base64.StdEncoding.DecodedLen(len(data)) > MaxBytes {
		return Image{}, fmt.Errorf("image is larger than %d MiB", MaxBytes>>20)
	}
	b, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(data); err != nil {
			return Image{}, fmt.Errorf("data URI: invalid base64")
		}
	}
	if mediaType == "" {
		mediaType = http.DetectContentType(b)
	}
	return Image{MediaType: mediaType, Data: b}, nil
}

// Fetcher downloads images by URL.
type Fetcher struct {
	// Client does the download; nil means a client with a 30s timeout that
	// refuses to connect to loopback, private, link-local and other
	// non-public addresses, so a client-supplied image URL cannot make the
	// gateway probe its own network (SSRF).
	Client *http.Client
	// AllowPrivate lets the default client reach non-public addresses.
	AllowPrivate bool
}

// ErrForbiddenAddress is returned for an image URL that resolves to a
// non-public address.
var ErrForbiddenAddress = errors.New("image URL resolves to a non-public address")

func publicOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return err
	}
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(ip) { // carrier-grade NAT, cloud metadata neighbours
		return ErrForbiddenAddress
	}
	return nil
}

func (f *Fetcher) client() *http.Client {
	if f.Client != nil {
		return f.Client
	}
	d := &net.Dialer{Timeout: 10 * time.Second}
	if !f.AllowPrivate {
		// Checked on the address actually dialled, after DNS, so a name that
		// resolves (or re-resolves) to an internal address is refused too.
		d.Control = publicOnly
	}
	tr := &http.Transport{DialContext: d.DialContext, TLSHandshakeTimeout: 10 * time.Second, Proxy: http.ProxyFromEnvironment}
	return &http.Client{Timeout: 30 * time.Second, Transport: tr}
}

// Load returns the image behind a data URI or an http(s) URL.
func (f *Fetcher) Load(ctx context.Context, u string) (Image, error) {
	if IsDataURI(u) {
		return ParseDataURI(u)
	}
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		return Image{}, fmt.Errorf("image URL must be http(s) or a data URI")
	}
	c := f.client()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Image{}, fmt.Errorf("image URL: %w", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return Image{}, fmt.Errorf("fetch image: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Image{}, fmt.Errorf("fetch image: status %d", resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxBytes+1))
	if err != nil {
		return Image{}, fmt.Errorf("fetch image: %w", err)
	}
	if len(b) > MaxBytes {
		return Image{}, fmt.Errorf("image is larger than %d MiB", MaxBytes>>20)
	}
	mt := resp.Header.Get("Content-Type")
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	if !strings.HasPrefix(mt, "image/") {
		mt = http.DetectContentType(b)
	}
	return Image{MediaType: mt, Data: b}, nil
}
