package auditlogs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/slackaudit/auditlogs/gen"
	"github.com/slackaudit/auditlogs/internal/entrydecode"
	"github.com/slackaudit/auditlogs/internal/genclient"
	"github.com/slackaudit/auditlogs/internal/jsonsplit"
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

// fetch gets one raw page, reading it into store's storage (nil: new
// storage), and listing its entries in entries' storage.
func (c *Client) fetch(ctx context.Context, p LogsParams, store *pagestore.Store, entries []json.RawMessage) (*rawPage, error) {
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
	_, err = c.do(ctx, "get logs", req, store, func(b []byte) error {
		var err error
		page, err = decodePage(b, entries)
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

// decodeEntries decodes raws into dst (of the same length), on the
// caller's goroutine: at Slack's pace a page takes about a second to arrive
// and tens of milliseconds to decode, so more cores would save nothing
// (bench/README.md, "What each piece saves").
func decodeEntries(dst []Entry, raws []json.RawMessage) {
	fast := entrydecode.New()
	for i, raw := range raws {
		_ = dst[i].decodeWith(raw, fast) // a split page holds only valid JSON: decode cannot fail
	}
}

// Logs returns one page of events, newest first. To page on, call it again
// with the same params and Cursor set to the page's NextCursor; Pages and
// AllLogs do that for you.
func (c *Client) Logs(ctx context.Context, p LogsParams) (*Page, error) {
	rp, err := c.fetch(ctx, p, nil, nil)
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
// Entries are decoded one at a time as they are yielded, so memory holds
// one page's bytes, not its decoded form.
func (c *Client) AllLogs(ctx context.Context, p LogsParams) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		// Each entry copies its bytes: nothing refers to the store once
		// yieldEntries returns, and the next page reuses it.
		store := &pagestore.Store{}
		defer store.Release()
		fast := entrydecode.New()
		for rp, err := range c.rawPages(ctx, p, store) {
			if err != nil {
				yield(Entry{}, err)
				return
			}
			if !yieldEntries(rp.Entries, yield, fast) {
				return
			}
		}
	}
}

// yieldEntries decodes raws one at a time and yields them in order,
// reporting whether the loop wants more. Each entry gets its own copy of
// its bytes, since the page's storage is reused for the next page.
func yieldEntries(raws []json.RawMessage, yield func(Entry, error) bool, fast *entrydecode.Decoder) bool {
	var e Entry // one for all: decodeWith sets every field, and yield gets a copy
	for _, raw := range raws {
		_ = e.decodeWith(bytes.Clone(raw), fast) // a split page holds only valid JSON: decode cannot fail
		if !yield(e, nil) {
			return false
		}
	}
	return true
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
		for {
			// The list still points into the last page's storage, which
			// the store may free: forget it all.
			clear(entries[:cap(entries)])
			rp, err := c.fetch(ctx, p, store, entries)
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
