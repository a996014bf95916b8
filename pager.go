package auditlogs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"sync"
	"time"

	"github.com/slackaudit/auditlogs/gen"
	"github.com/slackaudit/auditlogs/internal/entrydecode"
	"github.com/slackaudit/auditlogs/internal/genclient"
	"github.com/slackaudit/auditlogs/internal/jsonsplit"
	"github.com/slackaudit/auditlogs/internal/knobs"
	"github.com/slackaudit/auditlogs/internal/pagestore"
)

// LogsParams filters GET /logs. All filters combine with AND. A zero field
// is not sent.
type LogsParams struct {
	// Oldest and Latest bound the events' time, both inclusive. Zero means
	// unset. They are sent as Unix seconds.
	Oldest, Latest time.Time
	// Limit is the page size to aim for, 1 to 9999; Slack may send fewer.
	// Zero means MaxLimit, so that a pull spends as few rate-limited calls
	// as possible.
	Limit int
	// Action is an action name, such as "user_login".
	Action string
	// Actor is the user ID of whoever performed the action.
	Actor string
	// Entity is the ID of the object acted on.
	Entity string
	// ExcludeActions lists action names, such as "user_login", whose
	// events are dropped on the client's side (Slack has no such filter):
	// Logs, Pages, AllLogs and RawPages all leave them out of the entries
	// they return, and a Page or RawPage counts them in Excluded. Page.Raw
	// still returns the body as sent. They still cost their share of the
	// page: to save calls, use Action. An empty name is an error.
	ExcludeActions []string
	// Cursor resumes paging where a previous page's NextCursor left off. The
	// other fields must be the same as for that page: Slack's cursor does not
	// remember them.
	Cursor string
}

// MaxLimit is the largest page size Slack accepts.
const MaxLimit = 9999

// MaxCursorLen bounds a cursor, in bytes: a page whose next_cursor is longer
// fails with ErrCursorTooLong (Slack's are under a hundred bytes), and
// LogsParams.Cursor may not be longer.
const MaxCursorLen = 64 << 10

// MaxEmptyPages is how many empty pages in a row, each with a new cursor,
// Pages, AllLogs and RawPages follow before they stop with
// ErrTooManyEmptyPages: a server that answers so never ends. Pages whose
// entries ExcludeActions dropped are not empty.
const MaxEmptyPages = 100

func (p LogsParams) validate() error {
	if err := p.validateExcluded(); err != nil {
		return err
	}
	switch {
	case len(p.Cursor) > MaxCursorLen:
		return fmt.Errorf("%w: cursor of %d bytes, over %d", ErrInvalidParams, len(p.Cursor), MaxCursorLen)
	case p.Limit < 0 || p.Limit > MaxLimit:
		return fmt.Errorf("%w: limit %d is outside 1..%d", ErrInvalidParams, p.Limit, MaxLimit)
	case !p.Oldest.IsZero() && p.Oldest.Unix() < 0:
		return fmt.Errorf("%w: oldest %s is before 1970", ErrInvalidParams, p.Oldest.UTC().Format(time.RFC3339))
	case !p.Latest.IsZero() && p.Latest.Unix() < 0:
		return fmt.Errorf("%w: latest %s is before 1970", ErrInvalidParams, p.Latest.UTC().Format(time.RFC3339))
	case !p.Oldest.IsZero() && !p.Latest.IsZero() && p.Oldest.Unix() > p.Latest.Unix():
		return fmt.Errorf("%w: oldest %s is after latest %s", ErrInvalidParams,
			p.Oldest.UTC().Format(time.RFC3339), p.Latest.UTC().Format(time.RFC3339))
	}
	return nil
}

// query turns p into the generated client's parameters, leaving zero fields
// unset so that they are not sent.
func (p LogsParams) query() *gen.GetLogsParams {
	q := &gen.GetLogsParams{}
	if !p.Oldest.IsZero() {
		v := p.Oldest.Unix()
		q.Oldest = &v
	}
	if !p.Latest.IsZero() {
		v := p.Latest.Unix()
		q.Latest = &v
	}
	limit := int32(MaxLimit)
	if p.Limit != 0 {
		limit = int32(p.Limit)
	}
	q.Limit = &limit
	for _, f := range []struct {
		dst **string
		v   string
	}{{&q.Action, p.Action}, {&q.Actor, p.Actor}, {&q.Entity, p.Entity}, {&q.Cursor, p.Cursor}} {
		if f.v != "" {
			v := f.v
			*f.dst = &v
		}
	}
	return q
}

// Page is one page of GET /logs.
type Page struct {
	// Entries are the page's events, newest first.
	Entries []Entry
	// NextCursor resumes paging after this page; empty on the last page.
	// Save it with the filters to resume later (see LogsParams.Cursor).
	NextCursor string
	// Warning is Slack's "warning" field, if it sent one.
	Warning string
	// Excluded counts the page's events left out by
	// LogsParams.ExcludeActions.
	Excluded int

	raw []byte
}

// Raw returns the page's body exactly as the server sent it. The caller
// must not modify it.
func (p *Page) Raw() json.RawMessage { return p.raw }

// rawPage is a page whose entries are split out of the body but not decoded:
// each entry's bytes are sub-slices of body.
type rawPage struct {
	jsonsplit.Page
	excluded int // entries dropped by LogsParams.ExcludeActions
	body     []byte
}

// decodePage checks that a /logs body is a page and splits out its entries
// (still raw, sub-slices of body) and cursor, in one pass (see
// jsonsplit.SplitPage), then checks it with checkPage.
func decodePage(body []byte, entries []json.RawMessage) (*rawPage, error) {
	page := &rawPage{Page: jsonsplit.Page{Entries: entries[:0]}, body: body}
	if err := jsonsplit.SplitPage(body, &page.Page); err != nil {
		return nil, &bodyError{err: fmt.Errorf("%w: %w", ErrMalformedResponse, err), retryable: true}
	}
	return page, checkPage(&page.Page)
}

// errNotOK marks a 2xx body that says "ok": false with an error code: the
// response handler turns it into an *APIError with that code.
var errNotOK = errors.New("auditlogs: the body says ok false")

// checkPage decides whether a 2xx body, valid JSON, is a /logs page. A body
// that says "ok": false with an "error" code is Slack's error, whatever else
// it holds: errNotOK, not retried (the response handler makes it an
// *APIError). Otherwise a page is an object with an "entries" array (our
// spec requires it); anything else ({}, an array, a string, entries of
// another type) is ErrMalformedResponse, retried like a body cut short.
// Members of an unexpected type other than these are ignored, and "ok":
// false without a code does not matter: Slack decides success by the HTTP
// status. An element of entries that is not an object is still delivered,
// with its bytes (Entry.Raw): one odd event must not stop a whole pull, and
// the caller decides (auditlogs drift names it). A
// next_cursor over MaxCursorLen is ErrCursorTooLong, not retried.
func checkPage(p *jsonsplit.Page) error {
	if p.NotOK && p.Error != "" {
		return &bodyError{err: errNotOK}
	}
	if !p.HasEntries {
		return &bodyError{err: fmt.Errorf("%w: not a /logs page: no \"entries\" array", ErrMalformedResponse), retryable: true}
	}
	if len(p.NextCursor) > MaxCursorLen {
		return &bodyError{err: fmt.Errorf("%w: %d bytes, over %d", ErrCursorTooLong, len(p.NextCursor), MaxCursorLen)}
	}
	return nil
}

// decodeAhead is decodePage for the body just read, using what ahead split
// while it was read (a nil ahead splits it all now). The result and errors
// are decodePage's.
func decodeAhead(ahead *jsonsplit.Ahead, body []byte, entries []json.RawMessage) (*rawPage, error) {
	if ahead == nil {
		return decodePage(body, entries)
	}
	page := &rawPage{Page: jsonsplit.Page{Entries: entries[:0]}, body: body}
	if err := ahead.Finish(body, &page.Page); err != nil {
		return nil, &bodyError{err: fmt.Errorf("%w: %w", ErrMalformedResponse, err), retryable: true}
	}
	return page, checkPage(&page.Page)
}

// fetch gets one raw page, reading it into store's storage (nil: new
// storage), and listing its entries in entries' storage. With ahead, a gzip
// body is split while it is inflated.
func (c *Client) fetch(ctx context.Context, p LogsParams, store *pagestore.Store, ahead *jsonsplit.Ahead, entries []json.RawMessage) (*rawPage, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	if c.token.value == "" {
		return nil, ErrNoToken
	}
	req, err := genclient.NewGetLogsRequest(c.baseURL, p.query())
	if err != nil {
		return nil, fmt.Errorf("auditlogs: get logs: %w", err)
	}
	var page *rawPage
	_, err = c.doAhead(ctx, "get logs", req, store, ahead, func(b []byte) error {
		var err error
		page, err = decodeAhead(ahead, b, entries)
		return err
	})
	if err != nil {
		return nil, err
	}
	page.Entries, page.excluded = dropExcluded(page.Entries, p.ExcludeActions)
	return page, nil
}

func (rp *rawPage) decode() *Page {
	p := &Page{Entries: make([]Entry, len(rp.Entries)), NextCursor: rp.NextCursor, Warning: rp.Warning, Excluded: rp.excluded, raw: rp.body}
	decodeEntries(p.Entries, rp.Entries)
	return p
}

// decodeEntries decodes raws into dst (of the same length), spreading the
// work over the available cores in one run of entries each: decoding is
// most of the cost of a page.
func decodeEntries(dst []Entry, raws []json.RawMessage) {
	decodeRun := func(lo, hi int) {
		fast := entrydecode.New()
		for i := lo; i < hi; i++ {
			_ = dst[i].decodeWith(raws[i], fast) // a split page holds only valid JSON: decode cannot fail
		}
	}
	workers := min(runtime.GOMAXPROCS(0), knobs.DecodeWorkers, (len(raws)+minEntriesPerWorker-1)/minEntriesPerWorker)
	if workers <= 1 {
		decodeRun(0, len(raws))
		return
	}
	var wg sync.WaitGroup
	per := (len(raws) + workers - 1) / workers
	for w := 1; w < workers; w++ {
		wg.Go(func() { decodeRun(min(w*per, len(raws)), min((w+1)*per, len(raws))) })
	}
	decodeRun(0, per)
	wg.Wait()
}

// Pages and Logs spread the decoding of a page over up to maxDecodeWorkers
// goroutines, each taking at least minEntriesPerWorker entries. AllLogs's
// workers decode batches of decodeBatch entries, a few ahead of the loop, so
// memory holds a few batches' typed entries, not a page's.
const (
	maxDecodeWorkers    = 4
	minEntriesPerWorker = 64
	decodeBatch         = 64
)

// Logs returns one page of events, newest first. To page on, call it again
// with the same params and Cursor set to the page's NextCursor; Pages and
// AllLogs do that for you.
func (c *Client) Logs(ctx context.Context, p LogsParams) (*Page, error) {
	rp, err := c.fetch(ctx, p, nil, jsonsplit.NewAhead(), nil)
	if err != nil {
		return nil, err
	}
	return rp.decode(), nil
}

// Pages returns an iterator over the pages of events matching p, newest
// first, starting at p.Cursor. It re-sends every filter with each cursor and
// stops after the last page. On an error it yields it once, with a nil page,
// and stops. A server that would make paging run forever gets an error: a
// repeated cursor ErrRepeatedCursor, MaxEmptyPages empty pages in a row
// ErrTooManyEmptyPages, a cursor over MaxCursorLen ErrCursorTooLong. Memory
// stays bounded: a page at a time, and 16 bytes per cursor seen.
//
// To checkpoint, save each page's NextCursor after handling the page; to
// resume, call Pages again with the same filters and Cursor set to it.
func (c *Client) Pages(ctx context.Context, p LogsParams) iter.Seq2[*Page, error] {
	return func(yield func(*Page, error) bool) {
		for rp, err := range c.rawPages(ctx, p, nil) {
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(rp.decode(), nil) {
				return
			}
		}
	}
}

// AllLogs returns an iterator over every event matching p, across all pages,
// newest first:
//
//	for e, err := range c.AllLogs(ctx, p) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(e.Action)
//	}
//
// On an error it yields it once, with a zero Entry, and stops. Breaking out
// of the loop stops paging at once: no request or goroutine is left behind.
// Entries are decoded in small batches as they are yielded, on all cores,
// so memory holds one page's bytes, not its decoded form. Pages of 1 MiB or
// more are read into memory mapped outside the Go heap (Linux, macOS and
// the BSDs): they count in the process's RSS, but not in heap profiles or
// toward GOMEMLIMIT.
func (c *Client) AllLogs(ctx context.Context, p LogsParams) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		// Each batch copies its entries' bytes: nothing refers to the
		// store once yieldEntries returns, and it can live off the heap.
		store := &pagestore.Store{OffHeap: knobs.OffHeap}
		defer store.Release()
		pool := newBatchPool()
		for rp, err := range c.rawPages(ctx, p, store) {
			if err != nil {
				yield(Entry{}, err)
				return
			}
			if !yieldEntries(rp.Entries, yield, pool) {
				return
			}
		}
	}
}

// yieldEntries decodes raws and yields them in order, reporting whether the
// loop wants more. Worker goroutines decode batches ahead of the loop, on all
// cores; each batch gets its own copy of its entries' bytes, since the page's
// storage is reused for the next page. Every worker has stopped when it
// returns, whether the loop ran to the end or broke out.
func yieldEntries(raws []json.RawMessage, yield func(Entry, error) bool, pool *batchPool) bool {
	batches := (len(raws) + decodeBatch - 1) / decodeBatch
	decodeBatchAt := func(k int, fast *entrydecode.Decoder) []Entry {
		part := raws[k*decodeBatch : min((k+1)*decodeBatch, len(raws))]
		batch := pool.get(len(part))
		for i, raw := range part {
			_ = batch[i].decodeWith(bytes.Clone(raw), fast) // a split page holds only valid JSON: decode cannot fail
		}
		return batch
	}
	yieldBatch := func(batch []Entry) bool {
		for _, e := range batch {
			if !yield(e, nil) {
				return false
			}
		}
		pool.put(batch)
		return true
	}
	workers := min(runtime.GOMAXPROCS(0), knobs.DecodeWorkers, batches)
	if workers <= 1 {
		fast := entrydecode.New()
		for k := range batches {
			if !yieldBatch(decodeBatchAt(k, fast)) {
				return false
			}
		}
		return true
	}
	// Worker w decodes batches w, w+workers, ... and hands each over on its
	// own channel, unbuffered so that memory holds few batches; the loop
	// reads the channels in turn.
	done := make(chan struct{})
	outs := make([]chan []Entry, workers)
	var wg sync.WaitGroup
	for w := range outs {
		outs[w] = make(chan []Entry)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fast := entrydecode.New()
			for k := w; k < batches; k += workers {
				select {
				case outs[w] <- decodeBatchAt(k, fast):
				case <-done:
					return
				}
			}
		}()
	}
	defer wg.Wait()
	defer close(done)
	for k := range batches {
		if !yieldBatch(<-outs[k%workers]) {
			return false
		}
	}
	return true
}

// batchPool recycles the slices that decoded batches travel in, so that a
// pull allocates a page's worth of them once, not once per page. The
// entries were copied out when yielded; a recycled batch is cleared so that
// it keeps nothing alive.
type batchPool struct{ free chan []Entry }

func newBatchPool() *batchPool { return &batchPool{free: make(chan []Entry, 2*maxDecodeWorkers+2)} }

func (p *batchPool) get(n int) []Entry {
	select {
	case b := <-p.free:
		if cap(b) >= n {
			return b[:n]
		}
	default:
	}
	return make([]Entry, n, decodeBatch)
}

func (p *batchPool) put(b []Entry) {
	clear(b)
	select {
	case p.free <- b:
	default:
	}
}

// RawPage is a page of GET /logs whose entries are not decoded: for
// forwarding them as sent, at the speed of the network.
type RawPage struct {
	// Entries are the page's events, newest first, each exactly as the
	// server sent it. They share storage with the page: see RawPages.
	Entries []json.RawMessage
	// NextCursor resumes paging after this page; empty on the last page.
	NextCursor string
	// Warning is Slack's "warning" field, if it sent one.
	Warning string
	// Excluded counts the page's events left out by
	// LogsParams.ExcludeActions: RawPages filters them too.
	Excluded int
}

// RawPages is Pages without the decoding: it yields each page's entries as
// the server sent them. To save memory, the storage of a page is reused for
// the next one: the entries' bytes are valid only until the loop goes on to
// the next page, like bufio.Scanner's. Copy what must outlive that.
func (c *Client) RawPages(ctx context.Context, p LogsParams) iter.Seq2[*RawPage, error] {
	return func(yield func(*RawPage, error) bool) {
		// The entries yielded point into the store, and the caller may keep
		// the last page's: the store stays on the heap.
		for rp, err := range c.rawPages(ctx, p, &pagestore.Store{}) {
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(&RawPage{Entries: rp.Entries, NextCursor: rp.NextCursor, Warning: rp.Warning, Excluded: rp.excluded}, nil) {
				return
			}
		}
	}
}

// rawPages pages through /logs, yielding raw pages. With a store, each page
// is read into the store's storage, and its entries are listed in the list
// of the page before: only for callers that are done with a page when they
// ask for the next.
func (c *Client) rawPages(ctx context.Context, p LogsParams, store *pagestore.Store) iter.Seq2[*rawPage, error] {
	return func(yield func(*rawPage, error) bool) {
		seen := map[[16]byte]bool{} // of a cursor's SHA-256: a few bytes each, however long the cursors
		if p.Cursor != "" {
			seen[cursorKey(p.Cursor)] = true
		}
		empty := 0 // empty pages in a row
		var entries []json.RawMessage
		ahead := jsonsplit.NewAhead()
		for {
			// The list still points into the last page's storage, which
			// the store may free: forget it all.
			clear(entries[:cap(entries)])
			rp, err := c.fetch(ctx, p, store, ahead, entries)
			if err != nil {
				yield(nil, err)
				return
			}
			if store != nil {
				entries = rp.Entries
			}
			if !yield(rp, nil) {
				return
			}
			if rp.NextCursor == "" {
				return
			}
			key := cursorKey(rp.NextCursor)
			if seen[key] {
				yield(nil, ErrRepeatedCursor)
				return
			}
			empty++
			if len(rp.Entries)+rp.excluded > 0 {
				empty = 0
			}
			if empty >= MaxEmptyPages {
				yield(nil, fmt.Errorf("%w: %d", ErrTooManyEmptyPages, empty))
				return
			}
			seen[key] = true
			p.Cursor = rp.NextCursor
		}
	}
}

// cursorKey is what rawPages remembers of a cursor it has seen.
func cursorKey(cursor string) [16]byte {
	sum := sha256.Sum256([]byte(cursor))
	return [16]byte(sum[:16])
}
