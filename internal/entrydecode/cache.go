package entrydecode

import "encoding/binary"

// stringCache holds recent strings, so that values that recur from entry to
// entry (types, actions, IDs, user agents, places) are allocated once, not
// once per entry: a slot per hash of a string's length and ends, the newest
// string in each. Keep one per goroutine.
type stringCache [256]string

// get returns b as a string, from the cache if it is there.
func (c *stringCache) get(b []byte) string {
	const maxLen = 256 // long enough for user agents and IPv6 addresses
	if c == nil || len(b) < 2 || len(b) > maxLen {
		return string(b)
	}
	var head, tail uint64
	if len(b) >= 8 {
		head = binary.LittleEndian.Uint64(b)
		tail = binary.LittleEndian.Uint64(b[len(b)-8:])
	} else {
		for i, c := range b {
			head |= uint64(c) << (8 * i)
		}
	}
	h := (head ^ uint64(len(b))) * 0x9e3779b97f4a7c15
	h = (h ^ tail ^ h>>29) * 0xbf58476d1ce4e5b9
	slot := &c[h>>56]
	if *slot == string(b) {
		return *slot
	}
	*slot = string(b)
	return *slot
}
