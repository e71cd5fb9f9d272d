/* json_test.c compiled as C++ (scripts/check-abi.sh: C++11/17/20, g++ and clang++). */
#include "json_test.c"
