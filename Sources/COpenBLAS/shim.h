// OpenBLAS's CBLAS interface (the openblas.pc include path points at openblas-pthread).
#include <cblas.h>
