// Package jsonsplit reads the JSON of /logs pages without decoding it: it
// checks a body is valid and finds the bytes of each entry and the few
// envelope members the client reads (SplitPage), finds a member's value in
// an entry (Lookup), and lends its validating Scanner to the generated
// entry decoder. It allocates nothing but the list of entries.
package jsonsplit

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Scanner checks JSON as it moves through it: a plain JSON validator
// (RFC 8259 grammar; invalid UTF-8 and duplicate names pass, as
// encoding/json lets them) that allocates nothing. Data is the JSON and Pos
// the offset of the next byte to read.
type Scanner struct {
	Data  []byte
	Pos   int
	depth int
}

// maxDepth bounds nesting, as encoding/json and jsontext do.
const maxDepth = 10000

// ErrSyntax is the error of JSON that is not valid.
var ErrSyntax = errors.New("invalid JSON")

func (s *Scanner) fail(what string) error {
	return fmt.Errorf("%w: %s at offset %d", ErrSyntax, what, s.Pos)
}

// End skips white space and reports an error unless the data ends there.
func (s *Scanner) End() error {
	s.SkipSpace()
	if s.Pos != len(s.Data) {
		return s.fail("data after the JSON object")
	}
	return nil
}

// Peek returns the next byte, or 0 at the end of the data.
func (s *Scanner) Peek() byte {
	if s.Pos < len(s.Data) {
		return s.Data[s.Pos]
	}
	return 0
}

// Consume moves past the next byte if it is c, reporting whether it was.
func (s *Scanner) Consume(c byte) bool {
	if s.Pos < len(s.Data) && s.Data[s.Pos] == c {
		s.Pos++
		return true
	}
	return false
}

// SkipSpace moves past JSON white space.
func (s *Scanner) SkipSpace() {
	if s.Pos < len(s.Data) && s.Data[s.Pos] > ' ' {
		return // the common case: compact JSON
	}
	for s.Pos < len(s.Data) {
		switch s.Data[s.Pos] {
		case ' ', '\t', '\n', '\r':
			s.Pos++
		default:
			return
		}
	}
}

// key reads an object member's name and the colon after it, with the white
// space around them, and returns the name as it stands, quotes included.
// Only the envelope's few members go through it: object and lookup, on the
// hot paths of every split and of Lookup, keep these steps inline (a call
// per member cost Lookup about 10%).
func (s *Scanner) key() ([]byte, error) {
	start := s.Pos
	if err := s.SkipString(); err != nil {
		return nil, err
	}
	k := s.Data[start:s.Pos]
	s.SkipSpace()
	if !s.Consume(':') {
		return nil, s.fail("expected ':'")
	}
	s.SkipSpace()
	return k, nil
}

// SkipValue moves past one JSON value, checking it.
func (s *Scanner) SkipValue() error {
	switch c := s.Peek(); {
	case c == '"':
		return s.SkipString()
	case c == '{':
		return s.object()
	case c == '[':
		return s.array()
	case c == 't':
		return s.SkipLiteral("true")
	case c == 'f':
		return s.SkipLiteral("false")
	case c == 'n':
		return s.SkipLiteral("null")
	case c == '-' || ('0' <= c && c <= '9'):
		return s.SkipNumber()
	case s.Pos >= len(s.Data):
		return s.fail("unexpected end of JSON")
	}
	return s.fail(fmt.Sprintf("unexpected %q", s.Peek()))
}

func (s *Scanner) nest() error {
	if s.depth++; s.depth > maxDepth {
		return s.fail("nested too deep")
	}
	return nil
}

func (s *Scanner) object() error {
	if err := s.nest(); err != nil {
		return err
	}
	s.Pos++ // '{'
	s.SkipSpace()
	if s.Consume('}') {
		s.depth--
		return nil
	}
	for {
		if err := s.SkipString(); err != nil {
			return err
		}
		s.SkipSpace()
		if !s.Consume(':') {
			return s.fail("expected ':'")
		}
		s.SkipSpace()
		if err := s.SkipValue(); err != nil {
			return err
		}
		s.SkipSpace()
		if s.Consume('}') {
			s.depth--
			return nil
		}
		if !s.Consume(',') {
			return s.fail("expected ',' or '}'")
		}
		s.SkipSpace()
	}
}

func (s *Scanner) array() error {
	if err := s.nest(); err != nil {
		return err
	}
	s.Pos++ // '['
	s.SkipSpace()
	if s.Consume(']') {
		s.depth--
		return nil
	}
	for {
		if err := s.SkipValue(); err != nil {
			return err
		}
		s.SkipSpace()
		if s.Consume(']') {
			s.depth--
			return nil
		}
		if !s.Consume(',') {
			return s.fail("expected ',' or ']'")
		}
		s.SkipSpace()
	}
}

// lsb has the lowest bit of every byte of a word set.
const lsb = 0x0101010101010101

// plain marks the bytes a string may hold without a closer look.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// SkipString moves past the string at Pos, checking its escapes and that it
// holds no control character.
func (s *Scanner) SkipString() error {
	if !s.Consume('"') {
		return s.fail("expected a string")
	}
	data := s.Data
	for i := s.Pos; i < len(data); {
		// The hot loop, as most of a page is string contents: eight bytes at
		// a time while none is a quote, a backslash or a control character
		// (the has-zero-byte trick, on w, w^'"' and w^'\\'), then one at a
		// time up to the next such byte.
		for i+8 <= len(data) {
			w := binary.LittleEndian.Uint64(data[i:])
			q, b := w^(lsb*'"'), w^(lsb*'\\')
			if ((w-lsb*0x20)&^w|(q-lsb)&^q|(b-lsb)&^b)&(lsb*0x80) != 0 {
				break
			}
			i += 8
		}
		for i < len(data) && plain[data[i]] {
			i++
		}
		if i >= len(data) {
			break
		}
		switch data[i] {
		case '"':
			s.Pos = i + 1
			return nil
		case '\\':
			if i+1 >= len(data) {
				s.Pos = i
				return s.fail("unexpected end of JSON")
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(data) || !isHex(data[i+2]) || !isHex(data[i+3]) || !isHex(data[i+4]) || !isHex(data[i+5]) {
					s.Pos = i
					return s.fail("invalid \\u escape")
				}
				i += 6
			default:
				s.Pos = i
				return s.fail("invalid escape")
			}
		default:
			s.Pos = i
			return s.fail("control character in string")
		}
	}
	s.Pos = len(data)
	return s.fail("unexpected end of JSON")
}

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

// SkipLiteral moves past word (true, false or null), which must come next.
func (s *Scanner) SkipLiteral(word string) error {
	if len(s.Data)-s.Pos < len(word) || string(s.Data[s.Pos:s.Pos+len(word)]) != word {
		return s.fail("invalid literal")
	}
	s.Pos += len(word)
	return nil
}

// SkipNumber moves past the number at Pos, checking its grammar.
func (s *Scanner) SkipNumber() error {
	d := s.Data
	i := s.Pos
	digits := func() int {
		n := 0
		for i < len(d) && '0' <= d[i] && d[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case digits() == 0:
		s.Pos = i
		return s.fail("invalid number")
	}
	if i < len(d) && d[i] == '.' {
		i++
		if digits() == 0 {
			s.Pos = i
			return s.fail("invalid number")
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if digits() == 0 {
			s.Pos = i
			return s.fail("invalid number")
		}
	}
	s.Pos = i
	return nil
}
