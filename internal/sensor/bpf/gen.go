// Package bpf holds the sensor's eBPF program (sensor.bpf.c, with the
// hand-written CO-RE type subset vmlinux_subset.h) and the objects bpf2go
// compiled from it. The generated files are committed, so building pave
// needs no clang; run `go generate ./internal/sensor/bpf` after editing the
// C source (needs clang, llvm-strip and libbpf-dev).
package bpf

//go:generate go tool bpf2go -cc clang -cflags "-O2 -g -Wall -Werror -I/usr/include/x86_64-linux-gnu -D__TARGET_ARCH_x86" -target bpfel -type ev_hdr -type file_key -type kill_ino_key -type lpm_key Sensor sensor.bpf.c
