package artifact

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// defaultDockerHost is the Engine API address when neither
// Options.DockerHost nor $DOCKER_HOST is set.
const defaultDockerHost = "unix:///var/run/docker.sock"

// dockerClient speaks the Docker Engine API over plain net/http.
type dockerClient struct {
	host string // as configured, for messages
	base string // URL prefix
	hc   *http.Client
}

func newDockerClient(host string) (*dockerClient, error) {
	if host == "" {
		host = os.Getenv("DOCKER_HOST")
	}
	if host == "" {
		host = defaultDockerHost
	}
	u, err := url.Parse(host)
	if err != nil {
		return nil, fmt.Errorf("docker host %q: %w", host, err)
	}
	tr := &http.Transport{DisableCompression: true}
	c := &dockerClient{host: host, hc: &http.Client{Transport: tr}}
	switch u.Scheme {
	case "unix":
		sock := u.Path
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}
		c.base = "http://docker"
	case "tcp", "http":
		c.base = "http://" + u.Host
	case "https":
		c.base = "https://" + u.Host
	default:
		return nil, fmt.Errorf("docker host %q: unsupported scheme %q (unix, tcp, http, https)", host, u.Scheme)
	}
	return c, nil
}

// imagePath escapes an image name for a URL path, keeping its slashes
// (the Engine routes /images/{name:.*}/json).
func imagePath(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

func (c *dockerClient) get(ctx context.Context, p string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+p, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("cannot reach the Docker engine at %s (is it running? set DOCKER_HOST or --docker-host): %w", c.host, err)
	}
	return resp, nil
}

// apiError turns a non-200 answer into an error; the Engine sends
// {"message": "..."}.
func apiError(resp *http.Response, name string) error {
	var body struct{ Message string }
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = json.Unmarshal(b, &body)
	msg := body.Message
	if msg == "" {
		msg = strings.TrimSpace(string(b))
	}
	switch resp.StatusCode {
	case http.StatusNotFound:
		return fmt.Errorf("image %s is not in the Docker engine (pull it first, or use registry:%s): %w", name, name, ErrNotFound)
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Errorf("Docker engine refused access to %s: %s: %w", name, msg, ErrRefused)
	}
	return fmt.Errorf("Docker engine: %s: %s", resp.Status, msg)
}

// imageInspect is the part of GET /images/{name}/json pave uses.
type imageInspect struct {
	ID          string `json:"Id"`
	RepoTags    []string
	RepoDigests []string
	Size        int64
}

// openDaemon exports the image from the Docker engine into a temporary
// docker-archive (under its own directory in Options.TempDir, removed by
// Close) and opens that.
func openDaemon(ctx context.Context, name string, opts Options) (*imageSource, error) {
	c, err := newDockerClient(opts.DockerHost)
	if err != nil {
		return nil, err
	}
	resp, err := c.get(ctx, "/images/"+imagePath(name)+"/json")
	if err != nil {
		return nil, fmt.Errorf("docker: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		err := apiError(resp, name)
		resp.Body.Close()
		return nil, fmt.Errorf("docker: %w", err)
	}
	var info imageInspect
	b, err := readAllLimit(resp.Body, opts.Limits.MaxMetadataBytes, "image inspect")
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("docker: %w", err)
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, fmt.Errorf("docker: image inspect: %w", err)
	}

	dir, err := os.MkdirTemp(opts.TempDir, "pave-docker-*")
	if err != nil {
		return nil, fmt.Errorf("docker: %w", err)
	}
	cleanup := func() error { return os.RemoveAll(dir) }
	file := filepath.Join(dir, "image.tar")
	if err := c.export(ctx, exportName(name, info), file, info.Size, opts.Progress); err != nil {
		cleanup()
		return nil, fmt.Errorf("docker: export %s: %w", name, err)
	}
	src, err := openLocal(ctx, DockerArchive, file, "", opts)
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("docker: %w", err)
	}
	src.closers = append([]func() error{cleanup}, src.closers...)
	if len(src.ref.RepoTags) == 0 {
		src.ref.RepoTags = info.RepoTags
	}
	return src, nil
}

// exportName is what to ask /images/{name}/get for: a name without tag
// would export every tag of the repository, so it gets ":latest"; an ID
// or digest reference is used as is.
func exportName(name string, info imageInspect) string {
	if strings.Contains(name, "@") || strings.HasPrefix(info.ID, name) || strings.HasPrefix(info.ID, "sha256:"+name) {
		return name
	}
	if last := name[strings.LastIndex(name, "/")+1:]; !strings.Contains(last, ":") {
		return name + ":latest"
	}
	return name
}

// export streams GET /images/{name}/get into file.
func (c *dockerClient) export(ctx context.Context, name, file string, total int64, progress func(ProgressEvent)) error {
	resp, err := c.get(ctx, "/images/"+imagePath(name)+"/get")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return apiError(resp, name)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	w := io.Writer(f)
	if progress != nil {
		w = &progressWriter{w: f, ev: ProgressEvent{Step: "spool", Name: name, Total: total}, fn: progress}
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		f.Close()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if progress != nil {
		st, _ := os.Stat(file)
		if st != nil {
			progress(ProgressEvent{Step: "spool", Name: name, Done: st.Size(), Total: st.Size()})
		}
	}
	return nil
}

// progressWriter reports every 4 MiB written.
type progressWriter struct {
	w    io.Writer
	ev   ProgressEvent
	last int64
	fn   func(ProgressEvent)
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.ev.Done += int64(n)
	if p.ev.Done-p.last >= 4<<20 {
		p.last = p.ev.Done
		p.fn(p.ev)
	}
	return n, err
}
