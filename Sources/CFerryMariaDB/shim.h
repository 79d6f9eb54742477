#ifndef CFERRY_MARIADB_SHIM_H
#define CFERRY_MARIADB_SHIM_H
#include <mysql.h>

/* MYSQL_BIND's fields move between Connector/C releases; these set the few Ferry uses
   without Swift depending on the struct's layout beyond its size. */
static inline void cferry_mysql_bind(MYSQL_BIND *b, enum enum_field_types type, void *buffer,
                                     unsigned long capacity, unsigned long *length, my_bool *is_null) {
    b->buffer_type = type;
    b->buffer = buffer;
    b->buffer_length = capacity;
    b->length = length;
    b->is_null = is_null;
}
/* An integer parameter that is unsigned (BIGINT UNSIGNED past Int64). */
static inline void cferry_mysql_bind_unsigned(MYSQL_BIND *b) { b->is_unsigned = 1; }
static inline int cferry_mysql_option_uint(MYSQL *m, enum mysql_option o, unsigned int v) { return mysql_options(m, o, &v); }
static inline int cferry_mysql_option_bool(MYSQL *m, enum mysql_option o, my_bool v) { return mysql_options(m, o, &v); }
static inline my_bool cferry_mysql_stmt_attr_bool(MYSQL_STMT *s, enum enum_stmt_attr_type a, my_bool v) { return mysql_stmt_attr_set(s, a, &v); }
#endif
