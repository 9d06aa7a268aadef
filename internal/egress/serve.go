package egress

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// AdminHandler serves /healthz ("ok", or 503 "draining" during shutdown)
// and /metrics (Prometheus text format).
func (g *Gateway) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		select {
		case <-g.draining:
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "draining\n")
			return
		default:
		}
		if err := g.audit.Err(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "audit log unavailable\n")
			return
		}
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		g.metrics.WriteTo(w)
	})
	return mux
}

// Metrics returns the gateway's counters.
func (g *Gateway) Metrics() *Metrics { return g.metrics }

// Serve runs the gateway on ln (over TLS when the config names a
// certificate) and the admin endpoints on admin (when not nil) until ctx
// is done. It then stops accepting connections and waits for in-flight
// requests — streams included — to finish, for at most
// limits.shutdown_timeout, after which it cuts what remains. Requests
// are not cancelled by ctx: a stream in flight drains to its end.
func (g *Gateway) Serve(ctx context.Context, ln, admin net.Listener) error {
	srv := &http.Server{
		Handler:           g,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return context.Background() },
	}
	errc := make(chan error, 2)
	go func() {
		var err error
		if g.cfg.TLS.Cert != "" {
			err = srv.ServeTLS(ln, g.cfg.TLS.Cert, g.cfg.TLS.Key)
		} else {
			err = srv.Serve(ln)
		}
		errc <- err
	}()
	var asrv *http.Server
	if admin != nil {
		asrv = &http.Server{Handler: g.AdminHandler(), ReadHeaderTimeout: 10 * time.Second}
		go func() { errc <- asrv.Serve(admin) }()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		// a listener failed: shut the rest down
	}
	close(g.draining)
	sctx, cancel := context.WithTimeout(context.Background(), time.Duration(g.cfg.Limits.ShutdownTimeout))
	defer cancel()
	serr := srv.Shutdown(sctx)
	if errors.Is(serr, context.DeadlineExceeded) {
		srv.Close()
		serr = fmt.Errorf("egress: shutdown: streams still open after %s were cut", time.Duration(g.cfg.Limits.ShutdownTimeout))
	}
	if asrv != nil {
		asrv.Close()
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("egress: serve: %w", err)
	}
	return serr
}
