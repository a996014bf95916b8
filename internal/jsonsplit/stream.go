package jsonsplit

// Splitter is SplitPage for a body that arrives in pieces: Feed splits out
// the entries of what has arrived so far, while the rest is still coming
// (from another goroutine than the one reading the body), and Finish
// completes the split once the whole body is there. The result and the
// errors are SplitPage's: Feed only ever records entries that are complete
// and valid, and leaves anything else (a value cut short by the end of the
// data, a syntax error, a body of another shape) to Finish.
//
// Feed follows the shape of every /logs body, an object with an "entries"
// array near its start; for a body of another shape it does nothing, and
// Finish splits the whole body.
type Splitter struct {
	s       Scanner
	stage   int
	first   bool  // at stageElem: no element yet
	arrayAt int   // the offset of the entries array's '['
	spans   []int // the start and end offsets of each entry Feed found
}

// The stages of a Splitter.
const (
	stageStart = iota // nothing read yet
	stageElem         // in the entries array, where an element or (first) its end may come
	stageAfter        // in the entries array, just past an element
	stageOff          // not a body Feed follows: Finish splits it all
)

// Reset makes the splitter ready for a new body, keeping its storage.
func (sp *Splitter) Reset() {
	sp.s = Scanner{}
	sp.stage, sp.first, sp.arrayAt = stageStart, false, 0
	sp.spans = sp.spans[:0]
}

// Feed splits out the entries of data, the body so far, that are complete.
// Each call's data begins with the bytes of the last call's: the same body,
// longer, possibly in other storage. Feed keeps no reference to data.
func (sp *Splitter) Feed(data []byte) {
	s := &sp.s
	s.Data = data
	defer func() { s.Data = nil }()
	if sp.stage == stageStart && !sp.start() {
		return
	}
	for {
		switch sp.stage {
		case stageAfter:
			p := s.Pos
			s.SkipSpace()
			if s.Pos >= len(data) || data[s.Pos] != ',' {
				s.Pos = p // more to come; or the array's end, or an error: Finish's
				return
			}
			s.Pos++
			sp.stage, sp.first = stageElem, false
		case stageElem:
			s.SkipSpace()
			start := s.Pos
			if start >= len(data) || (sp.first && data[start] == ']') {
				return
			}
			s.depth = 0
			// A value followed by at least one byte is complete: a number
			// at the very end of data might go on.
			if err := s.SkipValue(); err != nil || s.Pos >= len(data) {
				s.Pos = start
				return
			}
			sp.spans = append(sp.spans, start, s.Pos)
			sp.stage = stageAfter
		default:
			return
		}
	}
}

// maxHead bounds where the entries array may begin for Feed to follow the
// body: the members before it are read again from the start at each Feed
// until it begins.
const maxHead = 4 << 10

// start reads the body's members up to the entries array, {"ok":true,
// "entries":[ as Slack sends it, and reports whether the array has begun.
// A body whose entries begin after maxHead bytes turns the splitter off.
func (sp *Splitter) start() bool {
	s := &sp.s
	data := s.Data
	s.Pos = 0
	s.SkipSpace()
	if !s.Consume('{') {
		if s.Pos < len(data) {
			sp.stage = stageOff
		}
		return false
	}
	for {
		// Any error: cut short (more to come) or invalid (Finish's to
		// report). Only a long head turns Feed off.
		s.SkipSpace()
		key, err := s.key()
		if err != nil {
			break
		}
		if string(key) == `"entries"` && s.Peek() == '[' {
			s.Pos++
			sp.stage, sp.first, sp.arrayAt = stageElem, true, s.Pos-1
			return true
		}
		s.depth = 0
		if s.SkipValue() != nil {
			break
		}
		s.SkipSpace()
		if !s.Consume(',') {
			break
		}
	}
	if len(data) >= maxHead {
		sp.stage = stageOff
	}
	return false
}

// head reads, for Finish, the body's members before the entries array (at
// sp.arrayAt), which Feed found valid.
func (sp *Splitter) head(body []byte, page *Page) error {
	s := Scanner{Data: body}
	s.SkipSpace()
	s.Consume('{')
	for {
		s.SkipSpace()
		key, err := s.key()
		if err != nil {
			return err
		}
		if s.Pos == sp.arrayAt {
			return nil
		}
		valStart := s.Pos
		if err := s.SkipValue(); err != nil {
			return err
		}
		member(key, body[valStart:s.Pos], page)
		s.SkipSpace()
		if !s.Consume(',') {
			return s.fail("expected ','")
		}
	}
}

// Finish splits body, the whole of what Feed was given parts of, into page
// as SplitPage does, reusing what Feed found.
func (sp *Splitter) Finish(body []byte, page *Page) error {
	if sp.stage == stageStart || sp.stage == stageOff {
		return SplitPage(body, page)
	}
	if err := sp.head(body, page); err != nil {
		return err
	}
	page.HasEntries = true // Feed found the array begin
	for i := 0; i < len(sp.spans); i += 2 {
		start, end := sp.spans[i], sp.spans[i+1]
		page.Entries = append(page.Entries, body[start:end:end])
	}
	s := &sp.s
	s.Data = body
	s.depth = 0
	s.SkipSpace()
	var err error
	switch {
	case sp.stage == stageAfter:
		err = s.elements(page, true)
	case sp.first && s.Consume(']'):
	default:
		err = s.elements(page, false)
	}
	if err != nil {
		return err
	}
	if done, err := s.afterMember(); done || err != nil {
		return err
	}
	return s.members(page)
}
