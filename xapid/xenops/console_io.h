/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Console I/O of running domains (console_io.c), on one event thread:
 *
 *  - serial capture: xapid is the client of each domain's serial socket
 *    (<vmdir>/serial.sock, a QEMU socket chardev) and writes what the
 *    guest prints to a bounded log: console.log, rotated to console.log.1
 *    when it passes CONIO_LOG_MAX, so at most twice that is kept;
 *  - proxies: a connection taken over from the HTTP server (CONNECT
 *    /console) is joined to the domain's VNC socket (RFB) or to its
 *    serial capture (vt100: output fanned out to every client, input
 *    forwarded to the guest). Buffers are bounded both ways; a full
 *    buffer stops reading from the other side (VNC) or drops serial
 *    output for that client only. Either side closing ends the proxy.
 */
#ifndef HALYARD_CONSOLE_IO_H
#define HALYARD_CONSOLE_IO_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

#define CONIO_LOG_MAX (1024 * 1024)

/* Starts the event thread (idempotent). */
void conio_start(void);
/* Closes every proxy and capture, stops the thread. */
void conio_stop(void);

/* Captures the serial console of VM uuid from <dir>/serial.sock
 * (idempotent; waits briefly for the socket). */
void conio_serial_attach(const char *uuid, const char *dir);
/* Stops the capture of VM uuid and ends its text-console proxies. */
void conio_serial_detach(const char *uuid);

/*
 * Starts proxying s (taken) to the connected socket backend_fd (taken,
 * RFB), or, when backend_fd is -1, to the serial capture of VM uuid.
 * first (may be NULL) is sent to the client before anything else (the
 * "HTTP/1.1 200 OK" line, or a websocket's 101 answer). ws: the client
 * side speaks WebSocket (binary frames each way; ping and close answered). Returns false when the serial capture of uuid
 * does not exist; s and backend_fd are then closed.
 */
bool conio_proxy(http_stream *s, int backend_fd, const char *uuid, const char *first, bool ws);

/* The console log of the VM in dir: console.log.1 then console.log (heap,
 * NUL-terminated; "" when there is none). */
char *conio_log_read(const char *dir, size_t *len);

#endif
