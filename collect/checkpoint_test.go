package collect_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/slackaudit/auditlogs"
	"github.com/slackaudit/auditlogs/auditlogstest"
	"github.com/slackaudit/auditlogs/collect"
)

// cpNow is the clock of the checkpoints below; cpW their watermark.
var (
	cpNow = time.Unix(1_900_000_300, 0)
	cpW   = int64(1_900_000_000)
)

// validCheckpoint returns a checkpoint a collector could have written, as a
// map to change: a first read in progress after two windows awaiting their
// re-read.
func validCheckpoint() map[string]any {
	ids := func(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, 7*n)) }
	js := `{"version":1,"filters":{"action":"user_login"},"watermark":1900000000,
		"window":{"oldest":1900000000,"latest":1900000060,"opened":1900000180,"pending":true,"ids":"` + ids(1) + `",
			"until":1900000060,"low":1900000030,"limit":50,"cursor":"abc","pages":2},
		"spans":[{"oldest":1899999880,"latest":1899999940,"opened":1900000060,"gap":120,"pending":true,"ids":"` + ids(1) + `"},
			{"oldest":1899999940,"latest":1900000000,"opened":1900000120,"gap":120,"pending":true,"last":"` + ids(1) + `"}],
		"stats":{"entries":12,"late":1,"late_hours":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1],"late_hour":527777,
			"max_lateness":4000000000,"odd":0,"restarts":1,"windows":2,"rereads":0,"first_pages":3,"reread_pages":0}}`
	var m map[string]any
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		panic(err)
	}
	return m
}

func TestCheckpointJSON(t *testing.T) {
	in, _ := json.Marshal(validCheckpoint())
	var cp collect.Checkpoint
	if err := json.Unmarshal(in, &cp); err != nil {
		t.Fatal(err)
	}
	if err := cp.Validate(cpNow); err != nil {
		t.Fatal(err)
	}
	out, err := cp.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	viaJSON, err := json.Marshal(&cp)
	if err != nil || string(viaJSON) != string(out) {
		t.Errorf("json.Marshal gives other bytes than MarshalJSON (%v):\n%s\n%s", err, viaJSON, out)
	}
	var a, b any
	_ = json.Unmarshal(in, &a)
	_ = json.Unmarshal(out, &b)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("round trip:\n in %s\nout %s", in, out)
	}
	if cp.Watermark().Unix() != cpW || cp.Stats.Entries != 12 || cp.Stats.MaxLateness != 4*time.Second {
		t.Errorf("watermark %v, stats %+v", cp.Watermark(), cp.Stats)
	}
	if w, reread, ok := cp.InProgress(); !ok || reread || w.Oldest.Unix() != cpW || w.Latest.Unix() != cpW+60 {
		t.Errorf("InProgress() = %v, %v, %v", w, reread, ok)
	}
	if n, oldest := cp.Pending(); n != 2 || oldest.Unix() != 1899999880 {
		t.Errorf("Pending() = %d, %v", n, oldest)
	}
}

func TestCheckpointValidate(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(m map[string]any)
		field string // in the error; "" means valid
	}{
		{"valid", func(map[string]any) {}, ""},
		{"other version", func(m map[string]any) { m["version"] = 2 }, "version 2"},
		{"only a version", func(m map[string]any) { clear(m); m["version"] = 1 }, "watermark 1970-01-01T00:00:00Z is before 2018-03-01"},
		{"watermark in the future", func(m map[string]any) {
			m["watermark"] = cpNow.Add(time.Hour).Unix()
			delete(m, "window")
		}, "watermark 2030-03-17T18:51:40Z is in the future"},
		{"span reversed", func(m map[string]any) { span(m, 0)["oldest"] = 1899999999 }, "spans[0].latest"},
		{"span after the watermark", func(m map[string]any) { span(m, 1)["latest"] = cpW + 1 }, "spans[1].latest"},
		{"spans out of order", func(m map[string]any) { span(m, 1)["oldest"] = 1899999900 }, "spans[1].oldest"},
		{"ids cut", func(m map[string]any) { span(m, 0)["ids"] = "AAAAAAAA" }, "spans[0].ids: 6 bytes"},
		{"ids of a span re-read", func(m map[string]any) { delete(span(m, 0), "pending") }, "spans[0].ids"},
		{"window not at the watermark", func(m map[string]any) { win(m)["oldest"] = cpW + 1 }, "window.oldest"},
		{"window until outside", func(m map[string]any) { win(m)["until"] = cpW + 61 }, "window.until"},
		{"window low outside", func(m map[string]any) { win(m)["low"] = cpW - 1 }, "window.low"},
		{"window limit", func(m map[string]any) { win(m)["limit"] = 10000 }, "window.limit"},
		{"re-read outside the spans", func(m map[string]any) { win(m)["reread"] = true; win(m)["oldest"] = 1899999000 }, "window: a re-read"},
		{"negative count", func(m map[string]any) { m["stats"].(map[string]any)["entries"] = -1 }, "stats.entries"},
		{"not an object", func(m map[string]any) { m["spans"] = "x" }, "cannot unmarshal"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := validCheckpoint()
			tc.edit(m)
			b, _ := json.Marshal(m)
			var cp collect.Checkpoint
			err := json.Unmarshal(b, &cp)
			if err == nil {
				err = cp.Validate(cpNow)
			}
			switch {
			case tc.field == "" && err != nil:
				t.Errorf("valid checkpoint refused: %v", err)
			case tc.field != "" && (!errors.Is(err, collect.ErrInvalidCheckpoint) || !strings.Contains(err.Error(), tc.field)):
				t.Errorf("error %v, want ErrInvalidCheckpoint naming %q", err, tc.field)
			}
		})
	}
}

func span(m map[string]any, i int) map[string]any { return m["spans"].([]any)[i].(map[string]any) }
func win(m map[string]any) map[string]any         { return m["window"].(map[string]any) }

// TestRunRefusesCheckpoint checks that Run refuses a checkpoint that does
// not validate, or was made with other filters, before any call, and goes
// on from one that is fine.
func TestRunRefusesCheckpoint(t *testing.T) {
	srv := auditlogstest.NewServer()
	defer srv.Close()
	b, _ := json.Marshal(validCheckpoint())
	var cp collect.Checkpoint
	if err := json.Unmarshal(b, &cp); err != nil {
		t.Fatal(err)
	}
	before, _ := cp.MarshalJSON()
	run := func(opts ...collect.Option) error {
		opts = append([]collect.Option{collect.WithClock(func() time.Time { return cpNow }), collect.WithOnce(true)}, opts...)
		return collect.New(newClient(t, srv), &memSink{}, opts...).Run(context.Background(), &cp)
	}
	if err := run(collect.WithFilters(auditlogs.LogsParams{Action: "user_logout"})); !errors.Is(err, collect.ErrOtherFilters) {
		t.Errorf("other filters: %v", err)
	}
	early := collect.WithClock(func() time.Time { return time.Unix(cpW-3600, 0) })
	if err := run(collect.WithFilters(auditlogs.LogsParams{Action: "user_login"}), early); !errors.Is(err, collect.ErrInvalidCheckpoint) {
		t.Errorf("a watermark in the future: %v", err)
	}
	if srv.Stats().Requests != 0 {
		t.Errorf("%d requests sent", srv.Stats().Requests)
	}
	// With the same filters it goes on from the cursor (which the fake
	// cannot read: it refuses it, and the window goes on from its low
	// second), and leaves the checkpoint given as it was.
	if err := run(collect.WithFilters(auditlogs.LogsParams{Action: "user_login", Limit: 50})); err != nil {
		t.Errorf("the same filters: %v", err)
	}
	if srv.Stats().InvalidCursors != 1 {
		t.Errorf("%d cursors refused, want the checkpoint's", srv.Stats().InvalidCursors)
	}
	if after, _ := cp.MarshalJSON(); string(after) != string(before) {
		t.Errorf("Run changed the checkpoint it was given")
	}
}

// FuzzCheckpoint feeds arbitrary bytes to a checkpoint's decoder: it never
// panics, and a checkpoint it accepts and Validate passes encodes to JSON
// that decodes to the same checkpoint.
func FuzzCheckpoint(f *testing.F) {
	valid, _ := json.Marshal(validCheckpoint())
	f.Add(valid)
	f.Add([]byte(`{"version":1,"watermark":1900000000,"spans":[{"oldest":1,"latest":2,"ids":"AAAAAAAAAA=="}]}`))
	f.Add([]byte(`{"version":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var cp collect.Checkpoint
		if json.Unmarshal(b, &cp) != nil || cp.Validate(cpNow) != nil {
			return
		}
		out, err := cp.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var back collect.Checkpoint
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if err := back.Validate(cpNow); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		again, _ := back.MarshalJSON()
		if string(again) != string(out) {
			t.Fatalf("round trip:\n%s\n%s", out, again)
		}
	})
}
