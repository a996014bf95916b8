package auditlogs

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/slackaudit/auditlogs/gen"
)

// fastDecoder reads an entry straight into the generated types, with one
// function per type (decode_gen.go, written by internal/gendecode) and no
// reflection. Decoding is most of what AllLogs costs, and this takes about
// 40% less time an entry than go-json-experiment (BenchmarkDecodeEntry).
//
// It takes the JSON on the splitter's grammar and handles everything the
// spec describes. Anything else, a member of an unexpected type, a number
// that is not a plain integer, a string that is not valid UTF-8, an escaped
// member name, makes it give up (bad), and Entry.decode decodes the entry
// again with the general decoder, whose results it matches exactly
// (FuzzFastDecode and TestFastDecodeMatches check this).
type fastDecoder struct {
	splitter
	key   []byte       // the current member's name, without its quotes
	bad   bool         // given up
	cache *stringCache // nil: none
}

// newFastDecoder returns a decoder with a cache of strings, for decoding
// many entries.
func newFastDecoder() *fastDecoder { return &fastDecoder{cache: new(stringCache)} }

// decode decodes data into v, reporting whether it could. A decoder may be
// used for one entry after another, but by one goroutine at a time.
func (d *fastDecoder) decode(data []byte, v *gen.AuditEntry) bool {
	d.splitter = splitter{data: data}
	d.key, d.bad = nil, false
	decodeAuditEntry(d, v)
	d.ws()
	ok := !d.bad && d.pos == len(d.data)
	d.splitter, d.key = splitter{}, nil // keep no reference to data
	return ok
}

// null reads a null if one comes next, reporting whether it did.
func (d *fastDecoder) null() bool {
	d.ws()
	if d.peek() != 'n' {
		return false
	}
	if d.literal("null") != nil {
		d.bad = true
	}
	return true
}

// member moves to the next member of an object, reading its name into
// d.key, and reports whether there is one. On the first call for an object
// (first), it reads the opening brace.
func (d *fastDecoder) member(first bool) bool {
	if d.bad {
		return false
	}
	d.ws()
	if first {
		if !d.consume('{') {
			d.bad = true
			return false
		}
		d.ws()
	}
	if d.consume('}') {
		return false
	}
	if !first {
		if !d.consume(',') {
			d.bad = true
			return false
		}
		d.ws()
	}
	start := d.pos
	if d.str() != nil {
		d.bad = true
		return false
	}
	d.key = d.data[start+1 : d.pos-1]
	if !simpleText(d.key) {
		d.bad = true // escaped or not ASCII: rare enough to leave to the general decoder
		return false
	}
	d.ws()
	if !d.consume(':') {
		d.bad = true
		return false
	}
	return true
}

// skip reads a value of a member the types do not know.
func (d *fastDecoder) skip() { d.rawValue() }

// rawValue reads any value and returns its bytes.
func (d *fastDecoder) rawValue() []byte {
	d.ws()
	start := d.pos
	if d.value() != nil {
		d.bad = true
		return nil
	}
	return d.data[start:d.pos]
}

func (d *fastDecoder) string(v *string) {
	if d.null() {
		*v = ""
		return
	}
	if d.peek() != '"' {
		d.bad = true
		return
	}
	start := d.pos
	if d.str() != nil {
		d.bad = true
		return
	}
	quoted := d.data[start:d.pos]
	text := quoted[1 : len(quoted)-1]
	if simpleText(text) {
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

func (d *fastDecoder) bool(v *bool) {
	switch {
	case d.null():
		*v = false
	case d.peek() == 't' && d.literal("true") == nil:
		*v = true
	case d.peek() == 'f' && d.literal("false") == nil:
		*v = false
	default:
		d.bad = true
	}
}

// int64 reads an integer written without fraction or exponent, as the
// general decoder requires for an int64.
func (d *fastDecoder) int64(v *int64) {
	if d.null() {
		*v = 0
		return
	}
	start := d.pos
	if d.number() != nil {
		d.bad = true
		return
	}
	text := d.data[start:d.pos]
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
func (d *fastDecoder) raw(v *json.RawMessage) {
	if b := d.rawValue(); !d.bad {
		*v = append((*v)[:0], b...)
	}
}

// method reads a value of a type with its own UnmarshalJSON (package flex).
func (d *fastDecoder) method(v json.Unmarshaler) {
	if b := d.rawValue(); !d.bad && v.UnmarshalJSON(b) != nil {
		d.bad = true
	}
}

// decodePointer reads null as nil, or a value into *v, allocating it first
// if *v is nil.
func decodePointer[T any](d *fastDecoder, v **T, decode func(*fastDecoder, *T)) {
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
func decodeArray[T any](d *fastDecoder, v *[]T, decode func(*fastDecoder, *T)) {
	if d.null() {
		*v = nil
		return
	}
	if !d.consume('[') {
		d.bad = true
		return
	}
	s := (*v)[:0]
	if s == nil {
		s = []T{}
	}
	for first := true; !d.bad; first = false {
		d.ws()
		if d.consume(']') {
			*v = s
			return
		}
		if !first {
			if !d.consume(',') {
				d.bad = true
				return
			}
		}
		var zero T
		s = append(s, zero)
		decode(d, &s[len(s)-1])
	}
}

// simpleText reports whether the contents of a string (checked by
// splitter.str) are plain ASCII without escapes: their own text.
func simpleText(b []byte) bool {
	for len(b) >= 8 {
		w := binary.LittleEndian.Uint64(b)
		if e := w ^ (lsb * '\\'); (w|(e-lsb)&^e)&(lsb*0x80) != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

// stringCache holds recent strings, so that values that recur from entry to
// entry (types, actions, IDs, user agents, places) are allocated once, not
// once per entry: a slot per hash of a string's length and ends, the newest
// string in each. Keep one per goroutine.
type stringCache [256]string

// get returns b as a string, from the cache if it is there.
func (c *stringCache) get(b []byte) string {
	const maxLen = 256 // long enough for user agents and IPv6 addresses
	if c == nil || len(b) < 2 || len(b) > maxLen {
		return string(b)
	}
	var head, tail uint64
	if len(b) >= 8 {
		head = binary.LittleEndian.Uint64(b)
		tail = binary.LittleEndian.Uint64(b[len(b)-8:])
	} else {
		for i, c := range b {
			head |= uint64(c) << (8 * i)
		}
	}
	h := (head ^ uint64(len(b))) * 0x9e3779b97f4a7c15
	h = (h ^ tail ^ h>>29) * 0xbf58476d1ce4e5b9
	slot := &c[h>>56]
	if *slot == string(b) {
		return *slot
	}
	*slot = string(b)
	return *slot
}
