package container

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pavesec/pave/internal/sensor/event"
)

// Kubernetes labels the kubelet (dockershim, cri-dockerd) puts on containers.
const (
	labelPodName      = "io.kubernetes.pod.name"
	labelPodNamespace = "io.kubernetes.pod.namespace"
)

// maxResponse bounds one Engine API answer (an inspect is a few KB).
const maxResponse = 4 << 20

// ErrNotFound says the runtime does not know the container.
var ErrNotFound = errors.New("container: not found")

// dockerClient talks to the Docker Engine API over its unix socket.
type dockerClient struct {
	http *http.Client // no client timeout: the event stream stays open
}

func newDockerClient(socket string) *dockerClient {
	dialer := &net.Dialer{Timeout: 2 * time.Second}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, "unix", socket)
		},
		MaxIdleConns:          4,
		IdleConnTimeout:       30 * time.Second,
		ResponseHeaderTimeout: 5 * time.Second,
	}
	return &dockerClient{http: &http.Client{Transport: tr}}
}

func (d *dockerClient) close() { d.http.CloseIdleConnections() }

// get fetches one bounded JSON answer; 404 is ErrNotFound.
func (d *dockerClient) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker"+path, nil)
	if err != nil {
		return nil, fmt.Errorf("container: docker GET %s: %w", path, err)
	}
	resp, err := d.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("container: docker GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("container: docker GET %s: %w", path, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("container: docker GET %s: %w", path, ErrNotFound)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("container: docker GET %s: %s: %s", path, resp.Status, apiMessage(data))
	case len(data) > maxResponse:
		return nil, fmt.Errorf("container: docker GET %s: answer over %d bytes", path, maxResponse)
	}
	return data, nil
}

// apiMessage is the "message" of an Engine API error body, clipped.
func apiMessage(data []byte) string {
	var e struct {
		Message string `json:"message"`
	}
	msg := strings.TrimSpace(string(data))
	if json.Unmarshal(data, &e) == nil && e.Message != "" {
		msg = e.Message
	}
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	return msg
}

// inspect is GET /containers/{id}/json.
func (d *dockerClient) inspect(ctx context.Context, id string) (*event.Container, error) {
	data, err := d.get(ctx, "/containers/"+url.PathEscape(id)+"/json")
	if err != nil {
		return nil, err
	}
	return decodeInspect(data)
}

// imageDigest is the first of GET /images/{id}/json's RepoDigests, as
// sha256:...; empty for an image never pushed or pulled by digest.
func (d *dockerClient) imageDigest(ctx context.Context, imageID string) (string, error) {
	data, err := d.get(ctx, "/images/"+url.PathEscape(imageID)+"/json")
	if err != nil {
		return "", err
	}
	return decodeImageDigest(data)
}

// inspectJSON is the part of a container inspect pave reads.
type inspectJSON struct {
	ID     string `json:"Id"`
	Name   string `json:"Name"`
	Image  string `json:"Image"` // the image id, sha256:...
	Config *struct {
		Image  string            `json:"Image"` // the reference it was started from
		Labels map[string]string `json:"Labels"`
	} `json:"Config"`
	HostConfig *struct {
		Privileged bool `json:"Privileged"`
	} `json:"HostConfig"`
}

// decodeInspect turns an inspect answer into a Container.
func decodeInspect(data []byte) (*event.Container, error) {
	var in inspectJSON
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, fmt.Errorf("container: decode inspect: %w", err)
	}
	if !isID(in.ID) {
		return nil, fmt.Errorf("container: decode inspect: Id %q is not a container id", clip(in.ID))
	}
	c := &event.Container{
		ID:      in.ID,
		Name:    strings.TrimPrefix(in.Name, "/"),
		Runtime: RuntimeDocker,
		ImageID: in.Image,
	}
	if in.Config != nil {
		c.Image = in.Config.Image
		if len(in.Config.Labels) > 0 {
			c.Labels = in.Config.Labels
		}
	}
	if in.HostConfig != nil {
		c.Privileged = in.HostConfig.Privileged
	}
	c.PodName, c.PodNamespace = c.Labels[labelPodName], c.Labels[labelPodNamespace]
	return c, nil
}

// decodeImageDigest reads RepoDigests ("name@sha256:...") from an image
// inspect and returns the first digest.
func decodeImageDigest(data []byte) (string, error) {
	var in struct {
		ID          string   `json:"Id"`
		RepoDigests []string `json:"RepoDigests"`
	}
	if err := json.Unmarshal(data, &in); err != nil {
		return "", fmt.Errorf("container: decode image: %w", err)
	}
	for _, rd := range in.RepoDigests {
		if _, dg, ok := strings.Cut(rd, "@"); ok && strings.HasPrefix(dg, "sha256:") && len(dg) == len("sha256:")+64 {
			return dg, nil
		}
	}
	return "", nil
}

// dockerEvent is one message of GET /events.
type dockerEvent struct {
	Type   string `json:"Type"`
	Action string `json:"Action"`
	Actor  struct {
		ID         string            `json:"ID"`
		Attributes map[string]string `json:"Attributes"`
	} `json:"Actor"`
	TimeNano int64 `json:"timeNano"`
}

// draft is what a container's create event says about it: enough to
// enrich when the container is gone before an inspect could run. The
// attributes are its labels plus "name" and "image" (a label of the same
// name is shadowed by the engine).
func (e *dockerEvent) draft() *event.Container {
	c := &event.Container{ID: e.Actor.ID, Runtime: RuntimeDocker}
	for k, v := range e.Actor.Attributes {
		switch k {
		case "name":
			c.Name = v
		case "image":
			c.Image = v
		default:
			if c.Labels == nil {
				c.Labels = map[string]string{}
			}
			c.Labels[k] = v
		}
	}
	c.PodName, c.PodNamespace = c.Labels[labelPodName], c.Labels[labelPodNamespace]
	return c
}

// decodeEvent reads one event line; ok is false for events of other types
// or without a container id.
func decodeEvent(data []byte) (ev dockerEvent, ok bool, err error) {
	if err := json.Unmarshal(data, &ev); err != nil {
		return ev, false, fmt.Errorf("container: decode event: %w", err)
	}
	return ev, ev.Type == "container" && isID(ev.Actor.ID), nil
}

// eventsFilter asks for the container lifecycle events the resolver uses.
const eventsFilter = `{"type":["container"],"event":["create","start","die","destroy"]}`

// events streams GET /events from since (unix nanoseconds, 0 for now) and
// calls fn for each container event until ctx ends or the stream breaks;
// connected is called once the engine accepted the request. It returns the
// time of the last event seen, to resume from.
func (d *dockerClient) events(ctx context.Context, since int64, connected func(), fn func(*dockerEvent)) (int64, error) {
	q := url.Values{"filters": {eventsFilter}}
	if since > 0 {
		q.Set("since", strconv.FormatInt(since/1e9, 10)+"."+fmt.Sprintf("%09d", since%1e9))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker/events?"+q.Encode(), nil)
	if err != nil {
		return since, fmt.Errorf("container: docker events: %w", err)
	}
	resp, err := d.http.Do(req)
	if err != nil {
		return since, fmt.Errorf("container: docker events: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return since, fmt.Errorf("container: docker events: %s: %s", resp.Status, apiMessage(data))
	}
	connected()
	// The engine writes one JSON object per line.
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), maxResponse)
	for sc.Scan() {
		ev, ok, err := decodeEvent(sc.Bytes())
		if err != nil {
			return since, err
		}
		if ev.TimeNano > since {
			since = ev.TimeNano
		}
		if ok {
			fn(&ev)
		}
	}
	if err := sc.Err(); err != nil {
		return since, fmt.Errorf("container: docker events: %w", err)
	}
	return since, fmt.Errorf("container: docker events: %w", io.ErrUnexpectedEOF)
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
