package discover

import (
	"io"
	"net/http"
)

// CountingWriter is an http.ResponseWriter that remembers the status it
// sent and counts the body bytes written, for the record of a request
// the proxy (or an Interceptor) serves.
type CountingWriter struct {
	http.ResponseWriter
	// Status is the first status written: the code given to WriteHeader,
	// or 200 once the body is written without one; 0 before either.
	Status int
	// N counts the body bytes written.
	N int64
}

// WriteHeader records the first code and passes it on.
func (c *CountingWriter) WriteHeader(code int) {
	if c.Status == 0 {
		c.Status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

// Write counts b's bytes written, the status being 200 if none was set.
func (c *CountingWriter) Write(b []byte) (int, error) {
	if c.Status == 0 {
		c.Status = http.StatusOK
	}
	n, err := c.ResponseWriter.Write(b)
	c.N += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (c *CountingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// Flush keeps streamed responses (server-sent events) unbuffered.
func (c *CountingWriter) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// CountingBody is a request body that counts the bytes read from it.
type CountingBody struct {
	io.ReadCloser
	// N counts the bytes read; a caller that has already consumed part
	// of the body may start it at that part's length.
	N int64
}

// Read reads from the body and counts what it read.
func (c *CountingBody) Read(b []byte) (int, error) {
	n, err := c.ReadCloser.Read(b)
	c.N += int64(n)
	return n, err
}
