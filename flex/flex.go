// Package flex holds the JSON types for audit-log fields whose JSON type varies
// from one event to another, such as context.session_id (a number in some
// events, a string in others) or details.succeeded_users (a string array, or a
// string holding a JSON-encoded string array).
//
// The generated models in package gen use these types through the spec's
// x-go-type extensions, and package auditlogs re-exports them. Every
// UnmarshalJSON here accepts any JSON value and never returns an error for an
// unexpected shape: the typed view is then left zero, and the entry's raw bytes
// still hold what the server sent.
package flex

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// Scalar is a JSON string or number, kept as text. The zero Scalar stands for
// a missing or null value, or one of another JSON type.
type Scalar struct {
	text   string
	number bool
}

// ScalarString returns a Scalar holding the string s.
func ScalarString(s string) Scalar { return Scalar{text: s} }

// ScalarInt returns a Scalar holding the number n.
func ScalarInt(n int64) Scalar { return Scalar{text: strconv.FormatInt(n, 10), number: true} }

// String returns the value as text: a string as it was sent (unquoted), a
// number in the digits it was sent with.
func (s Scalar) String() string { return s.text }

// IsNumber reports whether the server sent a JSON number.
func (s Scalar) IsNumber() bool { return s.number }

// IsZero reports whether the value is missing, null, or of another JSON type.
func (s Scalar) IsZero() bool { return s.text == "" && !s.number }

// Int64 returns the value as an integer, whether it was sent as a number or as
// a string of digits. ok is false if it is neither.
func (s Scalar) Int64() (n int64, ok bool) {
	n, err := strconv.ParseInt(s.text, 10, 64)
	return n, err == nil
}

// UnmarshalJSON implements json.Unmarshaler. It never fails: a value that is
// neither a string nor a number leaves s zero.
func (s *Scalar) UnmarshalJSON(data []byte) error {
	*s = Scalar{}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil
	}
	switch c := data[0]; {
	case c == '"':
		// The common case, plain ASCII without escapes, needs no decoder.
		if n := len(data); n >= 2 && data[n-1] == '"' && plainASCII(data[1:n-1]) {
			s.text = string(data[1 : n-1])
			return nil
		}
		var str string
		if json.Unmarshal(data, &str) == nil {
			s.text = str
		}
	case c == '-' || ('0' <= c && c <= '9'):
		if isNumber(data) {
			s.text, s.number = string(data), true
		}
	}
	return nil
}

// plainASCII reports whether b may stand between quotes as it is: printable
// ASCII, no quote, no backslash.
func plainASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// isNumber reports whether b is a JSON number:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func isNumber(b []byte) bool {
	i := 0
	digits := func() int {
		start := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		return i - start
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(b)
}

// MarshalJSON implements json.Marshaler: a number is written as a number, a
// string as a string, the zero Scalar as null.
func (s Scalar) MarshalJSON() ([]byte, error) {
	switch {
	case s.number:
		return []byte(s.text), nil
	case s.text == "":
		return []byte("null"), nil
	}
	return json.Marshal(s.text)
}

// Strings is a list of strings sent in any of the shapes Slack uses for one:
// a JSON array of strings, a string holding a JSON-encoded array of strings,
// or a single plain string (a one-element list).
type Strings []string

// UnmarshalJSON implements json.Unmarshaler. It never fails: elements of an
// array that are not strings are kept as their JSON text, and a value of
// another type (a number, an object) leaves the list nil.
func (l *Strings) UnmarshalJSON(data []byte) error {
	*l = nil
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil
	}
	switch data[0] {
	case '[':
		*l = decodeList(data)
	case '"':
		var str string
		if json.Unmarshal(data, &str) != nil || str == "" {
			return nil
		}
		if t := bytes.TrimSpace([]byte(str)); len(t) > 0 && t[0] == '[' {
			if list := decodeList(t); list != nil {
				*l = list
				return nil
			}
		}
		*l = Strings{str}
	}
	return nil
}

// decodeList decodes a JSON array, keeping non-string elements as their JSON
// text. It returns nil if data is not a valid array.
func decodeList(data []byte) Strings {
	var elems []json.RawMessage
	if json.Unmarshal(data, &elems) != nil {
		return nil
	}
	list := make(Strings, 0, len(elems))
	for _, e := range elems {
		var str string
		if json.Unmarshal(e, &str) == nil {
			list = append(list, str)
		} else {
			list = append(list, string(e))
		}
	}
	return list
}

// Kind says which JSON shape a Value holds.
type Kind uint8

// The shapes a Value can hold.
const (
	KindNone    Kind = iota // missing or null
	KindString              // a string, in Value.String
	KindStrings             // an array of strings, in Value.Strings
	KindObject              // an object of string arrays, in Value.Object
	KindOther               // any other JSON value: only Value.Raw holds it
)

// Value is a setting's value in details.new_value and details.previous_value:
// a string, an array of strings, or an object whose members are string
// arrays. Raw always holds the exact JSON the server sent.
type Value struct {
	Kind    Kind
	String  string
	Strings []string
	Object  map[string][]string
	Raw     json.RawMessage
}

// UnmarshalJSON implements json.Unmarshaler. It never fails: a value of
// another shape gets KindOther and is kept in Raw.
func (v *Value) UnmarshalJSON(data []byte) error {
	*v = Value{}
	data = bytes.TrimSpace(data)
	if len(data) == 0 || string(data) == "null" {
		return nil
	}
	v.Raw = append(json.RawMessage(nil), data...)
	v.Kind = KindOther
	switch data[0] {
	case '"':
		if json.Unmarshal(data, &v.String) == nil {
			v.Kind = KindString
		}
	case '[':
		if json.Unmarshal(data, &v.Strings) == nil {
			v.Kind = KindStrings
		} else {
			v.Strings = nil
		}
	case '{':
		if json.Unmarshal(data, &v.Object) == nil {
			v.Kind = KindObject
		} else {
			v.Object = nil
		}
	}
	return nil
}

// MarshalJSON implements json.Marshaler: it writes Raw when set, and
// otherwise the field that Kind names.
func (v Value) MarshalJSON() ([]byte, error) {
	if len(v.Raw) > 0 {
		return v.Raw, nil
	}
	switch v.Kind {
	case KindString:
		return json.Marshal(v.String)
	case KindStrings:
		return json.Marshal(v.Strings)
	case KindObject:
		return json.Marshal(v.Object)
	}
	return []byte("null"), nil
}
