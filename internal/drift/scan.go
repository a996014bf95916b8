package drift

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of objects and arrays in an entry: deeper
// input is refused rather than followed.
const maxDepth = 512

// SyntaxError is input that is not well-formed JSON, or not an object.
type SyntaxError struct {
	Offset int // the byte offset in the entry where the problem was found
	Msg    string
}

// Error returns the message with the offset.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.Offset, e.Msg)
}

// scanner reads and validates JSON from data, at pos.
type scanner struct {
	data []byte
	pos  int
}

func (s *scanner) more() bool { return s.pos < len(s.data) }

func (s *scanner) errorf(format string, a ...any) error {
	return &SyntaxError{Offset: s.pos, Msg: fmt.Sprintf(format, a...)}
}

// validUTF8 checks the whole input once, so the string scanners need not.
func (s *scanner) validUTF8() error {
	if utf8.Valid(s.data) {
		return nil
	}
	for i := 0; i < len(s.data); {
		r, n := utf8.DecodeRune(s.data[i:])
		if r == utf8.RuneError && n == 1 {
			return &SyntaxError{Offset: i, Msg: "invalid UTF-8"}
		}
		i += n
	}
	return nil
}

// ws skips white space.
func (s *scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// skip validates and skips one value (after white space), whose nesting
// starts at depth, and returns its type.
func (s *scanner) skip(depth int) (Types, error) {
	s.ws()
	if !s.more() {
		return 0, s.errorf("unexpected end of input where a value was expected")
	}
	switch c := s.data[s.pos]; c {
	case '{':
		if depth+1 > maxDepth {
			return 0, s.errorf("nested deeper than %d levels", maxDepth)
		}
		s.pos++
		s.ws()
		if s.more() && s.data[s.pos] == '}' {
			s.pos++
			return TypeObject, nil
		}
		for {
			if _, err := s.memberName(nil); err != nil {
				return 0, err
			}
			if _, err := s.skip(depth + 1); err != nil {
				return 0, err
			}
			if done, err := s.next('}'); err != nil {
				return 0, err
			} else if done {
				return TypeObject, nil
			}
		}
	case '[':
		if depth+1 > maxDepth {
			return 0, s.errorf("nested deeper than %d levels", maxDepth)
		}
		s.pos++
		s.ws()
		if s.more() && s.data[s.pos] == ']' {
			s.pos++
			return TypeArray, nil
		}
		for {
			if _, err := s.skip(depth + 1); err != nil {
				return 0, err
			}
			if done, err := s.next(']'); err != nil {
				return 0, err
			} else if done {
				return TypeArray, nil
			}
		}
	case '"':
		_, _, err := s.str()
		return TypeString, err
	case 't':
		return TypeBoolean, s.literal("true")
	case 'f':
		return TypeBoolean, s.literal("false")
	case 'n':
		return TypeNull, s.literal("null")
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return s.number()
		}
		return 0, s.errorf("unexpected character %s", strconv.QuoteRune(rune(c)))
	}
}

func (s *scanner) literal(word string) error {
	if len(s.data)-s.pos >= len(word) && string(s.data[s.pos:s.pos+len(word)]) == word {
		s.pos += len(word)
		return nil
	}
	return s.errorf("invalid literal (expected %s)", word)
}

// number reads a number and says whether it is an integer: no fractional
// part (1e3 and 2.0 are integers, 1.5 is not).
func (s *scanner) number() (Types, error) {
	start := s.pos
	d := s.data
	if d[s.pos] == '-' {
		s.pos++
	}
	switch {
	case s.pos < len(d) && d[s.pos] == '0':
		s.pos++
	case s.pos < len(d) && d[s.pos] >= '1' && d[s.pos] <= '9':
		for s.pos < len(d) && d[s.pos] >= '0' && d[s.pos] <= '9' {
			s.pos++
		}
	default:
		return 0, s.errorf("invalid number: a digit must follow the minus sign")
	}
	plain := true
	if s.pos < len(d) && d[s.pos] == '.' {
		plain = false
		s.pos++
		digits := s.pos
		for s.pos < len(d) && d[s.pos] >= '0' && d[s.pos] <= '9' {
			s.pos++
		}
		if s.pos == digits {
			return 0, s.errorf("invalid number: a digit must follow the decimal point")
		}
	}
	if s.pos < len(d) && (d[s.pos] == 'e' || d[s.pos] == 'E') {
		plain = false
		s.pos++
		if s.pos < len(d) && (d[s.pos] == '+' || d[s.pos] == '-') {
			s.pos++
		}
		digits := s.pos
		for s.pos < len(d) && d[s.pos] >= '0' && d[s.pos] <= '9' {
			s.pos++
		}
		if s.pos == digits {
			return 0, s.errorf("invalid number: a digit must follow the exponent")
		}
	}
	if plain {
		return TypeInteger, nil
	}
	return numberType(d[start:s.pos]), nil
}

// numberType classifies a number with a fraction or an exponent: an
// integer if it has no fractional part.
func numberType(text []byte) Types {
	// Exact on the digits: integral if every digit after the decimal point
	// that the exponent does not shift left of it is 0.
	mant, exp := text, 0
	for i, c := range text {
		if c == 'e' || c == 'E' {
			mant = text[:i]
			e, err := strconv.Atoi(string(text[i+1:]))
			if err != nil {
				// An exponent beyond int: huge means an integer, tiny a
				// fraction (unless every digit is 0).
				if text[i+1] == '-' {
					if allZero(mant) {
						return TypeInteger
					}
					return TypeNumber
				}
				return TypeInteger
			}
			exp = e
			break
		}
	}
	frac := []byte(nil)
	for i, c := range mant {
		if c == '.' {
			frac = mant[i+1:]
			mant = mant[:i]
			break
		}
	}
	if exp < 0 {
		// The last -exp digits of the integer part move behind the point.
		intDigits := mant
		if len(intDigits) > 0 && intDigits[0] == '-' {
			intDigits = intDigits[1:]
		}
		n := min(-exp, len(intDigits))
		if !allZero(intDigits[len(intDigits)-n:]) {
			return TypeNumber
		}
		exp = 0
	}
	if exp < len(frac) && !allZero(frac[exp:]) {
		return TypeNumber
	}
	return TypeInteger
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != '0' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// str reads a string at pos (which holds its opening quote) and returns
// its raw content and whether it holds escapes.
func (s *scanner) str() (raw []byte, escaped bool, err error) {
	d := s.data
	s.pos++
	start := s.pos
	for s.pos < len(d) {
		// Eight bytes at a time while none of them needs attention.
		for s.pos+8 <= len(d) && !special8(binary.LittleEndian.Uint64(d[s.pos:])) {
			s.pos += 8
		}
		for s.pos < len(d) && plain[d[s.pos]] {
			s.pos++
		}
		if s.pos == len(d) {
			break
		}
		c := d[s.pos]
		switch {
		case c == '"':
			raw = d[start:s.pos]
			s.pos++
			return raw, escaped, nil
		case c == '\\':
			escaped = true
			if s.pos+1 >= len(d) {
				return nil, false, s.errorf("unexpected end of input in a string")
			}
			switch d[s.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos += 2
			case 'u':
				r, ok := hex4(d[s.pos+2:])
				if !ok {
					return nil, false, s.errorf("invalid \\u escape in a string")
				}
				s.pos += 6
				if utf16.IsSurrogate(r) {
					r2, ok := rune(0), false
					if s.pos+1 < len(d) && d[s.pos] == '\\' && d[s.pos+1] == 'u' {
						r2, ok = hex4(d[s.pos+2:])
					}
					if !ok || utf16.DecodeRune(r, r2) == utf8.RuneError {
						return nil, false, s.errorf("invalid surrogate pair in a string")
					}
					s.pos += 6
				}
			default:
				return nil, false, s.errorf("invalid escape in a string")
			}
		case c < 0x20:
			return nil, false, s.errorf("control character in a string")
		default:
			s.pos++
		}
	}
	return nil, false, s.errorf("unexpected end of input in a string")
}

// special8 reports whether any of the eight bytes of x is a quote, a
// backslash or a control character (the bit tricks of "Bit Twiddling
// Hacks": a zero byte of x^c is a byte equal to c; a byte below 0x20
// borrows).
func special8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	zero := func(v uint64) uint64 { return (v - ones) & ^v & highs }
	below := (x - ones*0x20) & ^x & highs
	return below|zero(x^(ones*'"'))|zero(x^(ones*'\\')) != 0
}

// plain says which bytes a string holds as they are: all but the quote,
// the backslash and the control characters.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// name reads a string at pos and returns its value: a slice of the input
// if it has no escapes, else decoded into *buf (or raw if buf is nil).
func (s *scanner) name(buf *[]byte) ([]byte, error) {
	if !s.more() || s.data[s.pos] != '"' {
		return nil, s.errorf("expected a string")
	}
	raw, escaped, err := s.str()
	if err != nil || !escaped || buf == nil {
		return raw, err
	}
	*buf = unescape((*buf)[:0], raw)
	return *buf, nil
}

// memberName reads an object member's name and the colon after it, with
// the white space around them, and returns the name as name does.
func (s *scanner) memberName(buf *[]byte) ([]byte, error) {
	s.ws()
	if !s.more() || s.data[s.pos] != '"' {
		return nil, s.errorf("expected an object member's name")
	}
	name, err := s.name(buf)
	if err != nil {
		return nil, err
	}
	s.ws()
	if !s.more() || s.data[s.pos] != ':' {
		return nil, s.errorf("expected : after an object member's name")
	}
	s.pos++
	s.ws()
	return name, nil
}

// next reads what follows an object member or an array element: a comma
// (false) or close, the object's or array's end (true).
func (s *scanner) next(close byte) (bool, error) {
	s.ws()
	what := "an object member"
	if close == ']' {
		what = "an array element"
	}
	if !s.more() {
		return false, s.errorf("unexpected end of input after %s", what)
	}
	switch s.data[s.pos] {
	case ',':
		s.pos++
		return false, nil
	case close:
		s.pos++
		return true, nil
	}
	return false, s.errorf("expected , or %c after %s", close, what)
}

// unescape appends the value of the valid string content raw to b.
func unescape(b, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			b = append(b, c)
			i++
			continue
		}
		switch raw[i+1] {
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, _ := hex4(raw[i+2:])
			i += 6
			if utf16.IsSurrogate(r) {
				r2, _ := hex4(raw[i+2:])
				r = utf16.DecodeRune(r, r2)
				i += 6
			}
			b = utf8.AppendRune(b, r)
			continue
		default: // " \ /
			b = append(b, raw[i+1])
		}
		i += 2
	}
	return b
}

// typeMember looks, without moving, for the member "type" of the object at
// pos and returns its value (decoded into *buf) if it is a string.
func (s *scanner) typeMember(buf *[]byte, depth int) (typ []byte, ok bool, err error) {
	save := s.pos
	defer func() { s.pos = save }()
	s.pos++ // {
	s.ws()
	if s.more() && s.data[s.pos] == '}' {
		return nil, false, nil
	}
	for {
		name, err := s.memberName(buf)
		if err != nil {
			return nil, false, err
		}
		if string(name) == "type" && s.more() && s.data[s.pos] == '"' {
			v, err := s.name(buf)
			if err != nil {
				return nil, false, err
			}
			*buf = append((*buf)[:0], v...) // v may be a slice of the input
			return *buf, true, nil
		}
		if _, err := s.skip(depth); err != nil {
			return nil, false, err
		}
		if done, err := s.next('}'); err != nil {
			return nil, false, err
		} else if done {
			return nil, false, nil
		}
	}
}
