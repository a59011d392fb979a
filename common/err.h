/* err: status codes and a thread-local one-line message, plus a GSL error handler.
 * Fallible functions return a status and set the message with err_set(); only cli/ prints. */
#ifndef BIASAMP_ERR_H
#define BIASAMP_ERR_H

enum {
    ERR_OK = 0,
    ERR_INVAL,       /* bad user input (config, argument, file contents): exit code 2 */
    ERR_IO,          /* file system or subprocess failure: exit code 1 */
    ERR_NUMERIC,     /* a numerical procedure failed where the caller needs a value */
    ERR_UNSUPPORTED, /* a valid request this build or machine cannot serve */
    ERR_RUNTIME      /* any other runtime failure */
};

/* Sets the thread-local message (printf format) and returns `code`, so that
 * `return err_set(ERR_IO, "cannot open '%s'", path);` is the idiom. */
int err_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes the current message with "prefix: " (e.g. a file name) and returns `code`. */
int err_prefix(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The last message set on this thread ("" if none). Valid until the next err_set. */
const char *err_msg(void);
void err_clear(void);

/* The process exit code for a status: 0 ok, 2 bad input, 1 anything else. */
int err_exit_code(int status);

/* Name of a status code ("ERR_INVAL", ...). */
const char *err_name(int status);

/* Replaces GSL's aborting handler with one that records the GSL reason as the thread's message
 * (status ERR_NUMERIC); GSL calls then return their error codes to the caller. Idempotent. */
void err_gsl_install(void);

#endif
