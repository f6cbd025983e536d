/*
 * fuzz_router.c - libFuzzer driver for request routing: the raw-target
 * screen (src/http/screen.c) and the router (src/http/router.c) over the
 * APIs `serve` answers (src/cli/routes.c).
 *
 * The first byte picks the method, the rest is the request target.  A
 * target the screen accepts is routed; a match must name a handler, capture
 * at most HTTP_MAX_PARAMS non-empty segments without '/', and a 405 must
 * list the allowed methods.
 *
 * Memory: one heap pd_request and target copy per call, freed in the call.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "http/http.h"
#include "http/screen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = { "GET", "PUT", "DELETE", "POST", "HEAD", "PATCH" };
    pd_request *r;
    char *target;

    if (size < 1 || size > LIM_HTTP_URL_MAX * 2)
        return 0;
    r = calloc(1, sizeof(*r));
    target = malloc(size);
    if (r == NULL || target == NULL)
        abort();
    r->method = methods[data[0] % (sizeof(methods) / sizeof(methods[0]))];
    memcpy(target, data + 1, size - 1);
    target[size - 1] = '\0';                  /* the target ends at its first NUL, as from libmicrohttpd */
    screen_target(r, target);
    if (r->early == PD_OK && strlen(target) <= LIM_HTTP_URL_MAX) {
        route_result res = router_match(&app_router, r, screen_origin_form(target));
        if (res == ROUTE_OK) {
            if (r->route == NULL || r->route->fn == NULL || r->n_params > HTTP_MAX_PARAMS)
                abort();
            for (size_t i = 0; i < r->n_params; i++)
                if (r->params[i][0] == '\0' || strchr(r->params[i], '/') != NULL)
                    abort();
        } else if (res == ROUTE_BAD_METHOD && r->allow[0] == '\0') {
            abort();
        }
    }
    free(target);
    free(r);
    return 0;
}
