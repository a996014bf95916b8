package drift

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/slackaudit/auditlogs/internal/synthetic"
)

// FuzzCheck: the checker takes untrusted input. It never panics, accepts
// exactly the well-formed JSON objects (duplicate names allowed, UTF-8
// required, as jsontext reads them) unless nested beyond maxDepth, and
// counts an entry only when it accepts it.
func FuzzCheck(f *testing.F) {
	for _, ex := range specExamples {
		f.Add([]byte(ex.entry))
	}
	for _, e := range synthetic.Corpus(80, 5) {
		f.Add([]byte(e))
	}
	for _, s := range []string{
		`{}`, `[]`, `{"entity":{"type":"zz","zz":{}}}`, `{"entity":{"zz":1,"type":"zz"}}`, `{"actor":{"type":"type"}}`,
		`{"\u0074ype":"\ud83d\ude00"}`, `{"date_create":1.0e-1}`, `{"a":"\ud800"}`, ` {"id":"x"} `, `{"id":"x"}x`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := NewChecker()
		err := c.Check(data)
		var se *SyntaxError
		if err != nil && !errors.As(err, &se) {
			t.Fatalf("error of another type: %v", err)
		}
		if err != nil && strings.Contains(err.Error(), "nested deeper") {
			return
		}
		v := jsontext.Value(data)
		isObject := v.IsValid(jsontext.AllowDuplicateNames(true)) && v.Kind() == '{'
		if isObject != (err == nil) {
			t.Fatalf("valid object %v, but Check says %v", isObject, err)
		}
		if (c.Entries() == 1) != (err == nil) {
			t.Fatalf("entries %d after err %v", c.Entries(), err)
		}
		for _, f := range c.Findings() {
			if f.Count != 1 || len(f.Spec) == 0 && f.Kind == KindUnexpectedType || len(f.Spec) != 0 && f.Kind != KindUnexpectedType {
				t.Fatalf("odd finding %+v", f)
			}
		}
	})
}
