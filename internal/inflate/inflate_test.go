package inflate

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"testing"
)

// TestRatioHint: the size hint follows the last body's ratio, stays
// within the limit, and is -1 without a length.
func TestRatioHint(t *testing.T) {
	tests := []struct {
		name              string
		observed          [2]int64 // compressed, inflated; zero: none yet
		compressed, limit int64
		want              int64
	}{
		{"no length", [2]int64{}, -1, 1 << 20, -1},
		{"zero length", [2]int64{}, 0, 1 << 20, -1},
		{"first body: the default ratio", [2]int64{}, 1000, 1 << 20, 8000 + 8000/64},
		{"after a body of 1 to 5", [2]int64{100, 500}, 1000, 1 << 20, 5000 + 5000/64},
		{"capped by the limit", [2]int64{100, 500}, 1000, 4000, 4000},
		{"huge length", [2]int64{}, 1 << 62, 256 << 20, 256 << 20},
		{"nothing inflated is no ratio", [2]int64{100, 0}, 1000, 1 << 20, 8000 + 8000/64},
	}
	for _, tt := range tests {
		var r Ratio
		r.Observe(tt.observed[0], tt.observed[1])
		if got := r.Hint(tt.compressed, tt.limit); got != tt.want {
			t.Errorf("%s: hint(%d, %d) = %d, want %d", tt.name, tt.compressed, tt.limit, got, tt.want)
		}
	}
}

// TestBodyEncoding: which Content-Encoding is which, and a body the
// transport inflated is plain whatever the header said.
func TestBodyEncoding(t *testing.T) {
	tests := []struct {
		header       string
		uncompressed bool
		want         Encoding
	}{
		{"", false, Plain},
		{"identity", false, Plain},
		{" Identity ", false, Plain},
		{"gzip", false, Gzip},
		{"GZIP", false, Gzip},
		{"x-gzip", false, Gzip},
		{"br", false, Unsupported},
		{"gzip, br", false, Unsupported},
		{"br", true, Plain},
	}
	for _, tt := range tests {
		resp := &http.Response{Header: http.Header{}, Uncompressed: tt.uncompressed}
		if tt.header != "" {
			resp.Header.Set("Content-Encoding", tt.header)
		}
		if got := BodyEncoding(resp); got != tt.want {
			t.Errorf("Content-Encoding %q (uncompressed %v) = %d, want %d", tt.header, tt.uncompressed, got, tt.want)
		}
	}
}

// TestPoolRecycles: a reader put back is the one the next Get resets onto
// the next body, and it inflates that body right; a body that is not gzip
// is an error that Corrupt recognises.
func TestPoolRecycles(t *testing.T) {
	p := NewPool()
	var first any
	for i, text := range []string{"first body", "second, longer body"} {
		var z bytes.Buffer
		w := gzip.NewWriter(&z)
		w.Write([]byte(text))
		w.Close()
		zr, err := p.Get(&CountingReader{R: &z})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = zr
		} else if any(zr) != first {
			t.Error("the second body got a new reader")
		}
		got, err := io.ReadAll(zr)
		if err != nil || string(got) != text {
			t.Errorf("body %d: %q, %v", i, got, err)
		}
		p.Put(zr)
	}
	if _, err := p.Get(bytes.NewReader([]byte("not gzip at all"))); err == nil || !Corrupt(err) {
		t.Errorf("a body that is not gzip: %v, want an error Corrupt recognises", err)
	}
	if Corrupt(io.ErrUnexpectedEOF) || Corrupt(errors.New("connection reset")) {
		t.Error("Corrupt took a body cut short for corrupt data")
	}
}

// TestCountingReader counts what passes through it.
func TestCountingReader(t *testing.T) {
	c := &CountingReader{R: bytes.NewReader(make([]byte, 1234))}
	if n, err := io.Copy(io.Discard, c); n != 1234 || c.N != 1234 || err != nil {
		t.Errorf("copied %d, counted %d, %v", n, c.N, err)
	}
}
