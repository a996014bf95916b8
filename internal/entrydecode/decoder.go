// Package entrydecode decodes audit entries into the types oapi-codegen
// generates in package gen: first with decoders generated for those types
// (decode_gen.go, written by internal/gendecode), then, for what they leave,
// with go-json-experiment, the reference they are tested against (Decode).
package entrydecode

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/slackaudit/auditlogs/gen"
	"github.com/slackaudit/auditlogs/internal/jsonsplit"
	"github.com/slackaudit/auditlogs/internal/knobs"
)

// Decoder reads an entry straight into the generated types, with one
// function per type (decode_gen.go) and no reflection. Decoding is most of
// what AllLogs costs, and this takes about 40% less time an entry than
// go-json-experiment (BenchmarkDecodeEntry).
//
// It takes the JSON on jsonsplit's grammar and handles everything the spec
// describes. Anything else, a member of an unexpected type, a number that
// is not a plain integer, a string that is not valid UTF-8, an escaped
// member name, makes it give up (bad), and Decode decodes the entry again
// with the general decoder, whose results it matches exactly
// (FuzzFastDecode and TestFastDecodeMatches check this).
//
// The zero Decoder is ready to use, without a cache of strings.
type Decoder struct {
	jsonsplit.Scanner
	key   []byte       // the current member's name, without its quotes
	bad   bool         // given up
	cache *stringCache // nil: none
}

// New returns a decoder with a cache of strings, for decoding many entries.
func New() *Decoder {
	if !knobs.StringCache {
		return &Decoder{}
	}
	return &Decoder{cache: new(stringCache)}
}

// Fast decodes data into v with the generated decoders alone, reporting
// whether they could. A decoder may be used for one entry after another,
// but by one goroutine at a time.
func (d *Decoder) Fast(data []byte, v *gen.AuditEntry) bool {
	d.Scanner = jsonsplit.Scanner{Data: data}
	d.key, d.bad = nil, false
	decodeAuditEntry(d, v)
	d.SkipSpace()
	ok := !d.bad && d.Pos == len(d.Data)
	d.Scanner, d.key = jsonsplit.Scanner{}, nil // keep no reference to data
	return ok
}

// null reads a null if one comes next, reporting whether it did.
func (d *Decoder) null() bool {
	d.SkipSpace()
	if d.Peek() != 'n' {
		return false
	}
	if d.SkipLiteral("null") != nil {
		d.bad = true
	}
	return true
}

// member moves to the next member of an object, reading its name into
// d.key, and reports whether there is one. On the first call for an object
// (first), it reads the opening brace.
func (d *Decoder) member(first bool) bool {
	if d.bad {
		return false
	}
	d.SkipSpace()
	if first {
		if !d.Consume('{') {
			d.bad = true
			return false
		}
		d.SkipSpace()
	}
	if d.Consume('}') {
		return false
	}
	if !first {
		if !d.Consume(',') {
			d.bad = true
			return false
		}
		d.SkipSpace()
	}
	start := d.Pos
	if d.SkipString() != nil {
		d.bad = true
		return false
	}
	d.key = d.Data[start+1 : d.Pos-1]
	if !jsonsplit.SimpleText(d.key) {
		d.bad = true // escaped or not ASCII: rare enough to leave to the general decoder
		return false
	}
	d.SkipSpace()
	if !d.Consume(':') {
		d.bad = true
		return false
	}
	return true
}

// skip reads a value of a member the types do not know.
func (d *Decoder) skip() { d.rawValue() }

// rawValue reads any value and returns its bytes.
func (d *Decoder) rawValue() []byte {
	d.SkipSpace()
	start := d.Pos
	if d.SkipValue() != nil {
		d.bad = true
		return nil
	}
	return d.Data[start:d.Pos]
}

func (d *Decoder) string(v *string) {
	if d.null() {
		*v = ""
		return
	}
	if d.Peek() != '"' {
		d.bad = true
		return
	}
	start := d.Pos
	if d.SkipString() != nil {
		d.bad = true
		return
	}
	quoted := d.Data[start:d.Pos]
	text := quoted[1 : len(quoted)-1]
	if jsonsplit.SimpleText(text) {
		*v = d.cache.get(text)
		return
	}
	if bytes.IndexByte(text, '\\') < 0 {
		if !utf8.Valid(text) {
			d.bad = true
			return
		}
		*v = d.cache.get(text)
		return
	}
	buf, err := jsontext.AppendUnquote(nil, quoted)
	if err != nil || !utf8.Valid(buf) {
		d.bad = true
		return
	}
	*v = string(buf)
}

func (d *Decoder) bool(v *bool) {
	switch {
	case d.null():
		*v = false
	case d.Peek() == 't' && d.SkipLiteral("true") == nil:
		*v = true
	case d.Peek() == 'f' && d.SkipLiteral("false") == nil:
		*v = false
	default:
		d.bad = true
	}
}

// int64 reads an integer written without fraction or exponent, as the
// general decoder requires for an int64.
func (d *Decoder) int64(v *int64) {
	if d.null() {
		*v = 0
		return
	}
	start := d.Pos
	if d.SkipNumber() != nil {
		d.bad = true
		return
	}
	text := d.Data[start:d.Pos]
	neg := text[0] == '-'
	if neg {
		text = text[1:]
	}
	const cutoff = 1<<63/10 + 1
	var n uint64
	for _, c := range text {
		if c < '0' || c > '9' || n >= cutoff {
			d.bad = true // a fraction, an exponent, or too many digits
			return
		}
		n = n*10 + uint64(c-'0')
	}
	switch {
	case neg && n <= 1<<63:
		*v = -int64(n)
	case !neg && n < 1<<63:
		*v = int64(n)
	default:
		d.bad = true
	}
}

// raw reads a json.RawMessage: the value's bytes as sent, copied.
func (d *Decoder) raw(v *json.RawMessage) {
	if b := d.rawValue(); !d.bad {
		*v = append((*v)[:0], b...)
	}
}

// method reads a value of a type with its own UnmarshalJSON (package flex).
func (d *Decoder) method(v json.Unmarshaler) {
	if b := d.rawValue(); !d.bad && v.UnmarshalJSON(b) != nil {
		d.bad = true
	}
}

// decodePointer reads null as nil, or a value into *v, allocating it first
// if *v is nil.
func decodePointer[T any](d *Decoder, v **T, decode func(*Decoder, *T)) {
	if d.null() {
		*v = nil
		return
	}
	if *v == nil {
		*v = new(T)
	}
	decode(d, *v)
}

// decodeArray reads null as nil, or an array into *v, emptied first (an
// empty array gives an empty slice, not nil, as the general decoder does).
func decodeArray[T any](d *Decoder, v *[]T, decode func(*Decoder, *T)) {
	if d.null() {
		*v = nil
		return
	}
	if !d.Consume('[') {
		d.bad = true
		return
	}
	s := (*v)[:0]
	if s == nil {
		s = []T{}
	}
	for first := true; !d.bad; first = false {
		d.SkipSpace()
		if d.Consume(']') {
			*v = s
			return
		}
		if !first {
			if !d.Consume(',') {
				d.bad = true
				return
			}
		}
		var zero T
		s = append(s, zero)
		decode(d, &s[len(s)-1])
	}
}
