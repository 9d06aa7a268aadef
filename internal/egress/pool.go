package egress

import (
	"net/http/httputil"
	"sync"
)

// bufferPool lends the reverse proxy its copy buffers, one per reply in
// flight, instead of a fresh 32 KB buffer for each.
type bufferPool struct {
	size int
	p    sync.Pool
}

var _ httputil.BufferPool = (*bufferPool)(nil)

func newBufferPool(size int) *bufferPool { return &bufferPool{size: size} }

func (b *bufferPool) Get() []byte {
	if v, ok := b.p.Get().(*[]byte); ok {
		return *v
	}
	return make([]byte, b.size)
}

func (b *bufferPool) Put(buf []byte) {
	if cap(buf) != b.size {
		return
	}
	buf = buf[:b.size]
	b.p.Put(&buf)
}
