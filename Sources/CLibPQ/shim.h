// libpq, PostgreSQL's own C client (libpq-dev). Quoted includes inside libpq-fe.h resolve
// next to it, so no extra search path is needed.
#include <postgresql/libpq-fe.h>
