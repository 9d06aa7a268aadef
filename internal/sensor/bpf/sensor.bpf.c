//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// pave's runtime sensor: one eBPF object whose programs turn process,
// file, network, credential and namespace activity into records on a ring
// buffer. The record layout (struct ev_hdr followed by tagged strings) is
// decoded by internal/sensor/decode.go; keep the two in step.
//
// Kernel-side filtering keeps ordinary activity cheap: opens are reported
// only for write intent or tracked paths (a name map, then a longest-prefix
// map on the full path), shared-library maps once per (cgroup, inode, dev),
// write opens once per (process, inode, dev), ptrace only for requests that
// can change the tracee, unshare only with namespace flags.

#include <linux/bpf.h>
#include "vmlinux_subset.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

// Record types: the index of the per-type drop counters too. Go: decode.go.
enum {
	T_EXEC = 1,
	T_EXIT = 2,
	T_OPEN = 3,
	T_CONNECT = 4,
	T_ACCEPT = 5,
	T_BIND = 6,
	T_SETUID = 7,
	T_SETGID = 8,
	T_CAPSET = 9,
	T_PTRACE = 10,
	T_MOUNT = 11,
	T_UNSHARE = 12,
	T_SETNS = 13,
	T_MMAP = 14,
	T_MEMFD_EXEC = 15,
	T_WRITE_EXEC = 16,
	T_MAX = 17,
};

// Record flags.
enum {
	F_HOST = 1 << 0,
	F_KILLED = 1 << 1,
	F_ARGS_TRUNC = 1 << 2,
	F_TTY = 1 << 3,
	F_MEMFD = 1 << 4,
	F_WRITE_EXEC = 1 << 5,
	F_WRITE = 1 << 6,
	F_PATH_TRUNC = 1 << 7,
	F_TRACKED = 1 << 8,
};

// String tags after the header.
enum {
	S_EXE = 1,  // exec: bprm->filename
	S_ARGS = 2, // exec: argv, NUL-separated
	S_CWD = 3,  // exec: working directory
	S_ANC = 4,  // exec: one ancestor, u32 tgid + comm[16]
	S_PATH = 5, // open/mmap/exec(memfd name): the file; mount: target
	S_SRC = 6,  // mount: source
	S_FSTYPE = 7,
	S_UNIX = 8, // connect/bind: unix socket path (raw sun_path bytes)
};

#define BUF_SIZE 8192
#define HALF 4096
#define ARGS_MAX 2048  // argv budget in bytes, a power of two
#define NAME_READ 256  // one path component
#define PATH_DEPTH 16  // components kept per path
#define WALK_MAX 24    // loop budget (components plus mount crossings)
#define PATH_LIMIT (HALF - NAME_READ - 8)
#define ANCESTORS 4
#define TNAME 32       // tracked name key size
#define LPM_DATA 128   // tracked path prefix key size

struct ev_hdr {
	u64 ts;
	u64 cgroup;
	u64 cap_eff;
	u64 cap_perm;
	s64 ret;
	u64 ino;
	u64 aux2;
	u32 dev;
	u32 type;
	u32 pid;
	u32 tid;
	u32 ppid;
	u32 vpid;
	u32 uid;
	u32 gid;
	u32 euid;
	u32 loginuid;
	u32 flags;
	u32 aux;
	u16 dport;
	u16 sport;
	u16 family;
	u16 proto;
	u8 daddr[16];
	u8 saddr[16];
	char comm[16];
};

struct scratch {
	u8 data[BUF_SIZE];
	u64 dent[PATH_DEPTH];
	u8 name[TNAME];
};

struct lpm_key {
	u32 prefixlen;
	u8 data[LPM_DATA];
};

struct file_key {
	u64 a; // cgroup id (mmap) or tgid (open)
	u64 ino;
	u32 dev;
	u32 mode;
};

struct kill_ino_key {
	u64 ino;
	u32 dev;
	u32 pad;
};

// Set by the loader before the object is loaded.
volatile const u32 cfg_host_mntns = 0;
volatile const u8 cfg_containers_only = 0;
volatile const u64 cfg_name_lens = 0; // bit n: some tracked name has length n
volatile const u64 cfg_wakeup_bytes = 0; // wake the reader when this much is queued
volatile const u8 cfg_lang_reads = 0; // report read opens of language package files

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

// counters[0] = filtered, counters[type] = dropped records of that type.
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 32);
	__type(key, u32);
	__type(value, u64);
} counters SEC(".maps");

// Tracked names: value 1 = confirm with tracked_paths, 2 = anywhere.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, u8[TNAME]);
	__type(value, u8);
} tracked_names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_key);
	__type(value, u8);
} tracked_paths SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct file_key);
	__type(value, u8);
} seen_files SEC(".maps");

// Enforcement: value bit 0 = containers only.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct kill_ino_key);
	__type(value, u8);
} kill_inodes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, char[16]);
	__type(value, u8);
} kill_names SEC(".maps");

// Exported so bpf2go emits Go types the tests check decode.go against.
struct ev_hdr *unused_ev_hdr __attribute__((unused));
struct file_key *unused_file_key __attribute__((unused));
struct kill_ino_key *unused_kill_ino_key __attribute__((unused));
struct lpm_key *unused_lpm_key __attribute__((unused));

// OFF bounds an offset into the scratch buffer for the verifier. The
// barrier keeps clang from dropping the mask when it can prove the offset
// is already small (the verifier cannot always follow that proof).
static __always_inline u32 OFF(u32 x)
{
	barrier_var(x);
	return x & (HALF - 1);
}

static __always_inline void count(u32 idx)
{
	u64 *v = bpf_map_lookup_elem(&counters, &idx);
	if (v)
		*v += 1;
}

static __always_inline struct scratch *get_scratch(void)
{
	u32 zero = 0;
	return bpf_map_lookup_elem(&scratch_map, &zero);
}

// The task pointers below come from bpf_get_current_task_btf(): typed, so
// fields are read with plain loads rather than a helper call each.
static __always_inline int is_host(struct task_struct *t)
{
	return t->nsproxy->mnt_ns->ns.inum == cfg_host_mntns;
}

// fill_force fills the header of s for the current task and reports whether the
// event must be dropped by the containers-only filter (counted as
// filtered); force keeps the event anyway.
static __always_inline int fill_force(struct scratch *s, struct task_struct *t, u32 type, int force)
{
	struct ev_hdr *h = (void *)s->data;
	u64 id = bpf_get_current_pid_tgid();

	h->ts = bpf_ktime_get_boot_ns();
	h->cgroup = bpf_get_current_cgroup_id();
	h->type = type;
	h->pid = id >> 32;
	h->tid = (u32)id;
	h->flags = 0;
	if (is_host(t)) {
		h->flags = F_HOST;
		if (cfg_containers_only && !force) {
			count(0);
			return 1;
		}
	}
	const struct cred *c = t->cred;
	h->uid = c->uid.val;
	h->gid = c->gid.val;
	h->euid = c->euid.val;
	h->cap_eff = c->cap_effective.val;
	h->cap_perm = c->cap_permitted.val;
	h->loginuid = 0xffffffff;
	if (bpf_core_field_exists(t->loginuid))
		h->loginuid = t->loginuid.val;
	h->ppid = t->real_parent->tgid;
	struct pid *p = t->group_leader->thread_pid;
	u32 level = p->level;
	h->vpid = 0;
	bpf_core_read(&h->vpid, sizeof(h->vpid), &p->numbers[level & 31].nr);
	bpf_get_current_comm(h->comm, sizeof(h->comm));
	h->ret = 0;
	h->ino = 0;
	h->dev = 0;
	h->aux = 0;
	h->aux2 = 0;
	h->dport = 0;
	h->sport = 0;
	h->family = 0;
	h->proto = 0;
	__builtin_memset(h->daddr, 0, sizeof(h->daddr));
	__builtin_memset(h->saddr, 0, sizeof(h->saddr));
	return 0;
}

static __always_inline int fill(struct scratch *s, struct task_struct *t, u32 type)
{
	return fill_force(s, t, type, 0);
}

static __always_inline void put_tag(struct scratch *s, u32 at, u16 tag, u32 len)
{
	u16 *p = (u16 *)&s->data[OFF(at)];
	p[0] = tag;
	p[1] = len;
}

// put_kstr appends a kernel string.
static __always_inline u32 put_kstr(struct scratch *s, u32 off, u16 tag, const void *src)
{
	if (off > PATH_LIMIT || !src)
		return off;
	long n = bpf_probe_read_kernel_str(&s->data[OFF(off + 4)], NAME_READ, src);
	if (n <= 0)
		return off;
	put_tag(s, off, tag, n);
	return off + 4 + n;
}

// put_ustr appends a user string of at most max (<= NAME_READ) bytes.
static __always_inline u32 put_ustr(struct scratch *s, u32 off, u16 tag, const void *src)
{
	if (off > PATH_LIMIT || !src)
		return off;
	long n = bpf_probe_read_user_str(&s->data[OFF(off + 4)], NAME_READ, src);
	if (n <= 0)
		return off;
	put_tag(s, off, tag, n);
	return off + 4 + n;
}

// put_ubytes appends n raw user bytes (n < NAME_READ).
static __always_inline u32 put_ubytes(struct scratch *s, u32 off, u16 tag, const void *src, u32 n)
{
	if (off > PATH_LIMIT || n == 0 || n >= NAME_READ)
		return off;
	barrier_var(n);
	n &= NAME_READ - 1;
	if (bpf_probe_read_user(&s->data[OFF(off + 4)], n, src))
		return off;
	put_tag(s, off, tag, n);
	return off + 4 + n;
}

struct walk_ctx {
	struct dentry *d;
	struct vfsmount *vm;
	struct mount *mnt;
	struct dentry *rd;
	struct vfsmount *rm;
	u64 mnt_off;
	u32 n;
	u32 off;
	u32 trunc;
};

// walk_step moves one dentry (or one mount) up, recording dentries in
// scratch.dent. Run by bpf_loop, so the verifier checks it once rather than
// once per iteration.
static long walk_step(u32 i, void *c)
{
	struct walk_ctx *w = c;
	struct scratch *s = get_scratch();
	if (!s)
		return 1;
	// Locals, not w->...: BPF_CORE_READ would record a relocation against
	// walk_ctx itself, which the kernel's BTF does not have.
	struct dentry *d = w->d;
	struct vfsmount *vm = w->vm;
	struct mount *mnt = w->mnt;
	if (d == w->rd && vm == w->rm)
		return 1;
	struct dentry *mroot = BPF_CORE_READ(vm, mnt_root);
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	if (d == mroot) {
		struct mount *mp = BPF_CORE_READ(mnt, mnt_parent);
		if (mp == mnt)
			return 1;
		w->d = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = mp;
		w->vm = (void *)mp + w->mnt_off;
		return 0;
	}
	if (d == parent)
		return 1;
	if (w->n >= PATH_DEPTH) {
		w->trunc = 1;
		return 1;
	}
	s->dent[w->n & (PATH_DEPTH - 1)] = (u64)d;
	w->n++;
	w->d = parent;
	return 0;
}

// name_step appends "/" and the name of dent[n - 1 - i].
static long name_step(u32 i, void *c)
{
	struct walk_ctx *w = c;
	struct scratch *s = get_scratch();
	if (!s || i >= w->n)
		return 1;
	if (w->off > PATH_LIMIT) {
		w->trunc = 1;
		return 1;
	}
	struct dentry *dd = (void *)s->dent[(w->n - 1 - i) & (PATH_DEPTH - 1)];
	const unsigned char *nm = BPF_CORE_READ(dd, d_name.name);
	s->data[OFF(w->off)] = '/';
	w->off++;
	long r = bpf_probe_read_kernel_str(&s->data[OFF(w->off)], NAME_READ, nm);
	if (r > 1)
		w->off += r - 1;
	return 0;
}

// put_path appends the path of (d, vm) relative to the task's root,
// walking dentries and crossing mounts. It returns the new offset and sets
// *start to the offset of the first path byte.
static __always_inline u32 put_path(struct scratch *s, u32 off, u16 tag, struct dentry *d,
				    struct vfsmount *vm, struct task_struct *t, u32 *start)
{
	struct walk_ctx w = {};
	struct ev_hdr *h = (void *)s->data;

	*start = off + 4;
	if (off > PATH_LIMIT)
		return off;
	w.d = d;
	w.vm = vm;
	w.mnt_off = bpf_core_field_offset(struct mount, mnt);
	w.mnt = (void *)vm - w.mnt_off;
	w.rd = BPF_CORE_READ(t, fs, root.dentry);
	w.rm = BPF_CORE_READ(t, fs, root.mnt);
	bpf_loop(WALK_MAX, walk_step, &w, 0);

	w.off = off + 4;
	if (w.n == 0) {
		s->data[OFF(w.off)] = '/';
		w.off++;
	}
	bpf_loop(PATH_DEPTH, name_step, &w, 0);
	if (w.trunc)
		h->flags |= F_PATH_TRUNC;
	s->data[OFF(w.off)] = 0;
	w.off++;
	put_tag(s, off, tag, w.off - off - 4);
	return w.off;
}

static __always_inline void emit(void *ctx, struct scratch *s, u32 size)
{
	struct ev_hdr *h = (void *)s->data;
	u32 type = h->type, flags = h->flags;

	// Records stay below HALF + ARGS_MAX bytes; the mask is for the
	// verifier.
	barrier_var(size);
	size &= BUF_SIZE - 1;
	// Wake the reader only once a batch is waiting: a wakeup per record
	// (an irq_work, a self-IPI, a VM exit under a hypervisor) cost more
	// than the rest of the program. The reader also polls every 50 ms.
	u64 wake = BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= cfg_wakeup_bytes)
		wake = BPF_RB_FORCE_WAKEUP;
	if (bpf_ringbuf_output(&events, s->data, size, wake)) {
		count(type & 31);
		if (flags & F_MEMFD)
			count(T_MEMFD_EXEC);
		if (flags & F_WRITE_EXEC)
			count(T_WRITE_EXEC);
	}
}

static __always_inline struct file *fd_file(struct task_struct *t, long fd)
{
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	u32 max = BPF_CORE_READ(fdt, max_fds);
	if (fd < 0 || fd >= max)
		return 0;
	struct file **arr = BPF_CORE_READ(fdt, fd);
	struct file *f = 0;
	bpf_core_read(&f, sizeof(f), &arr[fd]);
	return f;
}

// ---- exec, exit ----

static __always_inline int do_exec(void *ctx, struct linux_binprm *bprm)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	struct ev_hdr *h = (void *)s->data;
	int host = is_host(t);

	// Enforcement first: it does not depend on the filter.
	struct file *f = BPF_CORE_READ(bprm, file);
	struct inode *ino = BPF_CORE_READ(f, f_inode);
	struct kill_ino_key kk = {};
	kk.ino = BPF_CORE_READ(ino, i_ino);
	kk.dev = BPF_CORE_READ(ino, i_sb, s_dev);
	u8 *kv = bpf_map_lookup_elem(&kill_inodes, &kk);
	if (!kv) {
		char comm[16];
		__builtin_memset(comm, 0, sizeof(comm));
		bpf_get_current_comm(comm, sizeof(comm));
		kv = bpf_map_lookup_elem(&kill_names, comm);
	}
	int killed = 0;
	if (kv && (!(*kv & 1) || !host)) {
		bpf_send_signal(9);
		killed = 1;
	}
	if (!killed && host && cfg_containers_only) {
		count(0);
		return 0;
	}
	fill_force(s, t, T_EXEC, 1);
	if (killed)
		h->flags |= F_KILLED;
	h->ino = kk.ino;
	h->dev = kk.dev;

	u32 nlink = BPF_CORE_READ(ino, i_nlink);
	struct dentry *fd = BPF_CORE_READ(f, f_path.dentry);
	const unsigned char *dn = BPF_CORE_READ(fd, d_name.name);
	char pre[8] = {};
	bpf_probe_read_kernel(pre, 6, dn);
	if (nlink == 0 || (pre[0] == 'm' && pre[1] == 'e' && pre[2] == 'm' && pre[3] == 'f' &&
			   pre[4] == 'd' && pre[5] == ':'))
		h->flags |= F_MEMFD;
	if (BPF_CORE_READ(t, signal, tty))
		h->flags |= F_TTY;

	u32 off = sizeof(struct ev_hdr);
	off = put_kstr(s, off, S_EXE, BPF_CORE_READ(bprm, filename));
	if (h->flags & F_MEMFD)
		off = put_kstr(s, off, S_PATH, dn);

	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	unsigned long as = BPF_CORE_READ(mm, arg_start), ae = BPF_CORE_READ(mm, arg_end);
	if (ae > as && off < HALF - ARGS_MAX - 8) {
		u64 n = ae - as;
		if (n > ARGS_MAX - 1) {
			n = ARGS_MAX - 1;
			h->flags |= F_ARGS_TRUNC;
		}
		n &= ARGS_MAX - 1;
		if (n && !bpf_probe_read_user(&s->data[OFF(off + 4)], n, (void *)as)) {
			put_tag(s, off, S_ARGS, n);
			off += 4 + n;
		}
	}

	u32 start;
	struct dentry *pwd = BPF_CORE_READ(t, fs, pwd.dentry);
	struct vfsmount *pwm = BPF_CORE_READ(t, fs, pwd.mnt);
	off = put_path(s, off, S_CWD, pwd, pwm, t, &start);

	struct task_struct *p = BPF_CORE_READ(t, real_parent);
	for (int i = 0; i < ANCESTORS; i++) {
		if (!p || off > HALF - 32)
			break;
		u32 pid = BPF_CORE_READ(p, tgid);
		if (pid == 0)
			break;
		put_tag(s, off, S_ANC, 20);
		*(u32 *)&s->data[OFF(off + 4)] = pid;
		bpf_probe_read_kernel(&s->data[OFF(off + 8)], 16, &p->comm);
		off += 24;
		p = BPF_CORE_READ(p, real_parent);
	}
	emit(ctx, s, off);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_btf, struct task_struct *task, int old_pid, struct linux_binprm *bprm)
{
	return do_exec(ctx, bprm);
}

SEC("raw_tp/sched_process_exec")
int exec_raw(struct bpf_raw_tracepoint_args *ctx)
{
	return do_exec(ctx, (struct linux_binprm *)ctx->args[2]);
}

static __always_inline int do_exit(void *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	if ((u32)id != (id >> 32))
		return 0; // a thread, not the group leader
	struct task_struct *t = bpf_get_current_task_btf();
	struct scratch *s = get_scratch();
	if (!s || fill(s, t, T_EXIT))
		return 0;
	struct ev_hdr *h = (void *)s->data;
	h->ret = BPF_CORE_READ(t, exit_code);
	emit(ctx, s, sizeof(struct ev_hdr));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(exit_btf)
{
	return do_exit(ctx);
}

SEC("raw_tp/sched_process_exit")
int exit_raw(struct bpf_raw_tracepoint_args *ctx)
{
	return do_exit(ctx);
}

// ---- syscall tracepoints ----

struct sys_enter {
	u64 common;
	s32 nr;
	s32 pad;
	unsigned long args[6];
};

struct sys_exit {
	u64 common;
	s32 nr;
	s32 pad;
	long ret;
};

// bpf_rdonly_cast turns an address into a read-only typed pointer, so the
// open filter below reads through plain loads (which the JIT turns into
// guarded moves) instead of a helper call per field.
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

// tracked_level checks one dentry's name against tracked_names. d is a
// typed (BTF) pointer.
static __always_inline u8 tracked_level(struct dentry *d)
{
	u32 len = d->d_name.len;
	if (len == 0 || len >= TNAME || !((cfg_name_lens >> len) & 1))
		return 0;
	u8 key[TNAME] = {};
	bpf_probe_read_kernel(key, len & (TNAME - 1), d->d_name.name);
	u8 *v = bpf_map_lookup_elem(&tracked_names, key);
	return v ? *v : 0;
}

#define FMODE_WRITE 0x2
#define SEEN_REPORTED 1
#define SEEN_IGNORED 2
#define S_IFMT 00170000
#define S_IFREG 0100000
#define CGROUP2_SUPER_MAGIC 0x63677270

// S3, S4 and S6 spell a file name suffix as the little-endian integer its
// last bytes load as.
#define S3(a, b, c) ((u64)(a) | (u64)(b) << 8 | (u64)(c) << 16)
#define S4(a, b, c, d) (S3(a, b, c) | (u64)(d) << 24)
#define S6(a, b, c, d, e, f) (S4(a, b, c, d) | (u64)(e) << 32 | (u64)(f) << 40)
#define LANG_SEEN 0x40000000

// lang_suffix reports whether the dentry's name ends in a language package
// suffix: .py .pyc .js .mjs .cjs .rb .jar .php .class (native modules, .so
// and .node, are reported by the executable-map hook). It costs one read of
// the name's last 8 bytes. d is a typed (BTF) pointer.
static __always_inline int lang_suffix(struct dentry *d)
{
	u32 len = d->d_name.len;
	if (len < 3 || len > 4096)
		return 0;
	const unsigned char *name = d->d_name.name;
	u64 w = 0;
	if (len >= 8) {
		if (bpf_probe_read_kernel(&w, 8, name + len - 8))
			return 0;
	} else {
		if (bpf_probe_read_kernel(&w, 8, name))
			return 0;
		// Move the name's last byte to the top; the bytes past the
		// name shift out.
		w <<= 8 * (8 - len);
	}
	u64 s3 = w >> 40, s4 = w >> 32, s6 = w >> 16;
	if (s3 == S3('.', 'p', 'y') || s3 == S3('.', 'j', 's') || s3 == S3('.', 'r', 'b'))
		return 1;
	if (len >= 4 && (s4 == S4('.', 'p', 'y', 'c') || s4 == S4('.', 'm', 'j', 's') ||
			 s4 == S4('.', 'c', 'j', 's') || s4 == S4('.', 'j', 'a', 'r') ||
			 s4 == S4('.', 'p', 'h', 'p')))
		return 1;
	return len >= 6 && s6 == S6('.', 'c', 'l', 'a', 's', 's');
}

// lang_read reports a read open of a language package file once per
// (cgroup, inode, device); repeats are counted as filtered.
static __attribute__((noinline)) int lang_read(void *ctx, struct task_struct *t, struct file *f,
					       struct inode *ino, long ret)
{
	struct file_key fk = {};
	fk.a = bpf_get_current_cgroup_id();
	fk.ino = ino->i_ino;
	fk.dev = ino->i_sb->s_dev;
	fk.mode = LANG_SEEN;
	if (bpf_map_lookup_elem(&seen_files, &fk)) {
		count(0);
		return 0;
	}
	struct scratch *s = get_scratch();
	if (!s || fill(s, t, T_OPEN))
		return 0;
	u8 v = SEEN_REPORTED;
	bpf_map_update_elem(&seen_files, &fk, &v, BPF_ANY);
	struct ev_hdr *h = (void *)s->data;
	h->ino = fk.ino;
	h->dev = fk.dev;
	h->aux = BPF_CORE_READ(f, f_flags);
	h->ret = ret;
	u32 start = 0;
	u32 off = put_path(s, sizeof(struct ev_hdr), S_PATH, BPF_CORE_READ(f, f_path.dentry),
			   BPF_CORE_READ(f, f_path.mnt), t, &start);
	emit(ctx, s, off);
	return 0;
}

static __always_inline int do_open_exit(void *ctx, long ret)
{
	if (ret < 0)
		return 0;
	struct task_struct *t = bpf_get_current_task_btf();
	struct fdtable *fdt = t->files->fdt;
	if ((unsigned long)ret >= fdt->max_fds)
		return 0;
	void *fp = 0;
	bpf_probe_read_kernel(&fp, sizeof(fp), &fdt->fd[ret]);
	if (!fp)
		return 0;
	struct file *f = bpf_rdonly_cast(fp, bpf_core_type_id_kernel(struct file));
	u32 fmode = f->f_mode;
	struct inode *ino = f->f_inode;
	u16 mode = ino->i_mode;
	u32 kind = 0;
	if ((fmode & FMODE_WRITE) && (mode & S_IFMT) == S_IFREG &&
	    ino->i_sb->s_magic != CGROUP2_SUPER_MAGIC) {
		kind = F_WRITE;
		if (mode & 0111)
			kind |= F_WRITE_EXEC;
	}
	u8 tracked = 0;
	if (cfg_name_lens) {
		struct dentry *d = f->f_path.dentry;
		for (int i = 0; i < 4; i++) {
			tracked = tracked_level(d);
			if (tracked)
				break;
			struct dentry *parent = d->d_parent;
			if (parent == d)
				break;
			d = parent;
		}
	}
	if (!kind && !tracked) {
		if (!cfg_lang_reads || (fmode & FMODE_WRITE) || (mode & S_IFMT) != S_IFREG ||
		    !lang_suffix(f->f_path.dentry))
			return 0;
		if (cfg_containers_only && is_host(t)) {
			count(0);
			return 0;
		}
		return lang_read(ctx, t, f, ino, ret);
	}
	// Aggregate before filling the header: a process rewriting one file
	// costs a lookup.
	struct file_key fk = {};
	fk.a = bpf_get_current_pid_tgid() >> 32;
	fk.ino = ino->i_ino;
	fk.dev = ino->i_sb->s_dev;
	fk.mode = fmode & FMODE_WRITE;
	u8 *seen = bpf_map_lookup_elem(&seen_files, &fk);
	if (seen) {
		if (*seen == SEEN_REPORTED)
			count(0);
		return 0;
	}
	struct scratch *s = get_scratch();
	if (!s || fill(s, t, T_OPEN))
		return 0;
	struct ev_hdr *h = (void *)s->data;
	h->ino = fk.ino;
	h->dev = fk.dev;
	h->flags |= kind;
	h->aux = BPF_CORE_READ(f, f_flags);
	h->ret = ret;
	u32 start = 0;
	u32 off = put_path(s, sizeof(struct ev_hdr), S_PATH, BPF_CORE_READ(f, f_path.dentry),
			   BPF_CORE_READ(f, f_path.mnt), t, &start);
	if (tracked == 1) {
		// Confirm against the prefixes: borrow the 4 bytes before the
		// path for the key's prefix length.
		u32 *pl = (u32 *)&s->data[OFF(start - 4)];
		u32 saved = *pl;
		*pl = LPM_DATA * 8;
		void *hit = bpf_map_lookup_elem(&tracked_paths, &s->data[OFF(start - 4)]);
		*pl = saved;
		if (!hit && !kind) {
			// A tracked name outside the tracked paths: remember, so
			// the next open by this process costs one lookup.
			u8 v = SEEN_IGNORED;
			bpf_map_update_elem(&seen_files, &fk, &v, BPF_ANY);
			return 0;
		}
		if (hit)
			h->flags |= F_TRACKED;
	} else if (tracked) {
		h->flags |= F_TRACKED;
	}
	u8 v = SEEN_REPORTED;
	bpf_map_update_elem(&seen_files, &fk, &v, BPF_ANY);
	emit(ctx, s, off);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int sys_exit_openat(struct sys_exit *ctx) { return do_open_exit(ctx, ctx->ret); }

SEC("tracepoint/syscalls/sys_exit_openat2")
int sys_exit_openat2(struct sys_exit *ctx) { return do_open_exit(ctx, ctx->ret); }

SEC("tracepoint/syscalls/sys_exit_open")
int sys_exit_open(struct sys_exit *ctx) { return do_open_exit(ctx, ctx->ret); }

SEC("tracepoint/syscalls/sys_exit_creat")
int sys_exit_creat(struct sys_exit *ctx) { return do_open_exit(ctx, ctx->ret); }

#define PROT_EXEC 0x4
#define MAP_ANONYMOUS 0x20

SEC("tracepoint/syscalls/sys_enter_mmap")
int sys_enter_mmap(struct sys_enter *ctx)
{
	unsigned long prot = ctx->args[2], flags = ctx->args[3];
	long fd = (int)ctx->args[4];
	if (!(prot & PROT_EXEC) || (flags & MAP_ANONYMOUS) || fd < 0)
		return 0;
	struct task_struct *t = bpf_get_current_task_btf();
	struct file *f = fd_file(t, fd);
	if (!f)
		return 0;
	struct inode *ino = BPF_CORE_READ(f, f_inode);
	struct file_key fk = {};
	fk.a = bpf_get_current_cgroup_id();
	fk.ino = BPF_CORE_READ(ino, i_ino);
	fk.dev = BPF_CORE_READ(ino, i_sb, s_dev);
	fk.mode = 0x80000000;
	if (bpf_map_lookup_elem(&seen_files, &fk)) {
		count(0);
		return 0;
	}
	struct scratch *s = get_scratch();
	if (!s || fill(s, t, T_MMAP))
		return 0;
	u8 one = SEEN_REPORTED;
	bpf_map_update_elem(&seen_files, &fk, &one, BPF_ANY);
	struct ev_hdr *h = (void *)s->data;
	h->ino = fk.ino;
	h->dev = fk.dev;
	h->aux = prot;
	u32 start;
	u32 off = put_path(s, sizeof(struct ev_hdr), S_PATH, BPF_CORE_READ(f, f_path.dentry),
			   BPF_CORE_READ(f, f_path.mnt), t, &start);
	emit(ctx, s, off);
	return 0;
}

// ---- network ----

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10

static __always_inline void sock_proto(struct ev_hdr *h, struct task_struct *t, long fd)
{
	struct file *f = fd_file(t, fd);
	if (!f)
		return;
	struct socket *so = BPF_CORE_READ(f, private_data);
	h->proto = BPF_CORE_READ(so, sk, sk_protocol);
}

// do_sockaddr handles connect and bind: the address comes from the
// caller's sockaddr.
static __always_inline int do_sockaddr(void *ctx, u32 type, long fd, void *uaddr, u32 alen)
{
	u16 fam = 0;
	if (!uaddr || bpf_probe_read_user(&fam, sizeof(fam), uaddr))
		return 0;
	if (fam != AF_INET && fam != AF_INET6 && fam != AF_UNIX)
		return 0;
	struct task_struct *t = bpf_get_current_task_btf();
	struct scratch *s = get_scratch();
	if (!s || fill(s, t, type))
		return 0;
	struct ev_hdr *h = (void *)s->data;
	h->family = fam;
	u32 off = sizeof(struct ev_hdr);
	u8 *addr = type == T_BIND ? h->saddr : h->daddr;
	u16 port = 0;
	if (fam == AF_INET) {
		bpf_probe_read_user(&port, 2, uaddr + 2);
		bpf_probe_read_user(addr, 4, uaddr + 4);
	} else if (fam == AF_INET6) {
		bpf_probe_read_user(&port, 2, uaddr + 2);
		bpf_probe_read_user(addr, 16, uaddr + 8);
	} else {
		if (alen > 2 + 108)
			alen = 2 + 108;
		if (alen > 2)
			off = put_ubytes(s, off, S_UNIX, uaddr + 2, alen - 2);
	}
	port = __builtin_bswap16(port);
	if (type == T_BIND)
		h->sport = port;
	else
		h->dport = port;
	if (fam != AF_UNIX)
		sock_proto(h, t, fd);
	h->aux = fd;
	emit(ctx, s, off);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_connect")
int sys_enter_connect(struct sys_enter *ctx)
{
	return do_sockaddr(ctx, T_CONNECT, ctx->args[0], (void *)ctx->args[1], ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_enter_bind")
int sys_enter_bind(struct sys_enter *ctx)
{
	return do_sockaddr(ctx, T_BIND, ctx->args[0], (void *)ctx->args[1], ctx->args[2]);
}

static __always_inline int do_accept_exit(void *ctx, long ret)
{
	if (ret < 0)
		return 0;
	struct task_struct *t = bpf_get_current_task_btf();
	struct file *f = fd_file(t, ret);
	if (!f)
		return 0;
	struct scratch *s = get_scratch();
	if (!s || fill(s, t, T_ACCEPT))
		return 0;
	struct ev_hdr *h = (void *)s->data;
	struct socket *so = BPF_CORE_READ(f, private_data);
	struct sock *sk = BPF_CORE_READ(so, sk);
	u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	h->family = fam;
	h->proto = BPF_CORE_READ(sk, sk_protocol);
	h->ret = ret;
	if (fam == AF_INET) {
		u32 d = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		u32 sa = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__builtin_memcpy(h->daddr, &d, 4);
		__builtin_memcpy(h->saddr, &sa, 4);
	} else if (fam == AF_INET6) {
		BPF_CORE_READ_INTO(&h->daddr, sk, __sk_common.skc_v6_daddr);
		BPF_CORE_READ_INTO(&h->saddr, sk, __sk_common.skc_v6_rcv_saddr);
	} else if (fam != AF_UNIX) {
		return 0;
	}
	h->dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	h->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	emit(ctx, s, sizeof(struct ev_hdr));
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int sys_exit_accept(struct sys_exit *ctx) { return do_accept_exit(ctx, ctx->ret); }

SEC("tracepoint/syscalls/sys_exit_accept4")
int sys_exit_accept4(struct sys_exit *ctx) { return do_accept_exit(ctx, ctx->ret); }

// ---- credentials, ptrace, namespaces, mounts ----

static __always_inline int do_simple(void *ctx, u32 type, u32 aux, u64 aux2)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct scratch *s = get_scratch();
	if (!s || fill(s, t, type))
		return 0;
	struct ev_hdr *h = (void *)s->data;
	h->aux = aux;
	h->aux2 = aux2;
	emit(ctx, s, sizeof(struct ev_hdr));
	return 0;
}

// pick returns the effective id a set*id call asks for: e, else r.
static __always_inline u64 pick(unsigned long r, unsigned long e)
{
	return (u32)e != 0xffffffff ? (u32)e : (u32)r;
}

SEC("tracepoint/syscalls/sys_enter_setuid")
int sys_enter_setuid(struct sys_enter *ctx) { return do_simple(ctx, T_SETUID, 0, (u32)ctx->args[0]); }

SEC("tracepoint/syscalls/sys_enter_setreuid")
int sys_enter_setreuid(struct sys_enter *ctx) { return do_simple(ctx, T_SETUID, 0, pick(ctx->args[0], ctx->args[1])); }

SEC("tracepoint/syscalls/sys_enter_setresuid")
int sys_enter_setresuid(struct sys_enter *ctx) { return do_simple(ctx, T_SETUID, 0, pick(ctx->args[0], ctx->args[1])); }

SEC("tracepoint/syscalls/sys_enter_setgid")
int sys_enter_setgid(struct sys_enter *ctx) { return do_simple(ctx, T_SETGID, 0, (u32)ctx->args[0]); }

SEC("tracepoint/syscalls/sys_enter_setregid")
int sys_enter_setregid(struct sys_enter *ctx) { return do_simple(ctx, T_SETGID, 0, pick(ctx->args[0], ctx->args[1])); }

SEC("tracepoint/syscalls/sys_enter_setresgid")
int sys_enter_setresgid(struct sys_enter *ctx) { return do_simple(ctx, T_SETGID, 0, pick(ctx->args[0], ctx->args[1])); }

SEC("tracepoint/syscalls/sys_enter_capset")
int sys_enter_capset(struct sys_enter *ctx)
{
	u32 data[6] = {};
	if (bpf_probe_read_user(data, sizeof(data), (void *)ctx->args[1]))
		bpf_probe_read_user(data, 12, (void *)ctx->args[1]);
	return do_simple(ctx, T_CAPSET, 0, (u64)data[0] | ((u64)data[3] << 32));
}

SEC("tracepoint/syscalls/sys_enter_ptrace")
int sys_enter_ptrace(struct sys_enter *ctx)
{
	long req = ctx->args[0];
	switch (req) {
	case 4:      // PTRACE_POKETEXT
	case 5:      // PTRACE_POKEDATA
	case 6:      // PTRACE_POKEUSER
	case 13:     // PTRACE_SETREGS
	case 15:     // PTRACE_SETFPREGS
	case 16:     // PTRACE_ATTACH
	case 0x4205: // PTRACE_SETREGSET
	case 0x4206: // PTRACE_SEIZE
		return do_simple(ctx, T_PTRACE, req, (u32)ctx->args[1]);
	}
	return 0;
}

#define NS_FLAGS 0x7e020080UL // CLONE_NEW{NS,CGROUP,UTS,IPC,USER,PID,NET,TIME}

SEC("tracepoint/syscalls/sys_enter_unshare")
int sys_enter_unshare(struct sys_enter *ctx)
{
	unsigned long fl = ctx->args[0];
	if (!(fl & NS_FLAGS))
		return 0;
	return do_simple(ctx, T_UNSHARE, fl, 0);
}

#define NSFS_MAGIC 0x6e736673

SEC("tracepoint/syscalls/sys_enter_setns")
int sys_enter_setns(struct sys_enter *ctx)
{
	u32 nstype = ctx->args[1];
	if (nstype == 0 && bpf_core_field_exists(((struct ns_common *)0)->ns_type)) {
		// The type comes from the namespace file itself.
		struct task_struct *t = bpf_get_current_task_btf();
		struct file *f = fd_file(t, (int)ctx->args[0]);
		struct inode *ino = BPF_CORE_READ(f, f_inode);
		if (f && BPF_CORE_READ(ino, i_sb, s_magic) == NSFS_MAGIC) {
			struct ns_common *ns = BPF_CORE_READ(ino, i_private);
			nstype = BPF_CORE_READ(ns, ns_type);
		}
	}
	return do_simple(ctx, T_SETNS, nstype, (int)ctx->args[0]);
}

SEC("tracepoint/syscalls/sys_enter_mount")
int sys_enter_mount(struct sys_enter *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct scratch *s = get_scratch();
	if (!s || fill(s, t, T_MOUNT))
		return 0;
	struct ev_hdr *h = (void *)s->data;
	h->aux2 = ctx->args[3];
	u32 off = sizeof(struct ev_hdr);
	off = put_ustr(s, off, S_SRC, (void *)ctx->args[0]);
	off = put_ustr(s, off, S_PATH, (void *)ctx->args[1]);
	off = put_ustr(s, off, S_FSTYPE, (void *)ctx->args[2]);
	emit(ctx, s, off);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_move_mount")
int sys_enter_move_mount(struct sys_enter *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct scratch *s = get_scratch();
	if (!s || fill(s, t, T_MOUNT))
		return 0;
	struct ev_hdr *h = (void *)s->data;
	h->aux = 1; // move_mount
	h->aux2 = ctx->args[4];
	u32 off = sizeof(struct ev_hdr);
	off = put_ustr(s, off, S_SRC, (void *)ctx->args[1]);
	off = put_ustr(s, off, S_PATH, (void *)ctx->args[3]);
	emit(ctx, s, off);
	return 0;
}
