#pragma once
// Where and how to reach PostgreSQL. A plain value: copy it freely between threads.

#include "server/core/result.h"

#include <QString>

namespace bw::db {

struct ConnectionSettings {
    QString host; // host name, or a Unix socket directory (starts with '/'); empty = libpq default
    int port = 5432;
    QString database;
    QString user;
    QString password;
    QString sslMode; // libpq sslmode; empty = libpq default
    QString applicationName = QStringLiteral("betterworld");
    int statementTimeoutMs = 5000;
    int idleInTransactionTimeoutMs = 10000;

    // Parses a libpq URL: postgresql://user:pass@host:port/db?sslmode=require&host=/run/sock
    // ("postgres://" too). Components are percent-decoded; query parameters override the
    // authority part as in libpq. Supported parameters: host, port, dbname, user, password,
    // sslmode, application_name. Anything else (or several hosts) is a BadRequest error.
    static Result<ConnectionSettings> fromUrl(const QString &url);

    // The settings as a postgresql:// URL that libpq tools (psql, pg_dump) accept.
    QString toUrl() const;
    // Same, with the password replaced by *** (for logs and UIs).
    QString redactedUrl() const;
};

} // namespace bw::db
