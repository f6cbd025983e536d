/*
 * main.c - the profiled program: everything lives in libprofiled; this file
 * only hands the command line over.
 */
#include "cli/cli.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
