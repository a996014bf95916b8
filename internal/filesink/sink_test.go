package filesink

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func config(dir string) Config {
	return Config{StatePath: filepath.Join(dir, "state.json"), OutPath: filepath.Join(dir, "out.jsonl"), Now: func() time.Time { return now }}
}

func fresh() *State { return &State{Start: now.Add(-time.Hour)} }

func open(t testing.TB, cfg Config) *Sink {
	t.Helper()
	s, err := Open(cfg, fresh())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Begin(); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDecodeRefusesWhatTailDidNotWrite(t *testing.T) {
	ok := `"filters":{},"start":"2025-01-01T00:00:00Z","checkpoint":null,"output":null,"clean_stop":true,"entries_written":0`
	for _, tc := range []struct{ name, body, want string }{
		{"not JSON", `{`, "is not valid JSON"},
		{"an array", `[]`, "is not valid JSON"},
		{"no version", `{}`, `field "version" is missing`},
		{"newer", `{"version":3}`, "has version 3"},
		{"older", `{"version":1}`, "has version 1"},
		{"version alone", `{"version":2}`, `field "filters" is missing`},
		{"no start", `{"version":2,"filters":{},"checkpoint":null,"output":null,"clean_stop":true,"entries_written":0}`, `field "start" is missing`},
		{"start in 1970", `{"version":2,` + strings.Replace(ok, "2025", "1970", 1) + `}`, `field "start" is 1970-01-01T00:00:00Z, before`},
		{"start in the future", `{"version":2,` + strings.Replace(ok, "2025", "2027", 1) + `}`, `field "start" is 2027-01-01T00:00:00Z, in the future`},
		{"relative output", `{"version":2,` + strings.Replace(ok, `"output":null`, `"output":{"path":"out","offset":0,"ino":1,"gen":1}`, 1) + `}`, `field "output.path"`},
		{"negative offset", `{"version":2,` + strings.Replace(ok, `"output":null`, `"output":{"path":"/out","offset":-1,"ino":1,"gen":1}`, 1) + `}`, `field "output.offset"`},
		{"no identity", `{"version":2,` + strings.Replace(ok, `"output":null`, `"output":{"path":"/out","offset":0,"gen":1}`, 1) + `}`, `field "output.ino"`},
		{"bad checkpoint", `{"version":2,` + strings.Replace(ok, `"checkpoint":null`, `"checkpoint":{"x":1}`, 1) + `}`, `field "checkpoint" is invalid (no x)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "no identity" && !hasIdentity {
				t.Skip("no file identities here")
			}
			cfg := &Config{ValidateCheckpoint: func(cp json.RawMessage, _ time.Time) error {
				if cp != nil {
					return errors.New("no x")
				}
				return nil
			}}
			_, err := decode("s.json", []byte(tc.body), now, cfg)
			if err == nil || !strings.Contains(err.Error(), "state file s.json") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error naming the file and %q", err, tc.want)
			}
		})
	}
	st, err := decode("s.json", []byte(`{"version":2,`+ok+`}`), now, &Config{})
	if err != nil || st.Start.Year() != 2025 {
		t.Fatalf("a good state: %+v, %v", st, err)
	}
}

func TestLockIsOnTheInode(t *testing.T) {
	if !locks {
		t.Skip("no flock here")
	}
	dir := t.TempDir()
	cfg := config(dir)
	s := open(t, cfg)
	if err := s.Write([]byte("{\"id\":\"a\"}\n"), 1, json.RawMessage(`{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "alias.json")
	if err := os.Symlink(cfg.StatePath, link); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{cfg.StatePath, link} {
		c := cfg
		c.StatePath, c.OutPath = path, filepath.Join(dir, "other.jsonl")
		if _, err := Open(c, fresh()); !errors.Is(err, ErrStateLocked) {
			t.Errorf("a second open through %s: %v", filepath.Base(path), err)
		}
	}
	// Another state, the same output: refused too.
	c := cfg
	c.StatePath = filepath.Join(dir, "second.json")
	s2, err := Open(c, fresh())
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Begin(); !errors.Is(err, ErrOutputLocked) {
		t.Errorf("a second sink on the same output: %v", err)
	}
	s2.Close(false)
	if err := s.Close(true); err != nil {
		t.Fatal(err)
	}
	// Released: through the link it opens, and the link stays a link.
	c = cfg
	c.StatePath = link
	s3 := open(t, c)
	if string(s3.State().Checkpoint) != `{"n":1}` {
		t.Errorf("checkpoint %s", s3.State().Checkpoint)
	}
	s3.Close(true)
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the save replaced the link: %v", err)
	}
	if _, err := os.Stat(cfg.StatePath + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("a temporary file is left: %v", err)
	}
}

func TestWriteCutsBackOnlyItsOwnFile(t *testing.T) {
	dir := t.TempDir()
	cfg := config(dir)
	s := open(t, cfg)
	page := []byte(strings.Repeat("{\"id\":\"x\"}\n", 50))
	if err := s.Write(page, 50, json.RawMessage(`1`)); err != nil {
		t.Fatal(err)
	}
	s.Close(true)
	// A page written after the checkpoint, never saved (a crash): cut off.
	f, _ := os.OpenFile(cfg.OutPath, os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte("{\"id\":\"not checkpointed\"}\n"))
	f.Close()
	s = open(t, cfg)
	if b, _ := os.ReadFile(cfg.OutPath); string(b) != string(page) {
		t.Fatalf("not cut back: %d bytes", len(b))
	}
	s.Close(true)
	// The state edited to name another file: that file is left alone.
	other := filepath.Join(dir, "precious.txt")
	os.WriteFile(other, []byte("precious, no final newline, longer than the checkpoint says"), 0o600)
	b, _ := os.ReadFile(cfg.StatePath)
	var m map[string]any
	json.Unmarshal(b, &m)
	m["output"].(map[string]any)["path"] = other
	m["output"].(map[string]any)["offset"] = 3
	delete(m, "previous")
	b, _ = json.Marshal(m)
	os.WriteFile(cfg.StatePath, b, 0o600)
	c := cfg
	c.OutPath = other
	s = open(t, c)
	if err := s.Write([]byte("{\"id\":\"y\"}\n"), 1, json.RawMessage(`2`)); err != nil {
		t.Fatal(err)
	}
	s.Close(true)
	if b, _ := os.ReadFile(other); string(b) != "precious, no final newline, longer than the checkpoint says\n{\"id\":\"y\"}\n" {
		t.Fatalf("the other file: %q", b)
	}
}

func TestOutputSymlinkRefused(t *testing.T) {
	dir := t.TempDir()
	cfg := config(dir)
	target := filepath.Join(dir, "target.jsonl")
	os.WriteFile(target, nil, 0o600)
	if err := os.Symlink(target, cfg.OutPath); err != nil {
		t.Skip(err)
	}
	s, err := Open(cfg, fresh())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(false)
	var se *SymlinkError
	if err := s.Begin(); !errors.As(err, &se) || se.Target != target {
		t.Fatalf("got %v", err)
	}
}

// TestStateSavedInProportion: with an output file, the state is saved once
// the output written since holds as many bytes as the state.
func TestStateSavedInProportion(t *testing.T) {
	dir := t.TempDir()
	s := open(t, config(dir))
	cp := json.RawMessage(`{"pad":"` + strings.Repeat("p", 1000) + `"}`)
	line := []byte(strings.Repeat("e", 99) + "\n")
	for i := range 500 {
		if err := s.Write(line, 1, cp); err != nil {
			t.Fatal(i, err)
		}
	}
	w := s.Written()
	if w.Output != 500*100 || w.State > w.Output+int64(3*len(cp)+2000) {
		t.Fatalf("wrote %+v for 50000 bytes of output", w)
	}
	if err := s.Close(true); err != nil {
		t.Fatal(err)
	}
	st, err := Read(filepath.Join(dir, "state.json"), Config{Now: func() time.Time { return now }})
	if err != nil || st.Entries != 500 || st.Output.Offset != 500*100 || !st.CleanStop {
		t.Fatalf("after Close: %+v, %v", st, err)
	}
	t.Logf("%d bytes of output, %d of state in %d saves", w.Output, w.State, w.Saves)
}
