/* The messages between keep and the container's side of it (the container's
 * init, the short-lived joiner that spawns it), on a SOCK_SEQPACKET pair.
 *
 * One type per step of the set-up, in the order they are sent; an fd rides
 * along where the type says so (SCM_RIGHTS).  A failure crosses as a typed
 * error {errno, message, hint}, which the receiver gets back as the
 * keep_error it was, so it is printed exactly as if it had happened on its
 * own side.  On the wire: a fixed header, then the message text and the hint. */
#ifndef KEEP_MSG_H
#define KEEP_MSG_H

#include <stddef.h>
#include <stdnoreturn.h>

#include "error.h"

enum keep_msg {
  KEEP_MSG_CLOSED = 0,    /* the other side is gone (EOF) */
  KEEP_MSG_GO,            /* keep -> init: ids mapped, cgroup joined: build the container */
  KEEP_MSG_TERMINAL,      /* init -> keep: the pty master [fd] */
  KEEP_MSG_ROOT_BUILT,    /* init -> keep: run the prestart and createRuntime hooks */
  KEEP_MSG_HOOK_STATE,    /* keep -> init: the state, for createContainer hooks [text] */
  KEEP_MSG_IDMAPPED_TREE, /* keep -> init: the tree of mounts[text] [fd] */
  KEEP_MSG_LISTENER,      /* init -> keep: the seccomp notify listener [fd] */
  KEEP_MSG_READY,         /* init -> keep: set up; the workload runs or waits for start */
  KEEP_MSG_RECORDED,      /* keep -> init: create saved the state: outlive it (not keep run) */
  KEEP_MSG_RECORDED_ACK,  /* init -> keep: parent-death signal dropped */
  KEEP_MSG_PIDFD,         /* joiner -> keep: the init's pidfd [fd] */
  KEEP_MSG_ERROR,         /* either way: a failure {errno, message, hint} */
};

/* Send `type` with optional text and fd (-1: none). */
int keep_msg_send(int sock, enum keep_msg type, const char *text, int fd, keep_error **err);
/* Send `e` as KEEP_MSG_ERROR (best effort: the caller is about to exit). */
void keep_msg_send_error(int sock, const keep_error *e);
/* Fail on the container's side: tell keep what failed, and exit 125. */
noreturn void keep_msg_fail(int sock, keep_error *e);

/* Receive one message: returns its type (KEEP_MSG_CLOSED at EOF), or -1.
 * A KEEP_MSG_ERROR comes back as -1 with *err the sender's error.  `text`
 * (may be NULL) gets the text, NUL-terminated and cut to textlen; `fd` (may
 * be NULL: any fd received is closed) gets the fd or -1. */
int keep_msg_recv(int sock, char *text, size_t textlen, int *fd, keep_error **err);
/* Receive and insist on `want`; anything else fails, naming `step`. */
int keep_msg_expect(int sock, enum keep_msg want, const char *step, keep_error **err);

#endif
