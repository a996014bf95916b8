package synthetic

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// obj is a JSON object whose keys keep the order they were added in, so the
// synthetic entries read like Slack's (id first) and are byte-for-byte
// deterministic.
type obj []kv

// kv is one member of an obj.
type kv struct {
	k string
	v any
}

// rawJSON is a value written as is (it must be valid JSON).
type rawJSON string

// add appends a member and returns the object, for chaining.
func (o obj) add(k string, v any) obj { return append(o, kv{k, v}) }

// appendValue appends the compact JSON encoding of v. It knows only the types
// the generator uses and panics on any other, which a test would catch.
func appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendString(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case bool:
		return strconv.AppendBool(b, x)
	case rawJSON:
		return append(b, x...)
	case []string:
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, s)
		}
		return append(b, ']')
	case []obj:
		b = append(b, '[')
		for i, o := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendValue(b, o)
		}
		return append(b, ']')
	case obj:
		b = append(b, '{')
		for i, m := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, m.k)
			b = append(b, ':')
			b = appendValue(b, m.v)
		}
		return append(b, '}')
	}
	panic(fmt.Sprintf("synthetic: cannot encode a %T", v))
}

// appendString appends s as a JSON string, escaping what JSON requires.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
				b = append(b, s[start:i]...)
				if r == utf8.RuneError {
					b = append(b, `\ufffd`...)
				} else {
					b = append(b, `\u202`...)
					b = append(b, hex[r&0xf])
				}
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// RNG is a small deterministic generator (SplitMix64). It is written out here
// rather than taken from math/rand so that the synthetic corpus and the fault
// sequence never change with the Go version.
type RNG struct{ s uint64 }

// NewRNG returns a generator whose sequence depends on seed alone.
func NewRNG(seed int64) *RNG { return &RNG{s: uint64(seed) ^ 0x5eed0fa0d17c0de5} }

func (r *RNG) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a number in [0, n); n must be positive.
func (r *RNG) intn(n int) int { return int(r.next() % uint64(n)) }

// between returns a number in [lo, hi].
func (r *RNG) between(lo, hi int64) int64 { return lo + int64(r.next()%uint64(hi-lo+1)) }

// float returns a number in [0, 1).
func (r *RNG) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// Chance reports true with probability p.
func (r *RNG) Chance(p float64) bool { return r.float() < p }

// pick returns one of xs.
func pick[T any](r *RNG, xs []T) T { return xs[r.intn(len(xs))] }
