#include <zlib.h>
// inflateInit2 is a macro over inflateInit2_ that Swift cannot import.
static inline int dataflow_inflate_init_raw(z_stream *stream) {
    return inflateInit2_(stream, -MAX_WBITS, ZLIB_VERSION, (int)sizeof(z_stream));
}
