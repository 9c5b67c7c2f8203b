/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef P2PKP_COMMANDS_H
#define P2PKP_COMMANDS_H

#include "cli.h"
#include "options.h"

#define P2PKP_VERSION_STRING "0.1.0"

int cmd_load(int argc, char **argv);
int cmd_unload(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_recv(int argc, char **argv);
int cmd_keygen(int argc, char **argv);

/* Exit code of send when a receiver failed authentication (keys differ or missing). */
#define EXIT_AUTH 3

#endif /* P2PKP_COMMANDS_H */
