// Migrator: applying, recording, refusing edited files, concurrent runs; plus the schema's own
// guarantees (append-only audit log, enum CHECKs, unique live job keys).

#include "server/db/database.h"
#include "server/db/migrator.h"
#include "server/db/sql.h"
#include "tests/support/pgfixture.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QSemaphore>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <list>
#include <memory>

using namespace bw;
using namespace bw::db;

namespace {

QString errorText(const ApiError &e)
{
    return e.message;
}

bool writeFile(const QString &path, const QByteArray &content)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(content) == content.size();
}

// Copies the built-in migrations into dir, plus extra files.
bool copyBuiltIn(const QString &dir, const QList<QPair<QString, QByteArray>> &extra = {})
{
    for (const MigrationFile &f : Migrator::builtIn()) {
        if (!writeFile(dir + u'/' + f.fileName(), f.sql))
            return false;
    }
    for (const auto &[name, sql] : extra) {
        if (!writeFile(dir + u'/' + name, sql))
            return false;
    }
    return true;
}

} // namespace

class tst_Migrator final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void builtInFilesAreOrdered();
    void fromDirectoryRejectsBadNames();
    void appliesEverythingOnEmptyDatabase();
    void secondRunAppliesNothing();
    void changedAppliedFileIsHardError();
    void failingMigrationRollsBackAndNamesLine();
    void concurrentMigratorsApplyEachOnce();
    void auditLogIsAppendOnly();
    void schemaConstraints();

private:
    // A fresh database and a Database object for it (released by cleanupDatabases()).
    Database &freshDatabase();
    test::PgFixture m_pg;
    std::unique_ptr<Database> m_main; // migrated by appliesEverythingOnEmptyDatabase
    std::list<std::unique_ptr<Database>> m_others;

public:
    ~tst_Migrator() override
    {
        if (m_main)
            m_main->releaseThisThread();
        for (auto &d : m_others)
            d->releaseThisThread();
    }
};

void tst_Migrator::initTestCase()
{
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
}

Database &tst_Migrator::freshDatabase()
{
    const QString name = m_pg.createDatabase();
    m_others.push_back(std::make_unique<Database>(m_pg.settings(name)));
    return *m_others.back();
}

void tst_Migrator::builtInFilesAreOrdered()
{
    const QList<MigrationFile> files = Migrator::builtIn();
    QVERIFY(files.size() >= 2);
    QCOMPARE(files.at(0).version, 1);
    QCOMPARE(files.at(0).name, QStringLiteral("core"));
    QCOMPARE(files.at(0).fileName(), QStringLiteral("0001_core.sql"));
    QCOMPARE(files.at(1).version, 2);
    QCOMPARE(files.at(1).name, QStringLiteral("guardrail_queue"));
    static const QRegularExpression hex(QStringLiteral("^[0-9a-f]{64}$"));
    for (int i = 0; i < files.size(); ++i) {
        QVERIFY(hex.match(files.at(i).checksum).hasMatch());
        QVERIFY(!files.at(i).sql.isEmpty());
        if (i > 0)
            QVERIFY(files.at(i).version > files.at(i - 1).version);
    }
    // The Migrator computes missing checksums and sorts.
    Migrator m({MigrationFile{2, QStringLiteral("b"), "SELECT 2", {}}, MigrationFile{1, QStringLiteral("a"), "SELECT 1", {}}});
    QCOMPARE(m.files().at(0).version, 1);
    QCOMPARE(m.files().at(0).checksum, Migrator::checksumOf("SELECT 1"));
}

void tst_Migrator::fromDirectoryRejectsBadNames()
{
    QTemporaryDir dir;
    QVERIFY(writeFile(dir.filePath(QStringLiteral("0001_a.sql")), "SELECT 1"));
    QVERIFY(writeFile(dir.filePath(QStringLiteral("notes.txt")), "ignored"));
    auto ok = Migrator::fromDirectory(dir.path());
    QVERIFY(ok);
    QCOMPARE(ok->size(), 1);

    QVERIFY(writeFile(dir.filePath(QStringLiteral("0001_b.sql")), "SELECT 2"));
    auto dup = Migrator::fromDirectory(dir.path());
    QVERIFY(!dup);
    QVERIFY2(dup.error().message.contains(QLatin1StringView("0001_b.sql")), qPrintable(errorText(dup.error())));
    QFile::remove(dir.filePath(QStringLiteral("0001_b.sql")));

    QVERIFY(writeFile(dir.filePath(QStringLiteral("2_bad name.sql")), "SELECT 3"));
    auto bad = Migrator::fromDirectory(dir.path());
    QVERIFY(!bad);
    QVERIFY2(bad.error().message.contains(QLatin1StringView("NNNN_name.sql")), qPrintable(errorText(bad.error())));

    QVERIFY(!Migrator::fromDirectory(dir.filePath(QStringLiteral("missing"))));
}

void tst_Migrator::appliesEverythingOnEmptyDatabase()
{
    m_main = std::make_unique<Database>(m_pg.settings(m_pg.createDatabase()));
    QSqlDatabase db = m_main->connection();
    const Migrator migrator(Migrator::builtIn());

    auto before = migrator.status(db);
    QVERIFY(before);
    QCOMPARE(before->size(), migrator.files().size());
    for (const MigrationState &s : *before)
        QVERIFY(!s.applied);
    QCOMPARE(*migrator.isUpToDate(db), false);

    auto applied = migrator.up(db);
    QVERIFY2(applied, qPrintable(applied ? QString() : errorText(applied.error())));
    QList<int> versions;
    for (const MigrationFile &f : migrator.files())
        versions << f.version;
    QCOMPARE(*applied, versions);
    QCOMPARE(applied->mid(0, 2), (QList<int>{1, 2}));

    auto rows = exec(db, QStringLiteral("SELECT version, name, checksum, applied_at, duration_ms FROM schema_migrations "
                                        "ORDER BY version"));
    QVERIFY(rows);
    for (const MigrationFile &f : migrator.files()) {
        QVERIFY(rows->next());
        QCOMPARE(rows->value(0).toInt(), f.version);
        QCOMPARE(rows->value(1).toString(), f.name);
        QCOMPARE(rows->value(2).toString(), f.checksum);
        QVERIFY(rows->value(3).toDateTime().isValid());
        QVERIFY(rows->value(4).toLongLong() >= 0);
    }
    QVERIFY(!rows->next());

    auto after = migrator.status(db);
    QVERIFY(after);
    for (const MigrationState &s : *after) {
        QVERIFY(s.applied);
        QVERIFY(!s.checksumMismatch);
        QVERIFY(s.appliedAt.isValid());
    }
    QCOMPARE(*migrator.isUpToDate(db), true);

    // The session settings were restored after the run.
    auto timeout = exec(db, QStringLiteral("SHOW statement_timeout"));
    QVERIFY(timeout && timeout->next());
    QCOMPARE(timeout->value(0).toString(), QStringLiteral("5s"));

    auto key = exec(db, QStringLiteral("SELECT value #>> '{}' FROM settings WHERE key = 'cursor_signing_key'"));
    QVERIFY(key && key->next());
    QVERIFY(QRegularExpression(QStringLiteral("^[0-9a-f]{64}$")).match(key->value(0).toString()).hasMatch());
}

void tst_Migrator::secondRunAppliesNothing()
{
    QVERIFY(m_main);
    QSqlDatabase db = m_main->connection();
    auto applied = Migrator(Migrator::builtIn()).up(db);
    QVERIFY(applied);
    QVERIFY(applied->isEmpty());
    auto n = exec(db, QStringLiteral("SELECT count(*) FROM schema_migrations"));
    QVERIFY(n && n->next());
    QCOMPARE(n->value(0).toInt(), Migrator::builtIn().size());
}

void tst_Migrator::changedAppliedFileIsHardError()
{
    QTemporaryDir dir;
    QVERIFY(copyBuiltIn(dir.path()));
    auto files = Migrator::fromDirectory(dir.path());
    QVERIFY(files);
    QSqlDatabase db = freshDatabase().connection();
    QVERIFY(Migrator(*files).up(db));

    QFile f(dir.filePath(QStringLiteral("0001_core.sql")));
    QVERIFY(f.open(QIODevice::Append));
    f.write("\n-- an innocent-looking edit\n");
    f.close();
    auto edited = Migrator::fromDirectory(dir.path());
    QVERIFY(edited);
    const Migrator migrator(*edited);
    auto r = migrator.up(db);
    QVERIFY(!r);
    QVERIFY2(r.error().message.contains(QLatin1StringView("0001_core.sql")), qPrintable(errorText(r.error())));
    QVERIFY(r.error().message.contains(QLatin1StringView("changed")));

    auto status = migrator.status(db);
    QVERIFY(status);
    QVERIFY(status->at(0).checksumMismatch);
    QVERIFY(!status->at(1).checksumMismatch);
    QCOMPARE(*migrator.isUpToDate(db), false);
}

void tst_Migrator::failingMigrationRollsBackAndNamesLine()
{
    QTemporaryDir dir;
    QVERIFY(writeFile(dir.filePath(QStringLiteral("0001_ok.sql")), "CREATE TABLE ok_table (x int);\n"));
    QVERIFY(writeFile(dir.filePath(QStringLiteral("0002_bad.sql")), "CREATE TABLE half_done (x int);\n"
                                                                    "INSERT INTO half_done VALUES (1);\n"
                                                                    "SELECT no_such_column FROM half_done;\n"));
    auto files = Migrator::fromDirectory(dir.path());
    QVERIFY(files);
    QSqlDatabase db = freshDatabase().connection();
    auto r = Migrator(*files).up(db);
    QVERIFY(!r);
    QVERIFY2(r.error().message.contains(QLatin1StringView("0002_bad.sql")), qPrintable(errorText(r.error())));
    QVERIFY2(r.error().message.contains(QLatin1StringView("line 3")), qPrintable(errorText(r.error())));
    QCOMPARE(sqlState(r.error()), QStringLiteral("42703"));

    auto state = exec(db, QStringLiteral("SELECT to_regclass('ok_table') IS NOT NULL, to_regclass('half_done') IS NULL, "
                                         "(SELECT count(*) FROM schema_migrations)"));
    QVERIFY(state && state->next());
    QVERIFY(state->value(0).toBool());
    QVERIFY(state->value(1).toBool());
    QCOMPARE(state->value(2).toInt(), 1);
    QVERIFY(exec(db, QStringLiteral("SELECT 1"))); // not left inside a transaction
}

void tst_Migrator::concurrentMigratorsApplyEachOnce()
{
    QTemporaryDir dir;
    // The slow file widens the race window; CREATE TABLE would fail if it ran twice.
    QVERIFY(copyBuiltIn(dir.path(),
                        {{QStringLiteral("9999_slow.sql"), "SELECT pg_sleep(0.3);\nCREATE TABLE slow_marker (x int);\n"}}));
    auto files = Migrator::fromDirectory(dir.path());
    QVERIFY(files);
    const Migrator migrator(*files);
    const QString name = m_pg.createDatabase();
    Database database(m_pg.settings(name)); // one connection per thread

    QSemaphore go;
    QList<int> applied[2];
    QString errors[2];
    auto work = [&](int i) {
        go.acquire();
        {
            auto r = migrator.up(database.connection());
            if (r)
                applied[i] = *r;
            else
                errors[i] = r.error().message;
        }
        database.releaseThisThread();
    };
    std::unique_ptr<QThread> t0(QThread::create(work, 0));
    std::unique_ptr<QThread> t1(QThread::create(work, 1));
    t0->start();
    t1->start();
    go.release(2);
    QVERIFY(t0->wait(60000));
    QVERIFY(t1->wait(60000));
    QVERIFY2(errors[0].isEmpty(), qPrintable(errors[0]));
    QVERIFY2(errors[1].isEmpty(), qPrintable(errors[1]));
    QList<int> all = applied[0] + applied[1];
    std::sort(all.begin(), all.end());
    QList<int> expected;
    for (const MigrationFile &f : migrator.files())
        expected << f.version;
    QCOMPARE(all, expected); // each exactly once
    QCOMPARE(expected.last(), 9999);

    auto n = exec(database.connection(), QStringLiteral("SELECT count(*), count(DISTINCT version) FROM schema_migrations"));
    QVERIFY(n && n->next());
    QCOMPARE(n->value(0).toInt(), int(expected.size()));
    QCOMPARE(n->value(1).toInt(), int(expected.size()));
    n = ApiError::internal(QString());
    database.releaseThisThread();
}

void tst_Migrator::auditLogIsAppendOnly()
{
    QVERIFY(m_main);
    QSqlDatabase db = m_main->connection();
    QVERIFY(exec(db, QStringLiteral("INSERT INTO audit_log (actor_type, action, target_type, target_id, after, ip) "
                                    "VALUES ('system', 'settings.update', 'setting', 'x', '{\"v\": 1}', '127.0.0.1')")));
    // Even the cluster superuser (which the embedded setup connects as) cannot rewrite history.
    for (const char *sql : {"UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log", "TRUNCATE audit_log"}) {
        auto r = exec(db, QString::fromLatin1(sql));
        QVERIFY2(!r, sql);
        QCOMPARE(sqlState(r.error()), QStringLiteral("42501"));
        QVERIFY(r.error().message.contains(QLatin1StringView("append-only")));
    }
    auto n = exec(db, QStringLiteral("SELECT count(*) FROM audit_log WHERE action = 'settings.update'"));
    QVERIFY(n && n->next());
    QCOMPARE(n->value(0).toInt(), 1);
}

void tst_Migrator::schemaConstraints()
{
    QVERIFY(m_main);
    QSqlDatabase db = m_main->connection();
    const QString insertAgent = QStringLiteral(
        "INSERT INTO agents (username, framework, api_key_hash, api_key_prefix) VALUES (?, 'openclaw', 'h', 'bw_abcdefghi') "
        "RETURNING id, claim_status, reputation_score, is_active, total_problems_reported");
    auto agent = exec(db, insertAgent, {QStringLiteral("good_agent")});
    QVERIFY2(agent, qPrintable(agent ? QString() : errorText(agent.error())));
    QVERIFY(agent->next());
    const QString agentId = agent->value(0).toString();
    QCOMPARE(agent->value(1).toString(), QStringLiteral("pending"));
    QCOMPARE(agent->value(2).toDouble(), 0.0);
    QCOMPARE(agent->value(3).toBool(), true);
    QCOMPARE(agent->value(4).toInt(), 0);

    auto r = exec(db, insertAgent, {QStringLiteral("Bad Name")});
    QVERIFY(!r);
    QCOMPARE(sqlState(r.error()), QString::fromLatin1(kCheckViolation));
    r = exec(db, insertAgent, {QStringLiteral("good_agent")});
    QVERIFY(!r);
    QCOMPARE(sqlState(r.error()), QString::fromLatin1(kUniqueViolation));

    // Problems: defaults and enum checks.
    const QString insertProblem = QStringLiteral(
        "INSERT INTO problems (reported_by_agent_id, title, description, domain, severity) VALUES (?::uuid, 't', 'd', "
        "'healthcare_gaps', ?) RETURNING status, guardrail_status, upvotes, solution_count");
    auto p = exec(db, insertProblem, {agentId, QStringLiteral("high")});
    QVERIFY2(p, qPrintable(p ? QString() : errorText(p.error())));
    QVERIFY(p->next());
    QCOMPARE(p->value(0).toString(), QStringLiteral("active"));
    QCOMPARE(p->value(1).toString(), QStringLiteral("pending"));
    QCOMPARE(p->value(2).toInt(), 0);
    r = exec(db, insertProblem, {agentId, QStringLiteral("apocalyptic")});
    QVERIFY(!r);
    QCOMPARE(sqlState(r.error()), QString::fromLatin1(kCheckViolation));

    // updated_at follows updates.
    QVERIFY(exec(db, QStringLiteral("UPDATE agents SET updated_at = now() - interval '1 day' WHERE id = ?::uuid"), {agentId}));
    auto touched =
        exec(db, QStringLiteral("SELECT updated_at > now() - interval '1 minute' FROM agents WHERE id = ?::uuid"), {agentId});
    QVERIFY(touched && touched->next());
    QVERIFY(touched->value(0).toBool());

    // Jobs: one live job per (queue, unique_key); finished ones do not count.
    const QString insertJob = QStringLiteral("INSERT INTO jobs (queue, kind, unique_key, state) VALUES ('q', 'k', 'u1', ?)");
    QVERIFY(exec(db, insertJob, {QStringLiteral("completed")}));
    QVERIFY(exec(db, insertJob, {QStringLiteral("available")}));
    r = exec(db, insertJob, {QStringLiteral("retryable")});
    QVERIFY(!r);
    QCOMPARE(sqlState(r.error()), QString::fromLatin1(kUniqueViolation));
    r = exec(db, insertJob, {QStringLiteral("sleeping")});
    QVERIFY(!r);
    QCOMPARE(sqlState(r.error()), QString::fromLatin1(kCheckViolation));
    auto job =
        exec(db, QStringLiteral("SELECT attempts, max_attempts, priority, payload::text FROM jobs WHERE state = 'available'"));
    QVERIFY(job && job->next());
    QCOMPARE(job->value(0).toInt(), 0);
    QCOMPARE(job->value(1).toInt(), 3);
    QCOMPARE(job->value(2).toInt(), 0);
    QCOMPARE(job->value(3).toString(), QStringLiteral("{}"));

    // Guardrail evaluations link to problems; final_decision may stay NULL until done.
    auto ev = exec(db,
                   QStringLiteral("INSERT INTO guardrail_evaluations (content_id, content_type, agent_id, submitted_content) "
                                  "VALUES (gen_random_uuid(), 'problem', ?::uuid, '{}') RETURNING id, final_decision IS NULL"),
                   {agentId});
    QVERIFY2(ev, qPrintable(ev ? QString() : errorText(ev.error())));
    QVERIFY(ev->next());
    QVERIFY(ev->value(1).toBool());
    r = exec(db, QStringLiteral("UPDATE problems SET guardrail_evaluation_id = gen_random_uuid()"));
    QVERIFY(!r);
    QCOMPARE(sqlState(r.error()), QString::fromLatin1(kForeignKeyViolation));
    QVERIFY(exec(db, QStringLiteral("UPDATE problems SET guardrail_evaluation_id = ?::uuid"), {ev->value(0).toString()}));
}

QTEST_GUILESS_MAIN(tst_Migrator)
#include "tst_migrator.moc"
