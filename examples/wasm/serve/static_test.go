package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{
		"":                        false,
		"gzip":                    true,
		"gzip, deflate, br, zstd": true,
		"br;q=1.0, GZIP;q=0.5":    true,
		"x-gzip":                  true,
		"gzip;q=0":                false,
		"gzip; q=0.000, *":        false, // an explicit gzip entry decides
		"*":                       true,
		"*;q=0":                   false,
		"deflate, br":             false,
		"identity":                false,
		"gzipper":                 false,
	} {
		if got := acceptsGzip(h); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", h, got, want)
		}
	}
}

func TestStaticGzip(t *testing.T) {
	raw := bytes.Repeat([]byte("WebAssembly compresses well. "), 1000)
	s := newStatic("application/wasm", raw)
	get := func(enc string) *http.Response {
		r := httptest.NewRequest("GET", "/main.wasm", nil)
		if enc != "" {
			r.Header.Set("Accept-Encoding", enc)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w.Result()
	}
	for _, enc := range []string{"", "gzip, deflate", "gzip;q=0"} {
		res := get(enc)
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/wasm" || res.Header.Get("Vary") != "Accept-Encoding" {
			t.Fatalf("%q: status %d, headers %v", enc, res.StatusCode, res.Header)
		}
		if n, _ := strconv.Atoi(res.Header.Get("Content-Length")); n != len(body) {
			t.Errorf("%q: Content-Length %d, %d bytes sent", enc, n, len(body))
		}
		gz := res.Header.Get("Content-Encoding") == "gzip"
		if gz != (enc == "gzip, deflate") {
			t.Errorf("%q: Content-Encoding %q", enc, res.Header.Get("Content-Encoding"))
		}
		if gz {
			if len(body) >= len(raw)/10 {
				t.Errorf("compressed to %d of %d bytes", len(body), len(raw))
			}
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if body, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(body, raw) {
			t.Errorf("%q: the body is not the file", enc)
		}
	}
	// A range of the compressed copy is not offered: the whole of it comes.
	r := httptest.NewRequest("GET", "/main.wasm", nil)
	r.Header.Set("Accept-Encoding", "gzip")
	r.Header.Set("Range", "bytes=0-9")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != 200 || w.Body.Len() != len(s.gz) || w.Header().Get("Content-Length") != strconv.Itoa(len(s.gz)) {
		t.Errorf("gzip with Range: status %d, %d bytes, Content-Length %s", w.Code, w.Body.Len(), w.Header().Get("Content-Length"))
	}
	// Bytes that do not compress are kept as they are, for every client.
	noise := make([]byte, 4096)
	for i := range noise {
		noise[i] = byte(i*7919 + i*i*31)
	}
	if s := newStatic("application/octet-stream", noise); s.gz != nil && len(s.gz) >= len(noise) {
		t.Errorf("a larger gzip copy was kept")
	}
}
