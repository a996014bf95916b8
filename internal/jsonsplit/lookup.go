package jsonsplit

import (
	"encoding/binary"
	"encoding/json"
)

// Lookup follows path through nested objects of the JSON object data and
// returns the bounds of the value found, data[start:end], and whether it was
// there. Where a name appears twice in an object, the last one counts, as in
// encoding/json; names are compared decoded. Data that is not one valid
// JSON object finds nothing.
func Lookup(data []byte, path ...string) (start, end int, found bool) {
	start, end = 0, len(data)
	for i, key := range path {
		s := Scanner{Data: data[:end], Pos: start}
		s.SkipSpace()
		var ok bool
		if start, end, ok = s.lookup(key); !ok {
			return 0, 0, false
		}
		if i == 0 && s.End() != nil { // the entry goes on after its object
			return 0, 0, false
		}
	}
	if start == end {
		return 0, 0, false
	}
	return start, end, true
}

// lookup reads the object at s.Pos and returns the bounds of the value of
// its member key, the last one if there are several.
func (s *Scanner) lookup(key string) (start, end int, found bool) {
	if !s.Consume('{') {
		return 0, 0, false
	}
	for first := true; ; first = false {
		s.SkipSpace()
		if s.Consume('}') {
			return start, end, found
		}
		if !first {
			if !s.Consume(',') {
				return 0, 0, false
			}
			s.SkipSpace()
		}
		nameStart := s.Pos
		if s.SkipString() != nil {
			return 0, 0, false
		}
		name := s.Data[nameStart+1 : s.Pos-1]
		s.SkipSpace()
		if !s.Consume(':') {
			return 0, 0, false
		}
		s.SkipSpace()
		valueStart := s.Pos
		if s.SkipValue() != nil {
			return 0, 0, false
		}
		if nameIs(name, key) {
			start, end, found = valueStart, s.Pos, true
		}
	}
}

// nameIs reports whether a member name, given as it stands between its
// quotes, is key once decoded.
func nameIs(name []byte, key string) bool {
	if SimpleText(name) {
		return string(name) == key // no allocation
	}
	return MemberName(name) == key
}

// MemberName returns a member name, given as it stands between its quotes
// (checked by Scanner.SkipString), decoded.
func MemberName(name []byte) string {
	if SimpleText(name) {
		return string(name)
	}
	var decoded string
	_ = json.Unmarshal(append(append([]byte{'"'}, name...), '"'), &decoded)
	return decoded
}

// SimpleText reports whether the contents of a string (checked by
// Scanner.SkipString) are plain ASCII without escapes: their own text.
func SimpleText(b []byte) bool {
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
