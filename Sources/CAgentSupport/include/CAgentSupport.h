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

#endif
