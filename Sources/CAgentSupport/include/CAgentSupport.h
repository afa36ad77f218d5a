#ifndef JOBFLEET_CAGENTSUPPORT_H
#define JOBFLEET_CAGENTSUPPORT_H

#include <spawn.h>

/* glibc's value of POSIX_SPAWN_SETSID (>= 2.26); Swift's Glibc import hides the name. */
#define JF_POSIX_SPAWN_SETSID 0x80

/* posix_spawn_file_actions_addchdir_np (glibc >= 2.29), hidden from Swift behind _GNU_SOURCE. */
int jf_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/* posix_spawn_file_actions_addclosefrom_np (glibc >= 2.34): the child keeps only stdin,
   stdout and stderr, whatever descriptors the agent inherited without close-on-exec. */
int jf_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int from);

/* accept4 with SOCK_CLOEXEC, so an accepted connection never leaks into a spawned service. */
int jf_accept_cloexec(int listener);

/* Makes glibc answer user, group and host lookups with the modules built into libc itself
   (files; files and dns for hosts) whatever /etc/nsswitch.conf lists. Returns 0 on success.
   The release agent is linked statically: any other module (systemd, sss, ldap, myhostname)
   would be dlopen'ed from the host's glibc into a process that carries its own, which
   crashes. */
int jf_nss_builtin_modules_only(void);

/* mallopt(M_ARENA_MAX, count): malloc.h is not part of Swift's Glibc import. */
int jf_limit_malloc_arenas(int count);

/* What jf_spawn_as does in the child between fork and exec. */
typedef struct {
    const char *path;          /* the program, already resolved: execve does no PATH search */
    char *const *argv;
    char *const *envp;
    const char *directory;     /* chdir after the identity changed; NULL keeps the agent's */
    int output;                /* becomes stdout and stderr; -1 sends them to /dev/null */
    int new_session;           /* setsid */
    int change_identity;       /* setgroups, setresgid, setresuid to the fields below */
    unsigned int uid;
    unsigned int gid;
    const unsigned int *groups;
    int group_count;
    long long open_files;      /* RLIMIT_NOFILE soft and hard; < 0 keeps the agent's */
} jf_spawn_params;

/* Steps reported by jf_spawn_as when the child failed before exec. */
enum {
    JF_STEP_NONE = 0, JF_STEP_FORK, JF_STEP_PIPE, JF_STEP_SETSID, JF_STEP_RLIMIT, JF_STEP_SETGROUPS,
    JF_STEP_SETGID, JF_STEP_SETUID, JF_STEP_CHDIR, JF_STEP_STDIO, JF_STEP_EXEC
};

/* fork, then in the child only async-signal-safe calls: default signal actions, setsid, the
   open-files limit, groups, gid, uid (raw syscalls, so glibc's all-threads setxid machinery
   never runs in the forked child), chdir, stdio, closing every other descriptor, empty
   signal mask, execve. A failure before exec comes back through a close-on-exec pipe: returns
   0 with *pid set, or an errno with *step saying which step failed (the child is reaped). */
int jf_spawn_as(const jf_spawn_params *params, int *pid, int *step);

#endif
