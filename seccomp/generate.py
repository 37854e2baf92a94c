#!/usr/bin/python3
"""Generate seccomp/notebook.json, the seccomp profile of every notebook sandbox.

Shape (see seccomp/README.md and the design's security notes, section 1.4):

* allowlist: defaultAction SCMP_ACT_ERRNO with defaultErrnoRet 1 (EPERM);
* architectures: SCMP_ARCH_X86_64 only, so i386 `int 0x80` and x32 callers are
  killed by the runtime's bad-architecture action (SIGSYS);
* allowed = every syscall of the x86_64 table in the host header
  asm/unistd_64.h, minus DENY below, minus the names that get a special rule
  (SPECIAL); no `includes.caps`, so a capability granted by mistake re-opens nothing.

The output depends only on the header's syscall table and this file, so it is
reproducible: `/usr/bin/python3 seccomp/generate.py` rewrites the profile and
`/usr/bin/python3 seccomp/generate.py --check` fails when the committed file differs.
Install `linux-libc-dev` if the header is missing.
"""

import argparse
import json
import os
import re
import sys

HEADER = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"
VERSION_HEADER = "/usr/include/linux/version.h"
OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "notebook.json")

# Denied syscalls, grouped by reason. They are simply left out of the allowlist
# (the default action answers EPERM). Names that a given header does not know
# (newer kernels) are skipped; they are not allowed either.
DENY = {
    "io_uring: submissions bypass seccomp argument filters (IORING_OP_SOCKET "
    "reaches any address family); long CVE history; Docker < 25 allows it": [
        "io_uring_setup", "io_uring_enter", "io_uring_register",
    ],
    "cross-process memory access and tracing (Docker allows ptrace on kernel >= 4.8)": [
        "ptrace", "process_vm_readv", "process_vm_writev",
        "kcmp", "pidfd_getfd", "process_madvise",
    ],
    "rarely used, kernel-bug surface": [
        "modify_ldt", "vmsplice", "memfd_secret", "name_to_handle_at",
        "cachestat",  # page-cache side channel (Linux 6.5+)
    ],
    "namespaces and mounts (CAP_SYS_ADMIN in Docker's profile)": [
        "unshare", "setns", "mount", "umount2", "pivot_root", "chroot",
        "fsopen", "fsconfig", "fsmount", "fspick", "open_tree", "open_tree_attr",
        "move_mount", "mount_setattr",
    ],
    "kernel objects shared with the host (keyrings are not namespaced), "
    "BPF, perf, userfaultfd, fanotify": [
        "keyctl", "add_key", "request_key", "bpf", "perf_event_open",
        "userfaultfd", "fanotify_init", "lookup_dcookie",
        "lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules",
    ],
    "open_by_handle_at ('shocker' container escape)": [
        "open_by_handle_at",
    ],
    "NUMA policy and page migration (CAP_SYS_NICE in Docker's profile)": [
        "mbind", "set_mempolicy", "get_mempolicy", "set_mempolicy_home_node",
        "migrate_pages", "move_pages",
    ],
    "host administration: modules, kexec, reboot, swap, accounting, quotas, "
    "clocks, host names, raw I/O ports, kernel log, terminals": [
        "init_module", "finit_module", "delete_module", "create_module",
        "query_module", "get_kernel_syms", "kexec_load", "kexec_file_load",
        "reboot", "swapon", "swapoff", "acct", "quotactl", "quotactl_fd",
        "settimeofday", "clock_settime", "clock_adjtime", "sethostname",
        "setdomainname", "iopl", "ioperm", "syslog", "vhangup",
    ],
    "obsolete or unimplemented": [
        "uselib", "ustat", "sysfs", "_sysctl", "nfsservctl", "vserver",
        "afs_syscall", "tuxcall", "security", "getpmsg", "putpmsg",
        "epoll_ctl_old", "epoll_wait_old",
    ],
}

# Syscalls with their own rule below (not in the unconditional allowlist).
SPECIAL = ["clone", "clone3", "socket", "socketpair", "personality", "sync", "syncfs"]

AF_UNIX, AF_INET, AF_INET6, AF_NETLINK = 1, 2, 10, 16
NETLINK_ROUTE = 0
# CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
# CLONE_NEWPID | CLONE_NEWNET
CLONE_NAMESPACE_FLAGS = 0x7E020000
ENOSYS = 38


def read_table(path):
    """Return {name: number} from an asm/unistd_64.h."""
    table = {}
    pattern = re.compile(r"^#define\s+__NR_(\w+)\s+(\d+)\s*$")
    with open(path, encoding="ascii") as f:
        for line in f:
            m = pattern.match(line)
            if m:
                table[m.group(1)] = int(m.group(2))
    if len(table) < 300:
        sys.exit(f"generate.py: only {len(table)} syscalls parsed from {path}")
    return table


def headers_release():
    """'6.1' from linux/version.h (major.minor only, so point releases do not churn the file)."""
    try:
        with open(VERSION_HEADER, encoding="ascii") as f:
            text = f.read()
        major = re.search(r"LINUX_VERSION_MAJOR\s+(\d+)", text).group(1)
        minor = re.search(r"LINUX_VERSION_PATCHLEVEL\s+(\d+)", text).group(1)
        return f"{major}.{minor}"
    except (OSError, AttributeError):
        return "unknown"


def arg(index, value, op="SCMP_CMP_EQ", value_two=0):
    return {"index": index, "value": value, "valueTwo": value_two, "op": op}


def build(table):
    denied = set()
    for names in DENY.values():
        denied.update(names)
    overlap = denied & set(SPECIAL)
    if overlap:
        sys.exit(f"generate.py: names both denied and special: {sorted(overlap)}")
    missing_special = [n for n in SPECIAL if n not in table]
    if missing_special:
        sys.exit(f"generate.py: header lacks {missing_special}")

    allowed = sorted(n for n in table if n not in denied and n not in SPECIAL)

    rules = [
        {
            "names": allowed,
            "action": "SCMP_ACT_ALLOW",
            "comment": f"x86_64 syscall table of the Linux {headers_release()} UAPI headers "
                       "minus the deny list in seccomp/generate.py",
        },
        {
            "names": ["clone"],
            "action": "SCMP_ACT_ALLOW",
            "args": [arg(0, CLONE_NAMESPACE_FLAGS, "SCMP_CMP_MASKED_EQ", 0)],
            "comment": "clone without CLONE_NEW* flags (threads, fork); namespaces are denied",
        },
        {
            "names": ["clone3"],
            "action": "SCMP_ACT_ERRNO",
            "errnoRet": ENOSYS,
            "comment": "flags live in a struct seccomp cannot read; ENOSYS makes glibc fall back "
                       "to clone (EPERM would break thread creation)",
        },
        {
            "names": ["socket"],
            "action": "SCMP_ACT_ALLOW",
            "args": [arg(0, AF_UNIX)],
            "comment": "AF_UNIX: ZeroMQ ipc channels, asyncio, multiprocessing",
        },
        {
            "names": ["socket"],
            "action": "SCMP_ACT_ALLOW",
            "args": [arg(0, AF_INET)],
            "comment": "AF_INET: loopback-only helpers (no interface but lo exists)",
        },
        {
            "names": ["socket"],
            "action": "SCMP_ACT_ALLOW",
            "args": [arg(0, AF_INET6)],
            "comment": "AF_INET6: loopback-only helpers",
        },
        {
            "names": ["socket"],
            "action": "SCMP_ACT_ALLOW",
            "args": [arg(0, AF_NETLINK), arg(2, NETLINK_ROUTE)],
            "comment": "AF_NETLINK with NETLINK_ROUTE only: getifaddrs, getaddrinfo(AI_ADDRCONFIG)",
        },
        {
            "names": ["socketpair"],
            "action": "SCMP_ACT_ALLOW",
            "args": [arg(0, AF_UNIX)],
            "comment": "socketpair exists only for AF_UNIX in practice",
        },
        {
            "names": ["personality"],
            "action": "SCMP_ACT_ALLOW",
            "args": [arg(0, 0)],
            "comment": "PER_LINUX",
        },
        {
            "names": ["personality"],
            "action": "SCMP_ACT_ALLOW",
            "args": [arg(0, 0xFFFFFFFF)],
            "comment": "query the current persona",
        },
        {
            "names": ["sync", "syncfs"],
            "action": "SCMP_ACT_ERRNO",
            "errnoRet": 0,
            "comment": "fake success: no host-wide writeback storms from a tenant (fsync stays real)",
        },
    ]
    return {
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 1,
        "architectures": ["SCMP_ARCH_X86_64"],
        "syscalls": rules,
    }, allowed, sorted(n for n in denied if n in table), sorted(n for n in denied if n not in table)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--header", default=HEADER, help="asm/unistd_64.h to read")
    parser.add_argument("--output", default=OUTPUT, help="profile to write")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if the output file differs")
    args = parser.parse_args()

    if not os.path.exists(args.header):
        sys.exit(f"generate.py: {args.header} not found (apt-get install linux-libc-dev)")
    table = read_table(args.header)
    profile, allowed, denied, unknown = build(table)
    text = json.dumps(profile, indent=2) + "\n"

    summary = (f"{len(table)} syscalls in table: {len(allowed)} allowed, {len(denied)} denied, "
               f"{len(SPECIAL)} with special rules; not in this header: {', '.join(unknown) or '-'}")
    if args.check:
        try:
            with open(args.output, encoding="utf-8") as f:
                current = f.read()
        except OSError:
            current = None
        if current != text:
            print(f"{args.output} is out of date; run seccomp/generate.py", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date ({summary})")
        return 0

    with open(args.output, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {args.output} ({summary})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
