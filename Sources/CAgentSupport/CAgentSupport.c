#define _GNU_SOURCE
#include "CAgentSupport.h"
#include <malloc.h>
#include <nss.h>
#include <sys/socket.h>
#include <pthread.h>

int jf_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

int jf_accept_cloexec(int listener) {
    return accept4(listener, NULL, NULL, SOCK_CLOEXEC);
}

int jf_limit_malloc_arenas(int count) {
    return mallopt(M_ARENA_MAX, count);
}

int jf_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* Only async-signal-safe work from here to execve or _exit: the agent has many threads, and
   the forked child holds a copy of whatever locks they held. */
static void jf_child_fail(int fd, int step) {
    int report[2] = { step, errno };
    ssize_t ignored = write(fd, report, sizeof report);
    (void)ignored;
    _exit(127);
}

static void jf_close_others(int keep) {
    /* close_range (Linux 5.9+); older kernels get a bounded loop. */
    if (keep > 3) syscall(SYS_close_range, 3U, (unsigned int)keep - 1, 0U);
    if (syscall(SYS_close_range, (unsigned int)keep + 1, ~0U, 0U) == 0) return;
    for (int fd = 3; fd < 65536; fd++) if (fd != keep) close(fd);
}

static void jf_child(const jf_spawn_params *p, int report, const sigset_t *empty) {
    struct sigaction dfl;
    dfl.sa_handler = SIG_DFL;
    dfl.sa_flags = 0;
    sigemptyset(&dfl.sa_mask);
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, NULL);
    }
    if (p->new_session && setsid() < 0) jf_child_fail(report, JF_STEP_SETSID);
    if (p->open_files >= 0) {
        struct rlimit limit = { (rlim_t)p->open_files, (rlim_t)p->open_files };
        if (setrlimit(RLIMIT_NOFILE, &limit) != 0) jf_child_fail(report, JF_STEP_RLIMIT);
    }
    if (p->change_identity) {
        if (syscall(SYS_setgroups, (size_t)p->group_count, p->groups) != 0) jf_child_fail(report, JF_STEP_SETGROUPS);
        if (syscall(SYS_setresgid, p->gid, p->gid, p->gid) != 0) jf_child_fail(report, JF_STEP_SETGID);
        if (syscall(SYS_setresuid, p->uid, p->uid, p->uid) != 0) jf_child_fail(report, JF_STEP_SETUID);
    }
    if (p->directory && chdir(p->directory) != 0) jf_child_fail(report, JF_STEP_CHDIR);
    if (p->output >= 0) {
        if (dup2(p->output, 1) < 0) jf_child_fail(report, JF_STEP_STDIO);
    } else {
        int null = open("/dev/null", O_WRONLY);
        if (null < 0 || dup2(null, 1) < 0) jf_child_fail(report, JF_STEP_STDIO);
        if (null != 1) close(null);
    }
    if (dup2(1, 2) < 0) jf_child_fail(report, JF_STEP_STDIO);
    int input = open("/dev/null", O_RDONLY);
    if (input < 0 || dup2(input, 0) < 0) jf_child_fail(report, JF_STEP_STDIO);
    if (input > 2 && input != report) close(input);
    jf_close_others(report);
    sigprocmask(SIG_SETMASK, empty, NULL);
    execve(p->path, p->argv, p->envp);
    jf_child_fail(report, JF_STEP_EXEC);
}

int jf_spawn_as(const jf_spawn_params *params, int *pid, int *step) {
    int fds[2];
    *pid = 0;
    *step = JF_STEP_NONE;
    if (pipe2(fds, O_CLOEXEC) != 0) { *step = JF_STEP_PIPE; return errno; }
    /* Keep the report pipe clear of 0, 1 and 2, which the child replaces. */
    for (int i = 0; i < 2; i++) {
        if (fds[i] < 3) {
            int moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
            int saved = errno;
            close(fds[i]);
            if (moved < 0) { close(fds[1 - i]); *step = JF_STEP_PIPE; return saved; }
            fds[i] = moved;
        }
    }
    /* Signals stay blocked across fork, so no handler of the agent runs in the child before
       the child has put every action back to its default. */
    sigset_t all, old, empty;
    sigfillset(&all);
    sigemptyset(&empty);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t child = fork();
    if (child == 0) {
        close(fds[0]);
        jf_child(params, fds[1], &empty);
    }
    int fork_error = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(fds[1]);
    if (child < 0) { close(fds[0]); *step = JF_STEP_FORK; return fork_error; }
    int report[2];
    ssize_t got;
    do { got = read(fds[0], report, sizeof report); } while (got < 0 && errno == EINTR);
    close(fds[0]);
    if (got == (ssize_t)sizeof report) {
        int status;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
        *step = report[0];
        return report[1] ? report[1] : EIO;
    }
    *pid = child;
    return 0;
}

int jf_nss_builtin_modules_only(void) {
    /* glibc >= 2.34 builds "files" and "dns" into libc (libc.a too), so these load nothing. */
    int failures = 0;
    failures += __nss_configure_lookup("passwd", "files") != 0;
    failures += __nss_configure_lookup("group", "files") != 0;
    failures += __nss_configure_lookup("hosts", "files dns") != 0;
    return failures;
}
