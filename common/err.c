/* err: thread-local status messages and the GSL error handler (GSL's default aborts). */
#include "err.h"

#include <gsl/gsl_errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ERR_MSG_MAX 1024

static _Thread_local char err_buf[ERR_MSG_MAX];

int err_set(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err_buf, sizeof err_buf, fmt, ap);
    va_end(ap);
    return code;
}

int err_prefix(int code, const char *fmt, ...)
{
    char prefix[ERR_MSG_MAX], old[ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err_buf, sizeof old);
    snprintf(err_buf, sizeof err_buf, "%s: %s", prefix, old);
    return code;
}

const char *err_msg(void) { return err_buf; }

void err_clear(void) { err_buf[0] = '\0'; }

int err_exit_code(int status)
{
    if (status == ERR_OK) return 0;
    return status == ERR_INVAL ? 2 : 1;
}

const char *err_name(int status)
{
    static const char *const names[] = {"ERR_OK",      "ERR_INVAL",       "ERR_IO",
                                        "ERR_NUMERIC", "ERR_UNSUPPORTED", "ERR_RUNTIME"};
    if (status >= 0 && status < (int)(sizeof names / sizeof names[0])) return names[status];
    return "ERR_UNKNOWN";
}

static void err_gsl_handler(const char *reason, const char *file, int line, int gsl_errno)
{
    err_set(ERR_NUMERIC, "GSL: %s (%s, %s:%d)", reason, gsl_strerror(gsl_errno), file, line);
}

void err_gsl_install(void) { gsl_set_error_handler(err_gsl_handler); }
