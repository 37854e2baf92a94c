/*
 * nbgw-seccomp-log DENIED LOGGED_SOCKET_FAMILIES DENIED_SOCKET_FAMILIES -- KERNEL ARGV ...
 *
 * Makes attempts visible to the gateway without allowing anything new. The engine's seccomp profile already denies
 * (EPERM) the syscalls in DENIED, but a denial is only written to the kernel's audit log when the filter that decided
 * it was installed with SECCOMP_FILTER_FLAG_LOG, which Docker 20.10 cannot ask for. So this installs a second filter
 * with that flag: DENIED (comma-separated x86-64 syscall numbers) and socket() with a family in DENIED_SOCKET_FAMILIES
 * get EPERM from it as well, and socket() with a family in LOGGED_SOCKET_FAMILIES is allowed with SECCOMP_RET_LOG
 * (lists comma-separated, "-" for none). Everything else is left to the engine's filter. Filters stack and cannot be removed, so code started after this cannot undo it; where both
 * filters return EPERM the newer one (this) is the one the kernel credits, and logs. Then the kernel replaces this.
 *
 * Needs no_new_privs, which the gateway's containers always have. Hand-written BPF: no libseccomp in the image.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_LIST 64

static int parse_list(const char *text, unsigned long *out) {
    int n = 0;
    if (strcmp(text, "-") == 0) return 0;
    for (const char *p = text; *p;) {
        char *end;
        unsigned long value = strtoul(p, &end, 10);
        if (end == p || n == MAX_LIST || value > 4095) return -1;
        out[n++] = value;
        p = *end == ',' ? end + 1 : end;
        if (*end != ',' && *end != '\0') return -1;
    }
    return n;
}

static int usage(void) {
    fputs("usage: nbgw-seccomp-log DENIED LOGGED_SOCKET_FAMILIES DENIED_SOCKET_FAMILIES -- KERNEL ARGV ...\n", stderr);
    return 2;
}

int main(int argc, char **argv) {
    unsigned long denied[MAX_LIST], logged_families[MAX_LIST], denied_families[MAX_LIST];
    if (argc < 6 || strcmp(argv[4], "--") != 0) return usage();
    int denied_count = parse_list(argv[1], denied);
    int logged_count = parse_list(argv[2], logged_families), denied_family_count = parse_list(argv[3], denied_families);
    if (denied_count < 0 || logged_count < 0 || denied_family_count < 0) return usage();

    struct sock_filter program[8 + 2 * 3 * MAX_LIST];
    int length = 0;
    /* Another architecture or the x32 ABI: not ours to judge, the engine's filter already does. */
    program[length++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    program[length++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
    program[length++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    program[length++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    for (int i = 0; i < denied_count; i++) {
        program[length++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, denied[i], 0, 1);
        program[length++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA));
    }
    if (logged_count + denied_family_count > 0) {
        program[length++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 1, 0);
        program[length++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        /* The family is an int: the low 32 bits of the first argument (little-endian). */
        program[length++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]));
        for (int i = 0; i < logged_count; i++) {
            program[length++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, logged_families[i], 0, 1);
            program[length++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_LOG);
        }
        for (int i = 0; i < denied_family_count; i++) {
            program[length++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, denied_families[i], 0, 1);
            program[length++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA));
        }
    }
    program[length++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);

    struct sock_fprog filter = {.len = (unsigned short)length, .filter = program};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
        || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_LOG, &filter) != 0) {
        perror("nbgw-seccomp-log: seccomp");
        return 126;
    }
    execvp(argv[5], argv + 5);
    fprintf(stderr, "nbgw-seccomp-log: %s: %s\n", argv[5], strerror(errno));
    return 127;
}
