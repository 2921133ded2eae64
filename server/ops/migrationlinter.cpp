#include "server/ops/migrationlinter.h"

#include "server/db/sql.h"

#include <QRegularExpression>
#include <QSet>

namespace bw::ops {

namespace {

const auto kCi = QRegularExpression::CaseInsensitiveOption;
constexpr auto kIdent = R"((?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*))";

// "Public"."X" → public.x as PostgreSQL folds it; unqualified names get "public.".
QString normalizeName(const QString &written)
{
    static const QRegularExpression part(QString::fromLatin1(kIdent));
    QStringList parts;
    auto it = part.globalMatch(written);
    while (it.hasNext()) {
        const QString p = it.next().captured(0);
        parts << (p.startsWith(u'"') ? p.mid(1, p.size() - 2).replace(QStringLiteral("\"\""), QStringLiteral("\""))
                                     : p.toLower());
    }
    if (parts.size() == 1)
        parts.prepend(QStringLiteral("public"));
    return parts.join(u'.');
}

QString unquote(const QString &ident)
{
    return ident.startsWith(u'"') ? ident.mid(1, ident.size() - 2) : ident.toLower();
}

// Splits "a, b (c, d), e" at top-level commas.
QStringList topLevelParts(const QString &text)
{
    QStringList out;
    int depth = 0;
    qsizetype start = 0;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (c == u'(')
            ++depth;
        else if (c == u')')
            --depth;
        else if (c == u',' && depth == 0) {
            out << text.mid(start, i - start).trimmed();
            start = i + 1;
        }
    }
    out << text.mid(start).trimmed();
    return out;
}

struct LiveDb {
    QSqlDatabase db;
    bool valid = false;
    int statStatements = -1; // -1 unknown, 0 unavailable, 1 available

    qint64 liveRows(const QString &table)
    {
        if (!valid)
            return -1;
        auto q = db::exec(db,
                          QStringLiteral("SELECT greatest(c.reltuples::bigint, coalesce(s.n_live_tup, 0)) FROM pg_class c "
                                         "LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.oid = to_regclass(?)"),
                          {table});
        if (!q || !q->next())
            return -1;
        return q->value(0).toLongLong();
    }
    bool tableExists(const QString &table)
    {
        if (!valid)
            return true;
        auto q = db::exec(db, QStringLiteral("SELECT to_regclass(?) IS NOT NULL"), {table});
        return q && q->next() && q->value(0).toBool();
    }
    QString columnComment(const QString &table, const QString &column)
    {
        if (!valid)
            return {};
        auto comment =
            db::scalar(db::exec(db,
                                QStringLiteral("SELECT coalesce(col_description(a.attrelid, a.attnum), '') FROM pg_attribute a "
                                               "WHERE a.attrelid = to_regclass(?) AND a.attname = ? AND NOT a.attisdropped"),
                                {table, column}));
        return comment ? comment->toString() : QString();
    }
    // Recent statements (pg_stat_statements) that mention both table and column; -1 = unknown.
    qint64 readers(const QString &table, const QString &column)
    {
        if (!valid || statStatements == 0)
            return -1;
        const QString bareTable = table.section(u'.', -1);
        auto q = db::exec(
            db,
            QStringLiteral("SELECT count(*) FROM pg_stat_statements WHERE query ~* ('\\m' || ? || '\\M') "
                           "AND query ~* ('\\m' || ? || '\\M') "
                           "AND query !~* '^\\s*(ALTER|COMMENT|CREATE|DROP|SELECT\\s+count\\(\\*\\)\\s+FROM\\s+pg_stat)'"),
            {QRegularExpression::escape(column), QRegularExpression::escape(bareTable)});
        if (!q || !q->next()) {
            statStatements = 0; // not installed in this database, or not preloaded
            return -1;
        }
        statStatements = 1;
        return q->value(0).toLongLong();
    }
};

} // namespace

QString LintFinding::toText() const
{
    return QStringLiteral("%1:%2: [%3] %4: %5").arg(file).arg(line).arg(severity, rule, message);
}

QJsonObject LintFinding::toJson() const
{
    return {{QStringLiteral("file"), file},       {QStringLiteral("line"), line},
            {QStringLiteral("rule"), rule},       {QStringLiteral("severity"), severity},
            {QStringLiteral("message"), message}, {QStringLiteral("statement"), statement}};
}

bool MigrationLinter::blocks(const QList<LintFinding> &findings)
{
    return std::any_of(findings.cbegin(), findings.cend(), [](const LintFinding &f) { return f.severity == u"block"; });
}

QList<SqlStatement> MigrationLinter::split(const QString &sql)
{
    QList<SqlStatement> out;
    SqlStatement cur;
    int line = 1;
    bool started = false;
    qsizetype rawStart = 0;
    const qsizetype n = sql.size();
    for (qsizetype i = 0; i < n;) {
        const QChar c = sql.at(i);
        const QChar next = i + 1 < n ? sql.at(i + 1) : QChar();
        if (c == u'-' && next == u'-') {
            qsizetype end = sql.indexOf(u'\n', i);
            if (end < 0)
                end = n;
            cur.comments << sql.mid(i + 2, end - i - 2).trimmed();
            i = end;
            continue;
        }
        if (c == u'/' && next == u'*') {
            qsizetype end = sql.indexOf(QStringLiteral("*/"), i + 2);
            end = end < 0 ? n : end + 2;
            cur.comments << sql.mid(i + 2, end - i - 4).trimmed();
            line += int(QStringView(sql).mid(i, end - i).count(u'\n'));
            i = end;
            cur.text += u' ';
            continue;
        }
        if (!started && !c.isSpace() && c != u';') {
            started = true;
            cur.line = line;
            rawStart = i;
        }
        if (c == u'\'' || c == u'"') {
            qsizetype j = i + 1;
            while (j < n) {
                if (sql.at(j) == c) {
                    if (j + 1 < n && sql.at(j + 1) == c) {
                        j += 2;
                        continue;
                    }
                    break;
                }
                ++j;
            }
            const QString lit = sql.mid(i, j - i + 1);
            line += int(lit.count(u'\n'));
            cur.text += c == u'"' ? lit : QStringLiteral("''"); // identifiers kept, string contents blanked
            i = j + 1;
            continue;
        }
        if (c == u'$') {
            static const QRegularExpression tag(QStringLiteral(R"(\$([A-Za-z_][A-Za-z0-9_]*)?\$)"));
            const auto m = tag.match(sql, i, QRegularExpression::NormalMatch, QRegularExpression::AnchorAtOffsetMatchOption);
            if (m.hasMatch()) {
                const QString t = m.captured(0);
                qsizetype end = sql.indexOf(t, i + t.size());
                end = end < 0 ? n : end + t.size();
                line += int(QStringView(sql).mid(i, end - i).count(u'\n'));
                cur.text += QStringLiteral("$$ $$");
                i = end;
                continue;
            }
        }
        if (c == u';') {
            if (started) {
                cur.raw = sql.mid(rawStart, i - rawStart).trimmed();
                cur.text = cur.text.simplified();
                out << cur;
            }
            cur = SqlStatement{};
            started = false;
            ++i;
            continue;
        }
        if (c == u'\n')
            ++line;
        cur.text += c;
        ++i;
    }
    if (started && !cur.text.trimmed().isEmpty()) {
        cur.raw = sql.mid(rawStart).trimmed();
        cur.text = cur.text.simplified();
        out << cur;
    }
    return out;
}

Result<QList<LintFinding>> MigrationLinter::lint(const QList<db::MigrationFile> &files, QSqlDatabase db,
                                                 const LintOptions &options)
{
    LiveDb live{db, db.isValid() && db.isOpen()};
    QList<LintFinding> findings;
    QSet<QString> newTables; // created earlier in this batch: empty, no running code reads them

    static const QRegularExpression createTable(
        QStringLiteral(
            R"(^CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:TEMP(?:ORARY)?\s+|UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(%1(?:\.%1)?))")
            .arg(QLatin1StringView(kIdent)),
        kCi);
    static const QRegularExpression alterTable(
        QStringLiteral(R"(^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(%1(?:\.%1)?)\s+(.*)$)").arg(QLatin1StringView(kIdent)),
        kCi | QRegularExpression::DotMatchesEverythingOption);
    static const QRegularExpression createIndex(
        QStringLiteral(
            R"(^CREATE\s+(?:UNIQUE\s+)?INDEX\s+(CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(?:%1\s+)?ON\s+(?:ONLY\s+)?(%1(?:\.%1)?))")
            .arg(QLatin1StringView(kIdent)),
        kCi);
    static const QRegularExpression dropCol(
        QStringLiteral(R"(^DROP\s+(?:COLUMN\s+)?(?:IF\s+EXISTS\s+)?(%1)(?:\s+(?:CASCADE|RESTRICT))?$)")
            .arg(QLatin1StringView(kIdent)),
        kCi);
    static const QRegularExpression dropOther(QStringLiteral(R"(^DROP\s+(CONSTRAINT|DEFAULT|NOT\s+NULL|IDENTITY|EXPRESSION)\b)"),
                                              kCi);
    static const QRegularExpression addCol(
        QStringLiteral(R"(^ADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(%1)\s+(.*)$)").arg(QLatin1StringView(kIdent)),
        kCi | QRegularExpression::DotMatchesEverythingOption);
    static const QRegularExpression addConstraint(QStringLiteral(R"(^ADD\s+(CONSTRAINT|PRIMARY|UNIQUE|CHECK|FOREIGN|EXCLUDE)\b)"),
                                                  kCi);
    static const QRegularExpression alterType(
        QStringLiteral(R"(^ALTER\s+(?:COLUMN\s+)?(%1)\s+(?:SET\s+DATA\s+)?TYPE\s+(.*)$)").arg(QLatin1StringView(kIdent)), kCi);
    static const QRegularExpression setNotNull(
        QStringLiteral(R"(^ALTER\s+(?:COLUMN\s+)?(%1)\s+SET\s+NOT\s+NULL)").arg(QLatin1StringView(kIdent)), kCi);
    static const QRegularExpression renameCol(
        QStringLiteral(R"(^RENAME\s+(?:COLUMN\s+)?(%1)\s+TO\s+(%1)$)").arg(QLatin1StringView(kIdent)), kCi);
    static const QRegularExpression allow(QStringLiteral(R"(^lint:\s*allow\s+([a-z_]+)\b(.*)$)"), kCi);

    for (const db::MigrationFile &file : files) {
        const QString fileName = file.fileName();
        for (const SqlStatement &st : split(QString::fromUtf8(file.sql))) {
            QHash<QString, QString> allowed; // rule → reason
            for (const QString &c : st.comments) {
                const auto m = allow.match(c);
                if (m.hasMatch())
                    allowed.insert(m.captured(1).toLower(), m.captured(2).trimmed());
            }
            const auto add = [&](const QString &rule, const QString &severity, const QString &message) {
                LintFinding f{fileName, st.line, rule, severity, message, st.raw.left(200)};
                if (allowed.contains(rule)) {
                    f.severity = QStringLiteral("allowed");
                    f.message +=
                        QStringLiteral(" (allowed: %1)")
                            .arg(allowed.value(rule).isEmpty() ? QStringLiteral("no reason given") : allowed.value(rule));
                }
                findings << f;
            };
            const QString &s = st.text;
            if (const auto m = createTable.match(s); m.hasMatch()) {
                newTables.insert(normalizeName(m.captured(1)));
                continue;
            }
            if (const auto m = createIndex.match(s); m.hasMatch()) {
                const QString table = normalizeName(m.captured(2));
                if (!m.captured(1).isEmpty() || newTables.contains(table))
                    continue;
                const qint64 rows = live.liveRows(table);
                if (rows < 0 && live.valid && !live.tableExists(table))
                    continue; // created by a statement we did not recognise
                if (rows < 0 || rows > options.largeTableRows)
                    add(QStringLiteral("index_not_concurrent"), QStringLiteral("block"),
                        QStringLiteral("CREATE INDEX on %1 (%2) blocks writes while it builds: use CREATE INDEX CONCURRENTLY "
                                       "for tables over %3 rows")
                            .arg(table, rows < 0 ? QStringLiteral("size unknown") : QStringLiteral("~%1 live rows").arg(rows))
                            .arg(options.largeTableRows));
                continue;
            }
            const auto at = alterTable.match(s);
            if (!at.hasMatch())
                continue;
            const QString table = normalizeName(at.captured(1));
            if (newTables.contains(table))
                continue;
            for (const QString &action : topLevelParts(at.captured(2))) {
                if (const auto m = dropCol.match(action); m.hasMatch() && !dropOther.match(action).hasMatch()) {
                    const QString col = unquote(m.captured(1));
                    const QString comment = live.columnComment(table, col);
                    const qint64 readers = live.readers(table, col);
                    if (readers > 0)
                        add(QStringLiteral("drop_column"), QStringLiteral("block"),
                            QStringLiteral(
                                "drops %1.%2, which is still read: %3 recent statement(s) in pg_stat_statements mention it")
                                .arg(table, col)
                                .arg(readers));
                    else if (!comment.startsWith(QStringLiteral("deprecated"), Qt::CaseInsensitive))
                        add(QStringLiteral("drop_column"), QStringLiteral("block"),
                            QStringLiteral(
                                "drops %1.%2 without the two-phase release: first ship code that stops reading it and mark it "
                                "(COMMENT ON COLUMN %1.%2 IS 'deprecated: …'), then drop it in the next release")
                                .arg(table, col));
                } else if (const auto m = renameCol.match(action); m.hasMatch()) {
                    add(QStringLiteral("rename_column"), QStringLiteral("block"),
                        QStringLiteral(
                            "renames %1.%2 under the running code: add the new column, write both, backfill, switch reads, "
                            "then drop the old one")
                            .arg(table, unquote(m.captured(1))));
                } else if (const auto m = addCol.match(action); m.hasMatch() && !addConstraint.match(action).hasMatch()) {
                    const QString def = m.captured(2);
                    static const QRegularExpression notNull(QStringLiteral(R"(\bNOT\s+NULL\b)"), kCi);
                    static const QRegularExpression hasValue(QStringLiteral(R"(\b(DEFAULT|GENERATED)\b)"), kCi);
                    if (notNull.match(def).hasMatch() && !hasValue.match(def).hasMatch())
                        add(QStringLiteral("not_null_without_default"), QStringLiteral("block"),
                            QStringLiteral(
                                "adds NOT NULL column %1.%2 without a DEFAULT: existing rows and the running code's INSERTs "
                                "fail; add it nullable or with a DEFAULT")
                                .arg(table, unquote(m.captured(1))));
                } else if (const auto m = alterType.match(action); m.hasMatch()) {
                    add(QStringLiteral("type_change"), QStringLiteral("block"),
                        QStringLiteral(
                            "changes the type of %1.%2 in place (table rewrite under an exclusive lock, old code breaks): "
                            "add a new column, backfill, switch reads, drop the old one")
                            .arg(table, unquote(m.captured(1))));
                } else if (const auto m = setNotNull.match(action); m.hasMatch()) {
                    const qint64 rows = live.liveRows(table);
                    if (rows < 0 || rows > options.largeTableRows)
                        add(QStringLiteral("set_not_null"), QStringLiteral("warn"),
                            QStringLiteral("SET NOT NULL on %1.%2 scans the whole table under an exclusive lock; add a "
                                           "CHECK (… IS NOT NULL) NOT VALID constraint and VALIDATE it first")
                                .arg(table, unquote(m.captured(1))));
                }
            }
        }
    }
    return findings;
}

} // namespace bw::ops
