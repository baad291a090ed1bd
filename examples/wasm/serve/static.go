package main

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// static serves one file held in memory, with its gzip-compressed copy
// (made once, at start-up) to clients whose Accept-Encoding allows gzip.
// http.ServeContent answers If-Modified-Since and, for the uncompressed
// file, Range requests; the compressed copy is always sent whole, with its
// own Content-Length (ServeContent leaves that out when a Content-Encoding
// is set).
type static struct {
	typ      string
	raw, gz  []byte
	modified time.Time
}

func newStatic(typ string, raw []byte) *static {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid: no error
	zw.Write(raw)                                            // a bytes.Buffer does not fail
	zw.Close()
	s := &static{typ: typ, raw: raw, modified: time.Now()}
	if buf.Len() < len(raw) {
		s.gz = buf.Bytes()
	}
	return s
}

func (s *static) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", s.typ)
	h.Set("Cache-Control", "no-cache") // revalidate: a rebuilt program is seen at once
	b := s.raw
	if s.gz != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			h.Set("Content-Encoding", "gzip")
			h.Set("Content-Length", strconv.Itoa(len(s.gz)))
			b = s.gz
			r = r.Clone(r.Context())
			r.Header.Del("Range")
		}
	}
	http.ServeContent(w, r, "", s.modified, bytes.NewReader(b))
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip: listed
// as gzip (or x-gzip) or covered by *, with a q-value that is not 0.
func acceptsGzip(header string) bool {
	ok := false
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(k, "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		switch coding {
		case "gzip", "x-gzip":
			return q > 0 // an explicit gzip entry decides
		case "*":
			ok = q > 0
		}
	}
	return ok
}
