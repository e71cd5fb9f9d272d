/* The same translation unit as main.c, compiled as C++: scripts/check-abi.sh runs it as C++11,
 * C++17 and C++20 with -Wall -Wextra -Werror -pedantic under g++ and clang++, so the header is
 * checked as a C++ program sees it (extern "C", no C-only constructs). */
#include "main.c"
