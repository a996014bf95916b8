package auditlogs

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sync"

	"github.com/slackaudit/auditlogs/internal/jsonsplit"
	"github.com/slackaudit/auditlogs/internal/pagestore"
)

// splitAhead splits a gzip /logs body into its entries on a goroutine of
// its own while the body is still being inflated: with two cores, the
// split (about a third of what RawPages spends on a gzip page) then costs
// almost no time, since inflating is slower than splitting. Nothing is
// yielded early: the page is checked in full (jsonsplit.Splitter.Finish)
// once the whole body has arrived, and a body cut short is retried as
// before. The goroutine lives from begin to end, within one attempt's
// read, and only reads the storage the body is inflated into; it stops
// reading before the store moves or frees it (pagestore.Watcher).
//
// A nil *splitAhead does nothing: the body is split once read, as
// decodePage does.
type splitAhead struct {
	mu   sync.Mutex
	cond sync.Cond
	data []byte // the body so far, as last read; nil while the storage moves
	fed  int    // the length of the data last fed to the splitter
	busy bool   // the goroutine is reading data
	done bool   // the read is over: the goroutine stops
	// exited is closed when the goroutine has stopped.
	exited chan struct{}
	sp     jsonsplit.Splitter
}

// newSplitAhead returns a splitAhead, or nil with a single core, where
// splitting ahead would gain nothing.
func newSplitAhead() *splitAhead {
	if runtime.GOMAXPROCS(0) < 2 {
		return nil
	}
	a := &splitAhead{}
	a.cond.L = &a.mu
	return a
}

// reset forgets the last attempt's body: it starts every attempt's read.
func (a *splitAhead) reset() {
	if a != nil {
		a.sp.Reset()
	}
}

// begin starts the goroutine, and returns the watcher to read the body
// with (nil for a nil a).
func (a *splitAhead) begin() pagestore.Watcher {
	if a == nil {
		return nil
	}
	a.data, a.fed, a.busy, a.done = nil, 0, false, false
	a.exited = make(chan struct{})
	go a.run()
	return a
}

// end stops the goroutine, once the read is over (whether it succeeded or
// not), and waits for it.
func (a *splitAhead) end() {
	if a == nil {
		return
	}
	a.mu.Lock()
	a.done, a.data = true, nil
	a.cond.Broadcast()
	a.mu.Unlock()
	<-a.exited
}

func (a *splitAhead) run() {
	defer close(a.exited)
	a.mu.Lock()
	defer a.mu.Unlock()
	for {
		for !a.done && (a.data == nil || len(a.data) == a.fed) {
			a.cond.Wait()
		}
		if a.done {
			return
		}
		d := a.data
		a.busy = true
		a.mu.Unlock()
		a.sp.Feed(d)
		a.mu.Lock()
		a.busy, a.fed = false, len(d)
		a.cond.Broadcast()
	}
}

// Avail hands the goroutine the body read so far.
func (a *splitAhead) Avail(b []byte) {
	a.mu.Lock()
	a.data = b
	a.cond.Broadcast()
	a.mu.Unlock()
}

// Moving waits until the goroutine has stopped reading the storage, and
// keeps it off the storage until the next Avail.
func (a *splitAhead) Moving() {
	a.mu.Lock()
	a.data = nil
	for a.busy {
		a.cond.Wait()
	}
	a.mu.Unlock()
}

// decode is decodePage for the body just read, using what was split ahead
// (a nil a splits it all now). The result and errors are decodePage's.
func (a *splitAhead) decode(body []byte, entries []json.RawMessage) (*rawPage, error) {
	if a == nil {
		return decodePage(body, entries)
	}
	page := &rawPage{Page: jsonsplit.Page{Entries: entries[:0]}, body: body}
	if err := a.sp.Finish(body, &page.Page); err != nil {
		return nil, &bodyError{err: fmt.Errorf("%w: %w", ErrMalformedResponse, err), retryable: true}
	}
	return page, nil
}
