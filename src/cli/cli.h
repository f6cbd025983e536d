/*
 * cli.h - the profiled command line: subcommands and their options.
 * Each cmd_* returns the process exit status (0 ok, 1 failure, 2 usage or
 * configuration problems).
 */
#ifndef PROFILED_CLI_H
#define PROFILED_CLI_H

#include "core/config.h"
#include "http/http.h"

int cli_main(int argc, char **argv);

int cmd_serve(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_integration(int argc, char **argv);   /* integration.c */
int cmd_control(int argc, char **argv);       /* control.c: a running server's test-control API */

/* Shared: --db resolution (flag > PROFILED_DB > default). Returned string is
 * argv's, the environment's or static. */
const char *cli_db_url(const char *flag);
/* Opens the store (creating an empty database when there is none) and
 * migrates it; prints the problem and returns NULL. */
struct pd_store *cli_open_store(const char *url);
/* The same for commands that only make sense on an existing database
 * (export, token, keys): a missing one is an error, never a new empty one. */
struct pd_store *cli_open_existing(const char *url);

/* Every API surface `serve` answers, in the order the router tries them
 * (routes.c). */
extern const pd_router app_router;

#endif
