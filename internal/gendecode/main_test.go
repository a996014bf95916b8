package main

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/slackaudit/auditlogs/gen"
)

// TestCommittedOutputIsCurrent: decode_gen.go is what the generator writes
// for the types gen holds now (go generate ./... refreshes it).
func TestCommittedOutputIsCurrent(t *testing.T) {
	want, err := generate(reflect.TypeFor[gen.AuditEntry]())
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../entrydecode/decode_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("decode_gen.go is stale: run go generate ./...")
	}
	for _, name := range []string{"AuditEntry", "Actor", "Entity", "Context", "Details", "DlpRule"} {
		if !bytes.Contains(want, []byte("func decode"+name+"(d *Decoder, v *gen."+name+")")) {
			t.Errorf("no decoder for gen.%s", name)
		}
	}
}

// TestUnknownFieldTypeStops: a field of a Go type the helpers do not cover
// stops the generator, naming the type.
func TestUnknownFieldTypeStops(t *testing.T) {
	for _, typ := range []reflect.Type{
		reflect.TypeFor[float64](),
		reflect.TypeFor[map[string]string](),
		reflect.TypeFor[*string](),
		reflect.TypeFor[[]int](),
		reflect.TypeFor[struct{ A string }](),
	} {
		_, err := decodeCall(typ, "&v.X")
		if err == nil || !strings.Contains(err.Error(), typ.String()) {
			t.Errorf("%s: err = %v, want one naming the type", typ, err)
		}
	}
	for typ, want := range map[reflect.Type]string{
		reflect.TypeFor[string]():        "d.string(&v.X)",
		reflect.TypeFor[[]string]():      "decodeArray(d, &v.X, (*Decoder).string)",
		reflect.TypeFor[*gen.Actor]():    "decodePointer(d, &v.X, decodeActor)",
		reflect.TypeFor[[]gen.DlpRule](): "decodeArray(d, &v.X, decodeDlpRule)",
	} {
		if got, err := decodeCall(typ, "&v.X"); err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", typ, got, err, want)
		}
	}
}
