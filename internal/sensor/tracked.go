package sensor

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"syscall"

	"github.com/cilium/ebpf"

	"github.com/pavesec/pave/internal/sensor/bpf"
)

// Sizes of the kernel's tracked-path keys (TNAME and LPM_DATA in
// sensor.bpf.c).
const (
	nameKeySize = 32
	lpmDataSize = 128
	maxTracked  = 256
)

// Values of the tracked_names map.
const (
	nameConfirm  = 1 // confirm the full path against tracked_paths
	nameAnywhere = 2 // report wherever the name is
)

type nameKey [nameKeySize]byte

// trackedKeys validates the tracked paths and names and derives the
// kernel's two maps: the names checked on every open (cheap) and the
// prefixes that confirm a hit on a name coming from a path.
func trackedKeys(cfg Config) (paths []string, names map[nameKey]uint8, err error) {
	paths, anywhere := cfg.TrackedPaths, cfg.TrackedNames
	if paths == nil {
		paths = DefaultTrackedPaths
	}
	if anywhere == nil {
		anywhere = DefaultTrackedNames
	}
	if len(paths) > maxTracked || len(anywhere) > maxTracked {
		return nil, nil, fmt.Errorf("sensor: tracked paths: at most %d paths and %d names", maxTracked, maxTracked)
	}
	names = map[nameKey]uint8{}
	put := func(name string, v uint8) error {
		if name == "" || len(name) >= nameKeySize || strings.Contains(name, "/") {
			return fmt.Errorf("sensor: tracked name %q: want one path component of 1-%d bytes", name, nameKeySize-1)
		}
		var k nameKey
		copy(k[:], name)
		if names[k] < v {
			names[k] = v
		}
		return nil
	}
	var clean []string
	for _, p := range paths {
		c := path.Clean(p)
		if !path.IsAbs(p) || c == "/" || len(c) >= lpmDataSize {
			return nil, nil, fmt.Errorf("sensor: tracked path %q: want an absolute path below / shorter than %d bytes", p, lpmDataSize)
		}
		if err := put(path.Base(c), nameConfirm); err != nil {
			return nil, nil, err
		}
		clean = append(clean, c)
	}
	for _, n := range anywhere {
		if err := put(n, nameAnywhere); err != nil {
			return nil, nil, err
		}
	}
	return clean, names, nil
}

func (s *Sensor) fillTracked(paths []string, names map[nameKey]uint8) error {
	for k, v := range names {
		if err := s.coll.Maps["tracked_names"].Put(k, v); err != nil {
			return fmt.Errorf("sensor: tracked name %q: %w", strings.TrimRight(string(k[:]), "\x00"), err)
		}
	}
	for _, p := range paths {
		// Two prefixes: the path itself (NUL-terminated, so /etc/shadow
		// does not match /etc/shadow-) and everything below it.
		for _, pre := range []string{p + "\x00", p + "/"} {
			k := bpf.SensorLpmKey{Prefixlen: uint32(len(pre) * 8)}
			copy(k.Data[:], pre)
			if err := s.coll.Maps["tracked_paths"].Put(k, uint8(1)); err != nil {
				return fmt.Errorf("sensor: tracked path %q: %w", p, err)
			}
		}
	}
	return nil
}

// KillTarget names a program the kernel kills at exec: the exec hook sends
// SIGKILL, which is delivered on the return to user space, so the new image
// never runs an instruction. Set Name, or Inode and Dev, or both (either
// matching kills).
type KillTarget struct {
	// Name is compared with the new program's comm: the first 15 bytes of
	// the base name of the path it was executed by.
	Name string
	// Inode and Dev identify the executable file (stat st_ino, st_dev), so
	// renamed copies and multi-call links of the same file match.
	Inode, Dev uint64
	// ContainersOnly spares host processes.
	ContainersOnly bool
}

// KillTargetForPath stats path (in the caller's mount namespace) and
// returns a target matching that file by inode and device.
func KillTargetForPath(p string, containersOnly bool) (KillTarget, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil {
		return KillTarget{}, fmt.Errorf("sensor: kill target %s: %w", p, err)
	}
	return KillTarget{Inode: st.Ino, Dev: st.Dev, ContainersOnly: containersOnly}, nil
}

// Enforce replaces the set of programs killed at exec. The matching exec
// events carry Killed. An empty list stops enforcement.
func (s *Sensor) Enforce(targets []KillTarget) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("sensor: enforce: sensor closed")
	}
	byName := map[[16]byte]uint8{}
	byIno := map[bpf.SensorKillInoKey]uint8{}
	for _, t := range targets {
		if t.Name == "" && t.Inode == 0 {
			return fmt.Errorf("sensor: enforce: a target needs a name or an inode")
		}
		if strings.Contains(t.Name, "/") {
			return fmt.Errorf("sensor: enforce: target name %q: want a base name, not a path", t.Name)
		}
		v := uint8(0)
		if t.ContainersOnly {
			v = 1
		}
		if t.Name != "" {
			var k [16]byte
			copy(k[:15], t.Name)
			if old, ok := byName[k]; ok && old < v {
				v = old // the broader target wins
			}
			byName[k] = v
		}
		if t.Inode != 0 {
			k := bpf.SensorKillInoKey{Ino: t.Inode, Dev: kernelDev(t.Dev)}
			if old, ok := byIno[k]; ok && old < v {
				v = old
			}
			byIno[k] = v
		}
	}
	if err := replace(s.coll.Maps["kill_names"], byName); err != nil {
		return fmt.Errorf("sensor: enforce: %w", err)
	}
	if err := replace(s.coll.Maps["kill_inodes"], byIno); err != nil {
		return fmt.Errorf("sensor: enforce: %w", err)
	}
	return nil
}

// replace makes m hold exactly want: new entries first, then stale ones
// deleted, so a target present before and after is never missing.
func replace[K comparable](m *ebpf.Map, want map[K]uint8) error {
	for k, v := range want {
		if err := m.Put(k, v); err != nil {
			return err
		}
	}
	var stale []K
	var k K
	var v uint8
	it := m.Iterate()
	for it.Next(&k, &v) {
		if _, ok := want[k]; !ok {
			stale = append(stale, k)
		}
	}
	if err := it.Err(); err != nil {
		return err
	}
	for _, k := range stale {
		if err := m.Delete(k); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			return err
		}
	}
	return nil
}
