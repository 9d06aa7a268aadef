package egress

import (
	"net/http/httputil"
	"sync"

	"github.com/pavesec/pave/internal/egress/inspect"
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

// maxPooledScan is the largest joined text whose buffer is kept for the
// next request; larger ones are left to the collector.
const maxPooledScan = 1 << 20

// scan runs the gateway's detectors over parts with a pooled buffer for
// their joined text. The buffer goes back to the pool only when the scan
// is over, so a scan still running after its request timed out keeps it.
func (g *Gateway) scan(parts []*inspect.Part) []inspect.PartHit {
	var buf []byte
	if v, ok := g.scanBufs.Get().(*[]byte); ok {
		buf = *v
	}
	hits, buf := inspect.ScanBuffer(buf, parts, g.detectors)
	if cap(buf) > 0 && cap(buf) <= maxPooledScan {
		g.scanBufs.Put(&buf)
	}
	return hits
}
