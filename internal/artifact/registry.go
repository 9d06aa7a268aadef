package artifact

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// openRegistry reads an image from a registry with go-containerregistry,
// credentials from the Docker config (~/.docker/config.json and its
// helpers). Manifests and config are fetched now; layers are streamed by
// each Walk, never stored.
func openRegistry(ctx context.Context, ref string, opts Options) (*imageSource, error) {
	var nopts []name.Option
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if opts.InsecureRegistryUnsafe {
		nopts = append(nopts, name.Insecure)
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for by InsecureRegistryUnsafe
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %v: %w", ref, err, ErrUnknownFormat)
	}
	puller, err := remote.NewPuller(remote.WithAuthFromKeychain(authn.DefaultKeychain),
		remote.WithTransport(tr), remote.WithUserAgent("pave"))
	if err != nil {
		return nil, err
	}
	if opts.Progress != nil {
		opts.Progress(ProgressEvent{Step: "pull", Name: r.String()})
	}
	desc, err := puller.Get(ctx, r)
	if err != nil {
		return nil, registryError(ref, err)
	}
	if desc.Size > opts.Limits.MaxMetadataBytes {
		return nil, fmt.Errorf("registry %s: manifest of %d bytes: %w", ref, desc.Size, ErrHostile)
	}
	var img v1.Image
	switch {
	case desc.MediaType.IsIndex():
		img, err = pickRemoteImage(desc, opts.Platform)
	case desc.MediaType.IsImage():
		img, err = desc.Image()
	default:
		err = fmt.Errorf("%s is a %s, not an image: %w", desc.Digest, desc.MediaType, ErrUnknownFormat)
	}
	if err != nil {
		return nil, registryError(ref, err)
	}
	src, err := remoteSource(ctx, puller, r, img, opts)
	if err != nil {
		return nil, registryError(ref, err)
	}
	src.ref.RepoTags = nil
	if tag, ok := r.(name.Tag); ok {
		src.ref.RepoTags = []string{tag.Name()}
	}
	return src, nil
}

// pickRemoteImage follows an index (and nested indexes) to one image.
func pickRemoteImage(desc *remote.Descriptor, platform string) (v1.Image, error) {
	idx, err := desc.ImageIndex()
	if err != nil {
		return nil, err
	}
	for range maxIndexDepth {
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, err
		}
		d, err := pickManifest(im, platform, "")
		if err != nil {
			return nil, err
		}
		if !d.MediaType.IsIndex() {
			return idx.Image(d.Digest)
		}
		if idx, err = idx.ImageIndex(d.Digest); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("indexes nested more than %d deep: %w", maxIndexDepth, ErrHostile)
}

func remoteSource(ctx context.Context, puller *remote.Puller, r name.Reference, img v1.Image, opts Options) (*imageSource, error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	digest, err := img.Digest()
	if err != nil {
		return nil, err
	}
	if m.Config.Size > opts.Limits.MaxMetadataBytes {
		return nil, fmt.Errorf("config of %d bytes: %w", m.Config.Size, ErrHostile)
	}
	cb, err := img.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := parseConfig(cb)
	if err != nil {
		return nil, err
	}
	digests := make([]string, len(m.Layers))
	for i, l := range m.Layers {
		digests[i] = l.Digest.String()
	}
	infos, err := layerInfos(cfg, digests)
	if err != nil {
		return nil, err
	}
	src := &imageSource{cfg: cfg, ref: Ref{Digest: digest.String(), ImageID: m.Config.Digest.String(), Platform: configPlatform(cfg)}}
	t := newTally(opts.Limits.MaxTotalBytes, len(infos))
	repo := r.Context()
	for i, info := range infos {
		dref := repo.Digest(m.Layers[i].Digest.String())
		size := m.Layers[i].Size
		progress := opts.Progress
		src.layers = append(src.layers, &imageLayer{info: info, lim: opts.Limits, tally: t, verify: true,
			open: func(ctx context.Context) (io.ReadCloser, error) {
				l, err := puller.Layer(ctx, dref)
				if err != nil {
					return nil, registryError(dref.String(), err)
				}
				rc, err := l.Compressed()
				if err != nil {
					return nil, registryError(dref.String(), err)
				}
				if progress != nil {
					progress(ProgressEvent{Step: "layer", Name: dref.DigestStr(), Total: size})
				}
				return rc, nil
			}})
	}
	return src, nil
}

// registryError classifies a registry failure: 401/403 → ErrRefused,
// unknown manifest or repository → ErrNotFound.
func registryError(ref string, err error) error {
	var te *transport.Error
	if errors.As(err, &te) {
		switch {
		case te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden:
			return fmt.Errorf("registry %s: access denied (%d; log in with docker login, or check the name): %w", ref, te.StatusCode, ErrRefused)
		case te.StatusCode == http.StatusNotFound:
			return fmt.Errorf("registry %s: not found: %w", ref, ErrNotFound)
		}
		for _, d := range te.Errors {
			switch d.Code {
			case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode, transport.BlobUnknownErrorCode:
				return fmt.Errorf("registry %s: not found (%s): %w", ref, d.Code, ErrNotFound)
			case transport.UnauthorizedErrorCode, transport.DeniedErrorCode:
				return fmt.Errorf("registry %s: access denied (%s): %w", ref, d.Code, ErrRefused)
			}
		}
	}
	return fmt.Errorf("registry %s: %w", ref, err)
}
