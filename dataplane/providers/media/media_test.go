package media

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

var png = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")

func TestParseDataURI(t *testing.T) {
	img, err := ParseDataURI("data:image/png;base64,iVBORw0KGgo=")
	if err != nil || img.MediaType != "image/png" || img.Format() != "png" || len(img.Data) != 8 {
		t.Fatalf("got %+v, %v", img, err)
	}
	for _, bad := range []string{"data:image/png,raw", "data:image/png;base64", "http://x", "data:;base64,!!!"} {
		if _, err := ParseDataURI(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestFetcherRefusesNonPublicAddresses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(png)
	}))
	defer srv.Close()
	_, err := (&Fetcher{}).Load(context.Background(), srv.URL+"/a.png")
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("loopback image fetched by default: %v", err)
	}
	img, err := (&Fetcher{AllowPrivate: true}).Load(context.Background(), srv.URL+"/a.png")
	if err != nil || img.MediaType != "image/png" {
		t.Fatalf("AllowPrivate fetch: %+v %v", img, err)
	}
}
