package collect

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/slackaudit/auditlogs"
)

// hashLen is the size of an id's hash in a checkpoint: 56 bits. See the
// package documentation for the odds of a collision.
const hashLen = 7

// idHash returns the hash that stands for an entry in de-duplication: the
// first 56 bits of the SHA-256 of the raw JSON bytes of its id, exactly as
// sent (so ids that differ only in invalid UTF-8 differ here too), or of
// the whole entry if it has no id.
func idHash(e *auditlogs.Entry) uint64 {
	var sum [sha256.Size]byte
	if raw, ok := e.Lookup("id"); ok {
		sum = sha256.Sum256(raw)
	} else {
		sum = sha256.Sum256(append([]byte{0}, e.Raw()...))
	}
	return binary.BigEndian.Uint64(sum[:8]) >> 8
}

// idSet is a set of id hashes: a map to look them up and, in the order they
// were added, the packed bytes a checkpoint stores (hashLen bytes each), so
// that saving it costs a copy, not a walk of the map.
type idSet struct {
	m      map[uint64]struct{}
	packed []byte
}

func (s *idSet) has(h uint64) bool {
	_, ok := s.m[h]
	return ok
}

// add adds h, unless it is there already.
func (s *idSet) add(h uint64) {
	if s.m == nil {
		s.m = map[uint64]struct{}{}
	}
	if _, ok := s.m[h]; ok {
		return
	}
	s.m[h] = struct{}{}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], h)
	s.packed = append(s.packed, b[8-hashLen:]...)
}

func (s *idSet) len() int { return len(s.m) }

// addAll adds the hashes of o.
func (s *idSet) addAll(o *idSet) {
	var b [8]byte
	for i := 0; i < len(o.packed); i += hashLen {
		copy(b[8-hashLen:], o.packed[i:i+hashLen])
		s.add(binary.BigEndian.Uint64(b[:]))
	}
}

func (s *idSet) reset() { s.m, s.packed = nil, nil }

// bytes returns the packed hashes (nil for an empty set).
func (s *idSet) bytes() []byte {
	if len(s.packed) == 0 {
		return nil
	}
	return s.packed
}

// loadSet rebuilds a set from packed hashes; field names it in the error.
func loadSet(field string, packed []byte) (idSet, error) {
	if len(packed)%hashLen != 0 {
		return idSet{}, fmt.Errorf("%w: %s: %d bytes, not a multiple of %d", ErrInvalidCheckpoint, field, len(packed), hashLen)
	}
	var s idSet
	if len(packed) == 0 {
		return s, nil
	}
	s.m = make(map[uint64]struct{}, len(packed)/hashLen)
	s.packed = make([]byte, 0, len(packed))
	s.addAll(&idSet{packed: packed})
	return s, nil
}
