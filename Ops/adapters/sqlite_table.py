#!/usr/bin/env python3
"""A Ferry exec adapter in Python: one table of an SQLite database, as a source and a sink.

It shows the protocol of docs/adapter-protocol.md end to end and is small enough to copy:
read one request from standard input, answer with JSON lines on standard output, write
diagnostics to standard error. Only the standard library is used.

config: {"database": "data/legacy.db", "table": "people", "cursor": "updated", "key": ["id"]}
"""
import json
import sqlite3
import sys


def send(message):
    sys.stdout.write(json.dumps(message, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def log(level, text):
    send({"type": "LOG", "level": level, "message": text})


def fail(failure_type, text):
    send({"type": "TRACE", "trace": {"type": "ERROR", "failure_type": failure_type, "message": text}})
    sys.exit(0)


def quote(name):
    return '"' + name.replace('"', '""') + '"'


def open_table(config):
    try:
        db = sqlite3.connect(config["database"])
    except (KeyError, sqlite3.Error) as error:
        fail("config_error", f"cannot open the database: {error}")
    table = config.get("table", "")
    if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone() is None:
        fail("config_error", f"table {table} does not exist")
    columns = [row[1] for row in db.execute(f"PRAGMA table_info({quote(table)})")]
    return db, table, columns


def read(config, state, batch_size):
    db, table, columns = open_table(config)
    cursor = config.get("cursor", "rowid")
    state = state or {}
    last, rowid = state.get("cursor"), state.get("rowid", 0)
    log("INFO", f"reading {table} after {last!r}")
    column = "rowid" if cursor == "rowid" else quote(cursor)
    if last is None:
        rows = db.execute(f"SELECT rowid, * FROM {quote(table)} ORDER BY {column}, rowid")
    else:
        rows = db.execute(
            f"SELECT rowid, * FROM {quote(table)} WHERE {column} > ? OR ({column} = ? AND rowid > ?) ORDER BY {column}, rowid",
            (last, last, rowid))
    count = 0
    for row in rows:
        record = dict(zip(columns, row[1:]))
        send({"type": "RECORD", "record": record, "position": f"{table} rowid {row[0]}"})
        last, rowid = (row[0] if cursor == "rowid" else record[cursor]), row[0]
        count += 1
        if count % batch_size == 0:
            send({"type": "STATE", "state": {"cursor": last, "rowid": rowid}})
    if count % batch_size != 0:
        send({"type": "STATE", "state": {"cursor": last, "rowid": rowid}})


def write(config, messages):
    db, table, columns = open_table(config)
    key = config.get("key", [])
    for message in messages:
        if message.get("type") != "RECORD":
            continue
        index, record, version = message["index"], message["record"], message.get("version_column")
        try:
            if message.get("op") == "delete":
                sql = f"DELETE FROM {quote(table)} WHERE " + " AND ".join(f"{quote(k)} = ?" for k in key)
                values = [record.get(k) for k in key]
                if version and record.get(version) is not None:
                    sql += f" AND {quote(version)} <= ?"
                    values.append(record[version])
                changed = db.execute(sql, values).rowcount
            else:
                names = sorted(record)
                updates = ", ".join(f"{quote(n)} = excluded.{quote(n)}" for n in names if n not in key)
                sql = (f"INSERT INTO {quote(table)} ({', '.join(map(quote, names))}) VALUES ({', '.join('?' for _ in names)}) "
                       f"ON CONFLICT ({', '.join(map(quote, key))}) DO UPDATE SET {updates}")
                if version:
                    sql += f" WHERE excluded.{quote(version)} > {quote(table)}.{quote(version)}"
                changed = db.execute(sql, [record[n] for n in names]).rowcount
            send({"type": "OUTCOME", "index": index, "outcome": "applied" if changed else "skipped"})
        except sqlite3.Error as error:
            send({"type": "OUTCOME", "index": index, "outcome": "rejected", "reason": str(error)})
    db.commit()


def main():
    first = sys.stdin.readline()
    if not first:
        return
    request = json.loads(first)
    kind, config = request.get("type"), request.get("config") or {}
    if kind == "SPEC":
        send({"type": "SPEC", "spec": {"config": {"database": "path", "table": "name", "cursor": "column or rowid", "key": "[columns]"}}})
    elif kind == "CHECK":
        try:
            open_table(config)
            send({"type": "CONNECTION_STATUS", "status": "SUCCEEDED"})
        except SystemExit:
            pass
    elif kind == "DISCOVER":
        _, table, columns = open_table(config)
        send({"type": "CATALOG", "streams": [{"name": table, "fields": columns}]})
    elif kind == "READ":
        read(config, request.get("state"), int(request.get("batch_size") or 1000))
    elif kind == "WRITE":
        messages = []
        for line in sys.stdin:
            message = json.loads(line)
            if message.get("type") == "END":
                break
            messages.append(message)
        write(config, messages)
    else:
        fail("system_error", f"unknown request {kind}")


if __name__ == "__main__":
    main()
