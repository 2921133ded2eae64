#pragma once
// Field readers the content inputs share on top of FieldReader (integers, ids, string lists,
// URL lists, timestamps) and the list parameters every content list takes (cursor, limit).
// Pure validation: any thread.

#include "server/domain/fieldreader.h"

#include "server/core/result.h"

#include <QDateTime>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>

namespace bw::domain::contentinput {

// Create: required fields must be present. Patch: everything optional, at least one field.
enum class Mode { Create, Patch };

// A JSON number that is a whole number within [min, max].
std::optional<qint64> integer(FieldReader &r, const QString &field, bool required, qint64 min, qint64 max);
// A canonical UUID string (case-insensitive input, returned lower-case).
std::optional<QString> uuid(FieldReader &r, const QString &field, bool required);
// An array of at most maxItems strings, each minLength..maxLength long.
std::optional<QStringList> stringList(FieldReader &r, const QString &field, int maxItems, int minLength, int maxLength);
// An array of at most maxItems http(s) URLs.
std::optional<QStringList> urlList(FieldReader &r, const QString &field, int maxItems);
// An ISO-8601 date-time with a zone ("…Z" or "…+02:00"), as UTC.
std::optional<QDateTime> timestamp(FieldReader &r, const QString &field, bool required);

// The key is present with the value null (PATCH: clear the field).
bool isExplicitNull(const QJsonObject &body, const QString &field);
// The key is present at all (null included).
bool has(const QJsonObject &body, const QString &field);

// ISO-8601 UTC with milliseconds and "Z", the API's timestamp format.
QString isoUtc(const QDateTime &t);

// ?cursor=…&limit=… (1..100, default 20); errors go to `errors`.
struct ListParams {
    QString cursor;
    int limit = 20;
    static ListParams parse(const QMap<QString, QString> &query, FieldErrors &errors);
};

// An optional numeric query parameter within [min, max] (integer when wholeNumber).
std::optional<double> queryNumber(const QMap<QString, QString> &query, const QString &name, double min, double max,
                                  bool wholeNumber, FieldErrors &errors);

} // namespace bw::domain::contentinput
