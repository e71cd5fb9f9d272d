#ifndef SWITCHYARD_CPCRE2_SHIM_H
#define SWITCHYARD_CPCRE2_SHIM_H
/* PCRE2's 8-bit library (UTF-8 text). The width must be chosen before the header; Swift does
 * not import the unsuffixed function macros (pcre2_compile ...), so callers use the _8 names. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#endif
