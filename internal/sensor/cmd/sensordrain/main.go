// Command sensordrain opens pave's eBPF sensor, reads and discards its
// events until SIGINT or SIGTERM, then prints the sensor's counters, its
// own CPU time and its peak resident memory as one JSON object. It is the
// "pave" column of scripts/bench-sensor.sh: the cost of the kernel side
// plus decoding every event, without rules or output.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/cilium/ebpf"

	"github.com/pavesec/pave/internal/sensor"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "sensordrain:", err)
		os.Exit(1)
	}
}

func run() error {
	containersOnly := flag.Bool("containers-only", false, "drop host events in the kernel")
	langReads := flag.Bool("language-reads", false, "also report read opens of language package files (sensor.Config.LanguageReads)")
	ring := flag.Int("ring", 0, "ring buffer size in bytes (0: the default)")
	ready := flag.String("ready", "", "file to create once the sensor is attached")
	profile := flag.Bool("profile", false, "also report each program's runs and mean run time (kernel.bpf_stats_enabled)")
	programs := flag.String("programs", "", "instead: print the runs and mean run time of every loaded eBPF program whose name starts with this prefix (\"all\" for every one) and exit; needs sysctl kernel.bpf_stats_enabled=1")
	flag.Parse()
	if *programs != "" {
		return dumpPrograms(*programs)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := sensor.Open(ctx, sensor.Config{ContainersOnly: *containersOnly, LanguageReads: *langReads, RingBufferSize: *ring})
	if err != nil {
		return err
	}
	defer s.Close()
	if *profile {
		c, err := sensor.EnableStats()
		if err != nil {
			return err
		}
		defer c.Close()
	}
	if *ready != "" {
		if err := os.WriteFile(*ready, nil, 0o644); err != nil {
			return err
		}
	}
	var n uint64
	for {
		if _, err := s.Next(ctx); err != nil {
			if errors.Is(err, context.Canceled) {
				break
			}
			return err
		}
		n++
	}
	// Count what was still queued when the signal came.
	drain, cancel := context.WithTimeout(context.Background(), 500_000_000)
	defer cancel()
	for {
		if _, err := s.Next(drain); err != nil {
			break
		}
		n++
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	st := s.Stats()
	var dropped uint64
	for _, v := range st.Dropped {
		dropped += v
	}
	out := map[string]any{
		"events":    n,
		"received":  st.Received,
		"dropped":   dropped,
		"filtered":  st.Filtered,
		"cpuUserMs": ru.Utime.Sec*1000 + ru.Utime.Usec/1000,
		"cpuSysMs":  ru.Stime.Sec*1000 + ru.Stime.Usec/1000,
		"maxRSSKiB": ru.Maxrss,
	}
	if *profile {
		ps, err := s.ProgramStats()
		if err != nil {
			return err
		}
		prof := map[string]string{}
		for name, p := range ps {
			if p.Runs > 0 {
				prof[name] = fmt.Sprintf("%d runs, %d ns/run", p.Runs, int64(p.Runtime)/int64(p.Runs))
			}
		}
		out["programs"] = prof
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

// dumpPrograms reports the kernel's statistics for other tools' programs
// (bpftrace's), to compare them with the sensor's per-program cost.
func dumpPrograms(prefix string) error {
	out := map[string]string{}
	var id ebpf.ProgramID
	for {
		next, err := ebpf.ProgramGetNextID(id)
		if errors.Is(err, os.ErrNotExist) {
			break
		}
		if err != nil {
			return err
		}
		id = next
		p, err := ebpf.NewProgramFromID(id)
		if err != nil {
			continue
		}
		info, err := p.Info()
		st, err2 := p.Stats()
		p.Close()
		if err != nil || err2 != nil || st.RunCount == 0 || (prefix != "all" && !strings.HasPrefix(info.Name, prefix)) {
			continue
		}
		out[fmt.Sprintf("%s#%d", info.Name, id)] = fmt.Sprintf("%d runs, %d ns/run", st.RunCount, int64(st.Runtime)/int64(st.RunCount))
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}
