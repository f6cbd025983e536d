/*
 * changes.c - see changes.h.
 *
 * The counter file: 64 bytes, "PDCHG\001\0\0" then the counter (a native
 * uint64, starts at 1, read and added to with atomics through a MAP_SHARED
 * mapping; lock-free 8-byte atomics work across processes on the same
 * memory).  Created under flock() by the first process, so two processes
 * opening at once agree on one header.
 *
 * A stamp of the file source is (attach epoch << 44) | counter, so values
 * of a file attached later (the old one deleted or replaced) never repeat
 * one of an earlier file.
 *
 * Memory: pd_changes_file objects live on a process list, freed by the last
 * pd_changes_file_put; a mapping is unmapped only then (a stamp reader that
 * raced a detach reads a live mapping).  A mapping the SIGBUS handler
 * replaced with a private zero page is likewise unmapped at the last put.
 */
#include "store/changes.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/limits.h"
#include "core/log.h"

#define CHG_SIZE 64
#define CHG_MAGIC "PDCHG\001\0\0"
#define CHG_MAGIC_LEN 8
#define CHG_EPOCH_SHIFT 44
#define CHG_COUNTER_MASK ((UINT64_C(1) << CHG_EPOCH_SHIFT) - 1)
#define CHG_MAPS_MAX 8          /* mappings the SIGBUS handler can recognise */

/* One attached counter file (one mapping). */
typedef struct chg_map {
    unsigned char *base;            /* CHG_SIZE bytes, MAP_SHARED */
    _Atomic uint64_t *ctr;          /* base + 8 */
    dev_t dev;
    ino_t ino;
    _Atomic uint64_t epoch;         /* new at every attach and every pd_changes_start */
    atomic_bool broken;             /* truncated under us (SIGBUS) or replaced */
    struct chg_map *older;          /* mappings detached earlier (unmapped at the last put) */
} chg_map;

struct pd_changes_file {
    char *path;                     /* DB_PATH-changes */
    int refs;                       /* under g_mu */
    _Atomic(chg_map *) map;         /* NULL while no usable file is attached */
    _Atomic int64_t next_check_ms;  /* when to re-check the path (monotonic) */
    bool warned;                    /* a problem was logged (once per file) */
    pthread_mutex_t attach_mu;
    struct pd_changes_file *next;
};

typedef enum { SRC_NONE = 0, SRC_LOCAL, SRC_FILE, SRC_LISTEN } chg_source;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;   /* the file list, the source */
static pd_changes_file *g_files;
static _Atomic int g_source = SRC_NONE;
static pd_changes_file *g_src_file;                         /* SRC_FILE (a reference) */
static _Atomic(pd_changes_file *) g_src_file_fast;
static _Atomic uint64_t g_local = 1;                         /* this process's counter */
static atomic_bool g_listen_up;
static atomic_int g_listen_fd = -1;                          /* the LISTEN socket while up */
static atomic_uint_fast64_t g_listen_seq;   /* odd while the listener reads and handles bytes */
static _Atomic uint64_t g_epoch;                             /* attaches so far */

/* ---- SIGBUS: a counter file truncated under its mapping ----------------- */

static _Atomic(chg_map *) g_maps[CHG_MAPS_MAX];
static struct sigaction g_old_bus;
static pthread_mutex_t g_bus_mu = PTHREAD_MUTEX_INITIALIZER;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *a = si != NULL ? (unsigned char *)si->si_addr : NULL;

    for (int i = 0; a != NULL && i < CHG_MAPS_MAX; i++) {
        chg_map *m = atomic_load(&g_maps[i]);
        if (m != NULL && a >= m->base && a < m->base + page) {
            /* a private zero page in its place: the access is retried, and
             * the broken flag makes every reader ignore what it reads */
            atomic_store(&m->broken, true);
            if (mmap(m->base, (size_t)page, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
                break;
            return;
        }
    }
    /* not ours: the previous disposition handles the re-raised fault */
    sigaction(SIGBUS, &g_old_bus, NULL);
    (void)sig;
    (void)uc;
}

/* Installs on_sigbus unless it is the handler already (someone may have
 * replaced it since: it is checked at every attach). */
static void bus_install(void)
{
    struct sigaction sa, cur;
    pthread_mutex_lock(&g_bus_mu);
    if (sigaction(SIGBUS, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) &&
        cur.sa_sigaction == on_sigbus) {
        pthread_mutex_unlock(&g_bus_mu);
        return;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, &g_old_bus);
    pthread_mutex_unlock(&g_bus_mu);
}

static bool maps_add(chg_map *m)
{
    for (int i = 0; i < CHG_MAPS_MAX; i++) {
        chg_map *none = NULL;
        if (atomic_compare_exchange_strong(&g_maps[i], &none, m))
            return true;
    }
    return false;
}

static void maps_remove(chg_map *m)
{
    for (int i = 0; i < CHG_MAPS_MAX; i++) {
        chg_map *cur = m;
        atomic_compare_exchange_strong(&g_maps[i], &cur, NULL);
    }
}

/* ---- the counter file --------------------------------------------------- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void warn_once(pd_changes_file *f, const char *what)
{
    if (f->warned)
        return;
    f->warned = true;
    log_msg(LOG_WARN, "store", "change signal %s: %s; the caches of this process validate "
            "against the database on every request until it is usable", f->path, what);
}

/* Opens (creating under flock) and maps f->path; NULL with *why when it
 * cannot be used. */
static chg_map *map_open(pd_changes_file *f, const char **why)
{
    struct stat st;
    chg_map *m = NULL;
    int fd = open(f->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

    if (fd < 0) {
        *why = errno == EACCES ? "cannot open it for writing (permission denied)"
                               : "cannot open or create it";
        return NULL;
    }
    if (flock(fd, LOCK_EX) != 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        *why = "not a regular file, or it cannot be locked";
        goto out;
    }
    if (st.st_size == 0) {
        unsigned char init[CHG_SIZE] = CHG_MAGIC;
        uint64_t one = 1;
        memcpy(init + CHG_MAGIC_LEN, &one, sizeof one);
        if (pwrite(fd, init, sizeof init, 0) != (ssize_t)sizeof init) {
            *why = "cannot write its header";
            goto out;
        }
        st.st_size = CHG_SIZE;
    }
    if (st.st_size != CHG_SIZE) {
        *why = "it has the wrong size (truncated or not ours: delete it, it is recreated)";
        goto out;
    }
    void *p = mmap(NULL, CHG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        *why = "cannot map it";
        goto out;
    }
    if (memcmp(p, CHG_MAGIC, CHG_MAGIC_LEN) != 0) {
        munmap(p, CHG_SIZE);
        *why = "its header is not ours (delete it, it is recreated)";
        goto out;
    }
    m = calloc(1, sizeof *m);
    if (m == NULL) {
        munmap(p, CHG_SIZE);
        *why = "out of memory";
        goto out;
    }
    m->base = p;
    m->ctr = (_Atomic uint64_t *)(void *)(m->base + CHG_MAGIC_LEN);
    m->dev = st.st_dev;
    m->ino = st.st_ino;
    atomic_store(&m->epoch, atomic_fetch_add(&g_epoch, 1) + 1);
    bus_install();
    if (!maps_add(m)) {
        munmap(p, CHG_SIZE);
        free(m);
        m = NULL;
        *why = "too many counter files in one process";
    }
out:
    /* unlock explicitly: the mapping keeps the open file description, and
     * with it a flock, alive after close */
    flock(fd, LOCK_UN);
    close(fd);
    return m;
}

static void map_free_chain(chg_map *m)
{
    while (m != NULL) {
        chg_map *older = m->older;
        maps_remove(m);
        munmap(m->base, CHG_SIZE);
        free(m);
        m = older;
    }
}

/* Whether the mapping is still the file at f->path, whole. */
static bool map_current(pd_changes_file *f, chg_map *m)
{
    struct stat st;
    if (atomic_load(&m->broken))
        return false;
    if (stat(f->path, &st) != 0 || st.st_dev != m->dev || st.st_ino != m->ino ||
        st.st_size != CHG_SIZE) {
        atomic_store(&m->broken, true);
        return false;
    }
    return true;
}

/* Re-checks the path and (re)attaches when needed; returns the usable map
 * or NULL.  force: check now, whatever the interval. */
static chg_map *refresh(pd_changes_file *f, bool force)
{
    chg_map *m = atomic_load(&f->map);
    int64_t now = now_ms();
    int64_t next = atomic_load(&f->next_check_ms);

    if (!force && now < next)
        return m != NULL && !atomic_load(&m->broken) ? m : NULL;
    if (!atomic_compare_exchange_strong(&f->next_check_ms, &next, now + LIM_CHANGES_CHECK_MS) && !force)
        return m != NULL && !atomic_load(&m->broken) ? m : NULL;
    pthread_mutex_lock(&f->attach_mu);
    m = atomic_load(&f->map);
    if (m == NULL || !map_current(f, m)) {
        const char *why = "it was deleted, replaced or truncated while in use";
        chg_map *fresh = map_open(f, &why);
        if (fresh == NULL) {
            if (m != NULL)
                warn_once(f, "it was deleted, replaced or truncated while in use");
            warn_once(f, why);
        } else {
            if (m != NULL) {
                log_msg(LOG_WARN, "store", "change signal %s: it was deleted, replaced or "
                        "truncated while in use; attached the file now at that path", f->path);
            }
            f->warned = false;
            fresh->older = m;
            atomic_store(&f->map, fresh);
        }
        m = fresh;
    }
    pthread_mutex_unlock(&f->attach_mu);
    return m;
}

pd_changes_file *pd_changes_file_get(const char *db_path)
{
    static const char suffix[] = "-changes";
    pd_changes_file *f;
    size_t n;

    if (db_path == NULL || db_path[0] == '\0')
        return NULL;
    n = strlen(db_path);
    pthread_mutex_lock(&g_mu);
    for (f = g_files; f != NULL; f = f->next)
        if (strncmp(f->path, db_path, n) == 0 && strcmp(f->path + n, suffix) == 0)
            break;
    if (f != NULL) {
        f->refs++;
        pthread_mutex_unlock(&g_mu);
        return f;
    }
    f = calloc(1, sizeof *f);
    if (f == NULL || (f->path = malloc(n + sizeof suffix)) == NULL) {
        free(f);
        pthread_mutex_unlock(&g_mu);
        return NULL;
    }
    memcpy(f->path, db_path, n);
    memcpy(f->path + n, suffix, sizeof suffix);
    f->refs = 1;
    pthread_mutex_init(&f->attach_mu, NULL);
    f->next = g_files;
    g_files = f;
    pthread_mutex_unlock(&g_mu);
    refresh(f, true);
    return f;
}

void pd_changes_file_put(pd_changes_file *f)
{
    if (f == NULL)
        return;
    pthread_mutex_lock(&g_mu);
    if (--f->refs > 0) {
        pthread_mutex_unlock(&g_mu);
        return;
    }
    for (pd_changes_file **pp = &g_files; *pp != NULL; pp = &(*pp)->next)
        if (*pp == f) {
            *pp = f->next;
            break;
        }
    pthread_mutex_unlock(&g_mu);
    map_free_chain(atomic_load(&f->map));
    pthread_mutex_destroy(&f->attach_mu);
    free(f->path);
    free(f);
}

void pd_changes_file_bump(pd_changes_file *f)
{
    atomic_fetch_add(&g_local, 1);
    if (f == NULL)
        return;
    /* a writer checks the path at every commit (a commit costs far more) */
    chg_map *m = refresh(f, true);
    if (m != NULL) {
        atomic_fetch_add(m->ctr, 1);
        if (atomic_load(&m->broken))        /* truncated just now: the next bump re-attaches */
            atomic_store(&f->next_check_ms, 0);
    }
}

static uint64_t file_stamp(pd_changes_file *f)
{
    chg_map *m = refresh(f, false);
    if (m == NULL)
        return 0;
    uint64_t v = atomic_load(m->ctr);
    if (atomic_load(&m->broken) || v == 0)
        return 0;
    return (atomic_load(&m->epoch) << CHG_EPOCH_SHIFT) | (v & CHG_COUNTER_MASK);
}

uint64_t pd_changes_file_value(pd_changes_file *f)
{
    if (f == NULL)
        return 0;
    chg_map *m = refresh(f, true);
    if (m == NULL)
        return 0;
    uint64_t v = atomic_load(m->ctr);
    return atomic_load(&m->broken) ? 0 : v;
}

/* ---- the process's stamp ------------------------------------------------ */

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* This thread's last poll of the LISTEN socket that found nothing waiting:
 * the descriptor, the listener's sequence then, and when (pd_changes_stamp). */
static _Thread_local struct {
    int fd;
    uint64_t seq;
    int64_t at_us;
} t_poll = { .fd = -1 };

uint64_t pd_changes_stamp(void)
{
    switch (atomic_load_explicit(&g_source, memory_order_acquire)) {
    case SRC_LOCAL:
        return atomic_load(&g_local);
    case SRC_FILE: {
        pd_changes_file *f = atomic_load(&g_src_file_fast);
        return f != NULL ? file_stamp(f) : 0;
    }
    case SRC_LISTEN: {
        /* read the state first: a bump between the two loads only makes
         * the stamp newer than what it vouches for */
        if (!atomic_load(&g_listen_up))
            return 0;
        /* the listener between reading bytes off the socket and acting
         * on them (bumping, or going down): trust nothing for now */
        uint64_t seq = atomic_load(&g_listen_seq);
        if (seq & 1)
            return 0;
        /* bytes waiting on the LISTEN socket that the listener has not
         * read yet (a notification, or the connection's end): trust
         * nothing for now.  With the sequence above this closes the
         * window of the listener thread's scheduling; what is left is
         * PostgreSQL's delivery. */
        struct pollfd p = { .fd = atomic_load(&g_listen_fd), .events = POLLIN };
        if (p.fd < 0)
            return 0;
        /* one poll serves this thread's requests for LIM_PG_LISTEN_POLL_REUSE_US
         * while the listener has not begun a read since (a system call per
         * cached GET was 5-10 % of its CPU) */
        int64_t now = now_us();
        if (t_poll.fd != p.fd || t_poll.seq != seq || now < t_poll.at_us ||
            now - t_poll.at_us >= LIM_PG_LISTEN_POLL_REUSE_US) {
            if (poll(&p, 1, 0) != 0)
                return 0;
            t_poll.fd = p.fd;
            t_poll.seq = seq;
            t_poll.at_us = now;
        }
        uint64_t v = atomic_load(&g_local);
        /* the descriptor was the listener's when polled (it is closed only
         * after the state goes down), and no read began since */
        if (atomic_load(&g_listen_seq) != seq)
            return 0;
        return atomic_load(&g_listen_up) ? v : 0;
    }
    default:
        return 0;
    }
}

void pd_changes_bump(void)
{
    atomic_fetch_add(&g_local, 1);
}

void pd_changes_listen_state(bool up, int fd)
{
    if (up)
        atomic_store(&g_listen_fd, fd);
    bool was = atomic_exchange(&g_listen_up, up);
    if (!up)
        atomic_store(&g_listen_fd, -1);
    if (up && !was)
        atomic_fetch_add(&g_local, 1);  /* whatever happened while down is unknown */
}

void pd_changes_listen_read(bool begin)
{
    (void)begin;
    atomic_fetch_add(&g_listen_seq, 1);     /* odd: reading; even: done */
}

void pd_changes_notified(void)
{
    atomic_fetch_add(&g_local, 1);
}

bool pd_changes_start(const char *url)
{
    pd_changes_stop();
    if (url == NULL)
        return false;
    if (strcmp(url, "sqlite::memory:") == 0) {
        atomic_store(&g_source, SRC_LOCAL);
        return true;
    }
    if (strncmp(url, "sqlite:", 7) == 0 && url[7] != '\0') {
        pd_changes_file *f = pd_changes_file_get(url + 7);
        if (f == NULL)
            return false;
        /* stamps from before this start never repeat (what happened while
         * no source ran is unknown) */
        chg_map *m = atomic_load(&f->map);
        if (m != NULL)
            atomic_store(&m->epoch, atomic_fetch_add(&g_epoch, 1) + 1);
        pthread_mutex_lock(&g_mu);
        g_src_file = f;
        atomic_store(&g_src_file_fast, f);
        pthread_mutex_unlock(&g_mu);
        atomic_store(&g_source, SRC_FILE);
        return atomic_load(&f->map) != NULL;
    }
    if (strncmp(url, "postgresql:", 11) == 0 || strncmp(url, "postgres:", 9) == 0) {
        atomic_store(&g_listen_up, false);
        atomic_store(&g_source, SRC_LISTEN);
        return pd_pg_listen_start(url);
    }
    log_msg(LOG_WARN, "store", "no change signal for this database: the caches validate "
            "against the database on every request");
    return false;
}

void pd_changes_stop(void)
{
    int was = atomic_exchange(&g_source, SRC_NONE);
    if (was == SRC_LISTEN)
        pd_pg_listen_stop();
    atomic_store(&g_listen_up, false);
    pthread_mutex_lock(&g_mu);
    pd_changes_file *f = g_src_file;
    g_src_file = NULL;
    atomic_store(&g_src_file_fast, NULL);
    pthread_mutex_unlock(&g_mu);
    /* a stamp reader may still hold f: it stays referenced by the store
     * handles of this process in the server; the last put frees it */
    pd_changes_file_put(f);
}
