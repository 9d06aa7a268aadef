package extract

import "bytes"

func newBytesReader(b []byte) ReaderAt { return bytes.NewReader(b) }
