#ifndef CFERRY_LIBXML2_SHIM_H
#define CFERRY_LIBXML2_SHIM_H
// libxml2's HTML parser, for the tests that check escaped output the way a browser's
// tokeniser reads it (issue 16). Nothing in Ferry itself links it.
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

// xmlFree is a global function pointer, which Swift 6 cannot read safely.
static inline void cferry_xml_free(void *pointer) { xmlFree(pointer); }
#endif
