// Package discover finds "shadow AI": a forward proxy (HTTP CONNECT and
// absolute-URI HTTP) that, without decrypting, records which clients talk to
// known AI vendor endpoints. It reads the server name from the TLS
// ClientHello at the start of each tunnel, matches it and the CONNECT host
// against a catalogue of vendor endpoints, attributes the client to a Docker
// container or a local process, and writes one hash-chained audit entry per
// AI connection. Other traffic is tunnelled and only counted.
package discover
