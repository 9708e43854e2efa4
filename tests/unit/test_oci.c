#include "tap.h"
static int t0 (void) { return 0; }
TAP_MAIN (T (t0))
