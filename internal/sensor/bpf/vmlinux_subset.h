/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A hand-written subset of the kernel's types: only the members the sensor
 * reads. Every struct carries preserve_access_index, so clang records each
 * member access as a CO-RE relocation and the loader (cilium/ebpf) rewrites
 * the offsets from the running kernel's BTF (/sys/kernel/btf/vmlinux). The
 * member order and offsets written here therefore do not matter; only the
 * names and types do. Members that sit inside anonymous unions or structs in
 * the kernel (dentry.d_name, inode.i_nlink, mm_struct.arg_start,
 * sock_common.skc_daddr...) are found by name through those anonymous
 * members.
 */
#ifndef PAVE_VMLINUX_SUBSET_H
#define PAVE_VMLINUX_SUBSET_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed int s32;
typedef signed long long s64;

#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)

typedef struct { u32 val; } kuid_t;
typedef struct { u32 val; } kgid_t;
typedef struct { u64 val; } kernel_cap_t;

struct qstr {
	u32 len;
	const unsigned char *name;
};

struct super_block {
	u32 s_dev;
	unsigned long s_magic;
};

struct inode {
	unsigned short i_mode;
	struct super_block *i_sb;
	unsigned long i_ino;
	unsigned int i_nlink;
	void *i_private;
};

struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
	struct inode *d_inode;
};

struct vfsmount {
	struct dentry *mnt_root;
	struct super_block *mnt_sb;
};

struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
};

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

struct file {
	struct path f_path;
	struct inode *f_inode;
	unsigned int f_mode;
	unsigned int f_flags;
	void *private_data;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

struct files_struct {
	struct fdtable *fdt;
};

struct fs_struct {
	struct path root;
	struct path pwd;
};

struct mm_struct {
	unsigned long arg_start;
	unsigned long arg_end;
};

struct cred {
	kuid_t uid;
	kgid_t gid;
	kuid_t euid;
	kernel_cap_t cap_permitted;
	kernel_cap_t cap_effective;
};

struct ns_common {
	u32 ns_type;
	unsigned int inum;
};

struct mnt_namespace {
	struct ns_common ns;
};

struct nsproxy {
	struct mnt_namespace *mnt_ns;
};

struct pid_namespace;

/* The element size must match the kernel's (16 bytes): numbers[] is
 * indexed with a variable, which CO-RE does not relocate. */
struct upid {
	int nr;
	struct pid_namespace *ns;
};

struct pid {
	unsigned int level;
	struct upid numbers[1];
};

struct tty_struct;

struct signal_struct {
	struct tty_struct *tty;
};

struct task_struct {
	int pid;
	int tgid;
	int exit_code;
	char comm[16];
	struct task_struct *real_parent;
	struct task_struct *group_leader;
	struct pid *thread_pid;
	const struct cred *cred;
	struct mm_struct *mm;
	struct fs_struct *fs;
	struct files_struct *files;
	struct nsproxy *nsproxy;
	struct signal_struct *signal;
	kuid_t loginuid;
};

struct linux_binprm {
	struct file *file;
	const char *filename;
};

/* Read whole: its only member is a union (in6_u). */
struct in6_addr {
	u8 in6_u[16];
};

struct sock_common {
	u32 skc_daddr;
	u32 skc_rcv_saddr;
	u16 skc_dport;
	u16 skc_num;
	unsigned short skc_family;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
};

struct sock {
	struct sock_common __sk_common;
	u16 sk_protocol;
};

struct socket {
	short type;
	struct sock *sk;
};

#pragma clang attribute pop

#endif
