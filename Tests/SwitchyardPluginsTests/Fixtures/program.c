/* An ELF executable, not a shared library: dlopen must refuse it (glibc will not load a PIE). */
#include <stdio.h>

int main(void) {
    puts("I am a program, not a plugin");
    return 0;
}
