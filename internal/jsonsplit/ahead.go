package jsonsplit

import (
	"runtime"
	"sync"

	"github.com/slackaudit/auditlogs/internal/knobs"
)

// Ahead splits a /logs body into its entries on a goroutine of
// its own while the body is still being inflated: with two cores, the
// split (about a third of what RawPages spends on a gzip page) then costs
// almost no time, since inflating is slower than splitting. Nothing is
// yielded early: the page is checked in full (jsonsplit.Splitter.Finish)
// once the whole body has arrived (Finish), so a body cut short can be
// retried as if nothing had been split. The goroutine lives from begin to end, within one attempt's
// read, and only reads the storage the body is inflated into; it stops
// reading before the store moves or frees it (pagestore.Watcher).
//
// A nil *Ahead does nothing: Begin returns nil, and its caller splits the
// body once read, with SplitPage. An Ahead serves one read at a time.
type Ahead struct {
	mu   sync.Mutex
	cond sync.Cond
	data []byte // the body so far, as last read; nil while the storage moves
	fed  int    // the length of the data last fed to the splitter
	busy bool   // the goroutine is reading data
	done bool   // the read is over: the goroutine stops
	// exited is closed when the goroutine has stopped.
	exited chan struct{}
	sp     Splitter
}

// NewAhead returns an Ahead, or nil with a single core, where splitting
// ahead would gain nothing.
func NewAhead() *Ahead {
	if runtime.GOMAXPROCS(0) < 2 || !knobs.SplitAhead {
		return nil
	}
	a := &Ahead{}
	a.cond.L = &a.mu
	return a
}

// Reset forgets the last attempt's body: it starts every attempt's read.
func (a *Ahead) Reset() {
	if a != nil {
		a.sp.Reset()
	}
}

// Begin starts the goroutine. The body's reader must then call Avail
// after each read and Moving before its storage moves or is freed, as
// pagestore.Watcher says.
func (a *Ahead) Begin() {
	if a == nil {
		return
	}
	a.data, a.fed, a.busy, a.done = nil, 0, false, false
	a.exited = make(chan struct{})
	go a.run()
}

// End stops the goroutine, once the read is over (whether it succeeded or
// not), and waits for it.
func (a *Ahead) End() {
	if a == nil {
		return
	}
	a.mu.Lock()
	a.done, a.data = true, nil
	a.cond.Broadcast()
	a.mu.Unlock()
	<-a.exited
}

func (a *Ahead) run() {
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
func (a *Ahead) Avail(b []byte) {
	a.mu.Lock()
	a.data = b
	a.cond.Broadcast()
	a.mu.Unlock()
}

// Moving waits until the goroutine has stopped reading the storage, and
// keeps it off the storage until the next Avail.
func (a *Ahead) Moving() {
	a.mu.Lock()
	a.data = nil
	for a.busy {
		a.cond.Wait()
	}
	a.mu.Unlock()
}

// Finish checks the whole body, as SplitPage does, and fills page from it,
// using what was split ahead.
func (a *Ahead) Finish(body []byte, page *Page) error { return a.sp.Finish(body, page) }
