#ifndef CFERRY_ODBC_SHIM_H
#define CFERRY_ODBC_SHIM_H
#include <sql.h>
#include <sqlext.h>

/* ODBC passes integer attribute values in pointer arguments (SQLPOINTER); Swift cannot
   make a pointer from an integer without a cast C does quietly. */
static inline SQLRETURN cferry_odbc_set_env_int(SQLHENV h, SQLINTEGER attribute, SQLULEN value) {
    return SQLSetEnvAttr(h, attribute, (SQLPOINTER)value, 0);
}
static inline SQLRETURN cferry_odbc_set_connect_int(SQLHDBC h, SQLINTEGER attribute, SQLULEN value) {
    return SQLSetConnectAttr(h, attribute, (SQLPOINTER)value, 0);
}
static inline SQLRETURN cferry_odbc_set_stmt_int(SQLHSTMT h, SQLINTEGER attribute, SQLULEN value) {
    return SQLSetStmtAttr(h, attribute, (SQLPOINTER)value, 0);
}
#endif
