/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef P2PKP_COMMANDS_H
#define P2PKP_COMMANDS_H

#include <signal.h>

#include "options.h"

#define P2PKP_VERSION_STRING "0.1.0"

/* Exit codes: 0 success, 1 the operation failed, 2 the command line was wrong. */
#define EXIT_USAGE 2

int cmd_load(int argc, char **argv);
int cmd_unload(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_recv(int argc, char **argv);

extern const struct p2pkp_enum_val p2pkp_backend_vals[];

/* Set by SIGINT/SIGTERM once install_stop_handler() ran. */
extern volatile sig_atomic_t stop_requested;
/* Without SA_RESTART, so a wait in an event loop returns at once. */
void install_stop_handler(void);

/* Parse argv for cmd; returns -1 to go on, or the exit code to return now. */
int parse_or_exit(const struct p2pkp_cmd *cmd, int argc, char **argv, void *cfg);
/* One clear line and false unless running with the privileges XDP needs. */
bool require_root(const char *cmdname);
void apply_verbosity(bool verbose);

#endif /* P2PKP_COMMANDS_H */
