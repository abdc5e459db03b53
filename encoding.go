package resilient

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
	"net/http"
	"strings"
)

// plainBody returns the body to classify: data itself, or, for an answer
// that net/http left compressed (the caller asked for an encoding itself),
// its bounded decompression, a copy, with decoded set. The bytes handed back
// stay as they came. It returns data when the encoding is unknown or does
// not decode.
func plainBody(resp *http.Response, data []byte, limit int64) (plain []byte, decoded bool) {
	v := resp.Header["Content-Encoding"]
	if len(v) == 0 || resp.Uncompressed {
		return data, false
	}
	enc := strings.ToLower(strings.TrimSpace(v[0]))
	var r io.Reader
	var err error
	switch enc {
	case "gzip", "x-gzip":
		r, err = gzip.NewReader(bytes.NewReader(data))
	case "deflate": // zlib-wrapped, as the RFC says, or raw, as some servers send
		if r, err = zlib.NewReader(bytes.NewReader(data)); err != nil {
			r, err = flate.NewReader(bytes.NewReader(data)), nil
		}
	default:
		return data, false
	}
	if err != nil {
		return data, false
	}
	plain, err = io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil || int64(len(plain)) > limit {
		return data, false
	}
	return plain, true
}
