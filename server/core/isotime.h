#pragma once
// Now (UTC) as "2026-01-31T12:34:56.789Z", exactly what QDateTime::currentDateTimeUtc()
// .toString(Qt::ISODateWithMs) returns, without QDateTime's formatting (asprintf, QString
// round trips): every log line and every /health answer carries one.

#include <QByteArray>
#include <QDateTime>

#include <cstdio>
#include <ctime>

namespace bw {

inline QByteArray isoUtcNowMs()
{
    const qint64 ms = QDateTime::currentMSecsSinceEpoch();
    const std::time_t secs = std::time_t(ms / 1000);
    std::tm t{};
    gmtime_r(&secs, &t);
    char text[32];
    const int n = std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900, t.tm_mon + 1,
                                t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, int(ms % 1000));
    return QByteArray(text, n);
}

} // namespace bw
