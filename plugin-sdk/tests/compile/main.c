/* Compiles the public header on its own, as C; the matrix in scripts/check-abi.sh runs it as
 * C99, C11 and C17 with -Wall -Wextra -Werror -pedantic under gcc and clang. */
#include "switchyard_plugin.h"

int main(void) {
    sy_negotiate negotiate = { sizeof(sy_negotiate), SY_ABI_MAJOR, SY_ABI_MINOR, 0, 0, 0 };
    sy_error error = { sizeof(sy_error), SY_OK, 0, 0, { 0 } };
    return (int)(negotiate.abi_major - SY_ABI_MAJOR) + error.code;
}
