// Secret stores without a keychain: the in-memory fake, the 0600 JSON file with BW_SECRET_* overrides,
// and readOrCreateSecret. Temporary directories only; runs on the test thread (plus a few threads).

#include "server/core/secretstore.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <functional>
#include <sys/stat.h>
#include <thread>

using namespace bw;

namespace {
int modeOf(const QString &path)
{
    struct stat st {};
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return -1;
    return int(st.st_mode & 0777);
}

// A store whose writes fail: readOrCreateSecret must pass the error on.
class FailingStore final : public SecretStore {
public:
    Result<std::optional<QByteArray>> read(const QString &) override { return std::optional<QByteArray>{}; }
    Status write(const QString &, const QByteArray &) override { return ApiError::internal(QStringLiteral("disk full")); }
    Status remove(const QString &) override { return success(); }
    QString description() const override { return QStringLiteral("failing"); }
};

// The stored value, or a marker that cannot be mistaken for one (a failed read never crashes the test).
QByteArray valueOf(const Result<std::optional<QByteArray>> &r)
{
    if (!r.ok())
        return "<error: " + r.error().message.toUtf8() + '>';
    if (!r->has_value())
        return "<missing>";
    return **r;
}

const QByteArray kBinary("\0\x01\x02\xfe\xff binary\n\"quoted\"", 21);
} // namespace

class tst_SecretStore : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void memoryStore_data();
    void memoryStore();
    void fileStore_data();
    void fileStore();
    void fileIsOwnerOnly();
    void refusesLooseFile_data();
    void refusesLooseFile();
    void refusesCorruptFile();
    void environmentName_data();
    void environmentName();
    void environmentOverride();
    void readOrCreate_data();
    void readOrCreate();
    void readOrCreateErrors();
    void concurrentWrites();

private:
    void exercise(SecretStore &store, const QByteArray &value);
    std::unique_ptr<QTemporaryDir> m_dir;
    QString path() const { return m_dir->filePath(QStringLiteral("sub/dir/secrets.json")); }
};

void tst_SecretStore::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void tst_SecretStore::cleanup()
{
    qunsetenv("BW_SECRET_DB_PASSWORD");
    qunsetenv("BW_SECRET_SIGNING_KEY");
}

// The behaviour every store shares: missing → nullopt, write/read, overwrite, remove, remove missing.
void tst_SecretStore::exercise(SecretStore &store, const QByteArray &value)
{
    auto missing = store.read(QStringLiteral("db-password"));
    QVERIFY(missing.ok());
    QVERIFY(!missing->has_value());

    QVERIFY(store.write(QStringLiteral("db-password"), value).ok());
    auto read = store.read(QStringLiteral("db-password"));
    QVERIFY(read.ok());
    QVERIFY(read->has_value());
    QCOMPARE(**read, value);

    QVERIFY(store.write(QStringLiteral("signing.key"), QByteArrayLiteral("other")).ok());
    QVERIFY(store.write(QStringLiteral("db-password"), QByteArrayLiteral("second")).ok());
    QCOMPARE(valueOf(store.read(QStringLiteral("db-password"))), QByteArrayLiteral("second"));
    QCOMPARE(valueOf(store.read(QStringLiteral("signing.key"))), QByteArrayLiteral("other"));

    QVERIFY(store.remove(QStringLiteral("db-password")).ok());
    QCOMPARE(valueOf(store.read(QStringLiteral("db-password"))), QByteArrayLiteral("<missing>"));
    QCOMPARE(valueOf(store.read(QStringLiteral("signing.key"))), QByteArrayLiteral("other")); // others untouched
    QVERIFY(store.remove(QStringLiteral("db-password")).ok());                                // removing a missing secret is fine
    QVERIFY(store.remove(QStringLiteral("never-existed")).ok());
}

void tst_SecretStore::memoryStore_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::newRow("text") << QByteArrayLiteral("hunter2");
    QTest::newRow("binary") << kBinary;
    QTest::newRow("empty") << QByteArray("");
    QTest::newRow("64 KiB") << QByteArray(64 * 1024, 'x');
}

void tst_SecretStore::memoryStore()
{
    QFETCH(QByteArray, value);
    MemorySecretStore store;
    QCOMPARE(store.description(), QStringLiteral("memory"));
    exercise(store, value);
    if (QTest::currentTestFailed())
        return;
    MemorySecretStore other;
    QCOMPARE(valueOf(other.read(QStringLiteral("signing.key"))), QByteArrayLiteral("<missing>")); // instances are independent
}

void tst_SecretStore::fileStore_data()
{
    memoryStore_data();
}

void tst_SecretStore::fileStore()
{
    QFETCH(QByteArray, value);
    {
        FileSecretStore store(path());
        QVERIFY(store.description().contains(path()));
        QVERIFY(!QFile::exists(path())); // nothing written by reading
        exercise(store, value);
        if (QTest::currentTestFailed())
            return;
        QVERIFY(store.write(QStringLiteral("db-password"), value).ok());
    }
    // Persisted: a new instance reads what the first one wrote.
    FileSecretStore again(path());
    auto read = again.read(QStringLiteral("db-password"));
    QVERIFY(read.ok());
    QVERIFY(read->has_value());
    QCOMPARE(**read, value);
    QCOMPARE(valueOf(again.read(QStringLiteral("signing.key"))), QByteArrayLiteral("other"));

    // The file is a JSON object (values base64), never the raw secret for binary data.
    QFile f(path());
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll());
    QVERIFY(doc.isObject());
    QCOMPARE(QByteArray::fromBase64(doc.object().value("db-password").toString().toLatin1()), value);
}

void tst_SecretStore::fileIsOwnerOnly()
{
    // Even with a permissive umask the file (and its temporary) is 0600.
    const mode_t old = ::umask(0);
    FileSecretStore store(path());
    const bool wrote = store.write(QStringLiteral("k"), QByteArrayLiteral("v")).ok();
    ::umask(old);
    QVERIFY(wrote);
    QCOMPARE(modeOf(path()), 0600);
    // Rewrites keep it that way.
    QVERIFY(store.write(QStringLiteral("k2"), QByteArrayLiteral("v2")).ok());
    QCOMPARE(modeOf(path()), 0600);
    QVERIFY(store.remove(QStringLiteral("k")).ok());
    QCOMPARE(modeOf(path()), 0600);
    // No temporary files are left behind.
    QCOMPARE(QDir(QFileInfo(path()).absolutePath()).entryList(QDir::Files | QDir::Hidden),
             QStringList{QStringLiteral("secrets.json")});
}

void tst_SecretStore::refusesLooseFile_data()
{
    QTest::addColumn<int>("mode");
    QTest::addColumn<bool>("accepted");
    QTest::newRow("0600") << 0600 << true;
    QTest::newRow("0400") << 0400 << true;
    QTest::newRow("0640 group-readable") << 0640 << false;
    QTest::newRow("0604 other-readable") << 0604 << false;
    QTest::newRow("0644") << 0644 << false;
    QTest::newRow("0620 group-writable") << 0620 << false;
    QTest::newRow("0602 other-writable") << 0602 << false;
}

void tst_SecretStore::refusesLooseFile()
{
    QFETCH(int, mode);
    QFETCH(bool, accepted);
    {
        FileSecretStore store(path());
        QVERIFY(store.write(QStringLiteral("k"), QByteArrayLiteral("v")).ok());
    }
    QCOMPARE(::chmod(QFile::encodeName(path()).constData(), mode_t(mode)), 0);
    QFile f(path());
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray before = f.readAll();
    f.close();

    FileSecretStore store(path());
    const auto read = store.read(QStringLiteral("k"));
    QCOMPARE(read.ok(), accepted);
    if (accepted) {
        QCOMPARE(**read, QByteArrayLiteral("v"));
        return;
    }
    QCOMPARE(read.error().kind, ErrorKind::Internal);
    QVERIFY2(read.error().message.contains(path()), qPrintable(read.error().message));
    QVERIFY2(read.error().message.contains(QStringLiteral("chmod 600")), qPrintable(read.error().message));
    // Writes and removes are refused too, and leave the file alone.
    QVERIFY(!store.write(QStringLiteral("k"), QByteArrayLiteral("new")).ok());
    QVERIFY(!store.remove(QStringLiteral("k")).ok());
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), before);
    QCOMPARE(modeOf(path()), mode);
}

void tst_SecretStore::refusesCorruptFile()
{
    QDir().mkpath(QFileInfo(path()).absolutePath());
    QFile f(path());
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("[1, 2, 3]");
    f.close();
    QVERIFY(f.setPermissions(QFile::ReadOwner | QFile::WriteOwner));
    FileSecretStore store(path());
    const auto read = store.read(QStringLiteral("k"));
    QVERIFY(!read.ok());
    QVERIFY2(read.error().message.contains(QStringLiteral("not a JSON object")), qPrintable(read.error().message));
    QVERIFY(!store.write(QStringLiteral("k"), QByteArrayLiteral("v")).ok()); // never overwrites what it cannot read
}

void tst_SecretStore::environmentName_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("env");
    // clang-format off
    QTest::newRow("dash") << "db-password" << "BW_SECRET_DB_PASSWORD";
    QTest::newRow("dot") << "signing.key" << "BW_SECRET_SIGNING_KEY";
    QTest::newRow("plain") << "openai" << "BW_SECRET_OPENAI";
    QTest::newRow("underscore") << "cursor_key" << "BW_SECRET_CURSOR_KEY";
    // clang-format on
}

void tst_SecretStore::environmentName()
{
    QFETCH(QString, name);
    QFETCH(QString, env);
    QCOMPARE(FileSecretStore::environmentName(name), env);
}

void tst_SecretStore::environmentOverride()
{
    FileSecretStore store(path());
    QVERIFY(store.write(QStringLiteral("db-password"), QByteArrayLiteral("from-file")).ok());

    qputenv("BW_SECRET_DB_PASSWORD", "from-env");
    QCOMPARE(valueOf(store.read(QStringLiteral("db-password"))), QByteArrayLiteral("from-env"));
    // The variable also supplies secrets the file does not have.
    qputenv("BW_SECRET_SIGNING_KEY", "env-only");
    QCOMPARE(valueOf(store.read(QStringLiteral("signing.key"))), QByteArrayLiteral("env-only"));
    QFile file(path());
    QVERIFY(file.open(QIODevice::ReadOnly));
    QVERIFY(!file.readAll().contains("env-only"));
    // Writes still go to the file (the environment is read-only).
    QVERIFY(store.write(QStringLiteral("db-password"), QByteArrayLiteral("file-2")).ok());
    QCOMPARE(valueOf(store.read(QStringLiteral("db-password"))), QByteArrayLiteral("from-env"));

    // An empty variable does not override.
    qputenv("BW_SECRET_DB_PASSWORD", "");
    QCOMPARE(valueOf(store.read(QStringLiteral("db-password"))), QByteArrayLiteral("file-2"));
    qunsetenv("BW_SECRET_DB_PASSWORD");
    QCOMPARE(valueOf(store.read(QStringLiteral("db-password"))), QByteArrayLiteral("file-2"));
    // The override applies even when the file cannot be used.
    QCOMPARE(::chmod(QFile::encodeName(path()).constData(), 0644), 0);
    QCOMPARE(valueOf(store.read(QStringLiteral("signing.key"))), QByteArrayLiteral("env-only"));
    QVERIFY(!store.read(QStringLiteral("db-password")).ok());
}

void tst_SecretStore::readOrCreate_data()
{
    QTest::addColumn<bool>("fileBacked");
    QTest::newRow("memory") << false;
    QTest::newRow("file") << true;
}

void tst_SecretStore::readOrCreate()
{
    QFETCH(bool, fileBacked);
    std::unique_ptr<SecretStore> store;
    if (fileBacked)
        store = std::make_unique<FileSecretStore>(path());
    else
        store = std::make_unique<MemorySecretStore>();

    int made = 0;
    const auto maker = [&made]() -> QByteArray {
        ++made;
        return QByteArray("generated-") + QByteArray::number(made);
    };
    const auto first = readOrCreateSecret(*store, QStringLiteral("cursor-key"), maker);
    QVERIFY(first.ok());
    QCOMPARE(*first, QByteArrayLiteral("generated-1"));
    QCOMPARE(made, 1);
    QCOMPARE(valueOf(store->read(QStringLiteral("cursor-key"))), QByteArrayLiteral("generated-1"));

    const auto second = readOrCreateSecret(*store, QStringLiteral("cursor-key"), maker);
    QVERIFY(second.ok());
    QCOMPARE(*second, QByteArrayLiteral("generated-1"));
    QCOMPARE(made, 1); // not called again

    if (fileBacked) {
        FileSecretStore reopened(path());
        const auto third = readOrCreateSecret(reopened, QStringLiteral("cursor-key"), maker);
        QVERIFY(third.ok());
        QCOMPARE(*third, QByteArrayLiteral("generated-1"));
        QCOMPARE(made, 1);
    }
    // Another name gets its own value.
    QCOMPARE(*readOrCreateSecret(*store, QStringLiteral("other"), maker), QByteArrayLiteral("generated-2"));
}

void tst_SecretStore::readOrCreateErrors()
{
    int made = 0;
    const auto maker = [&made]() -> QByteArray {
        ++made;
        return QByteArrayLiteral("x");
    };
    // The store cannot be read: nothing is generated (a new secret would orphan the old one).
    {
        FileSecretStore store(path());
        QVERIFY(store.write(QStringLiteral("k"), QByteArrayLiteral("v")).ok());
        QCOMPARE(::chmod(QFile::encodeName(path()).constData(), 0644), 0);
        const auto r = readOrCreateSecret(store, QStringLiteral("k"), maker);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, ErrorKind::Internal);
        QCOMPARE(made, 0);
    }
    // The store cannot be written: the error comes back instead of an unsaved value.
    FailingStore failing;
    const auto r = readOrCreateSecret(failing, QStringLiteral("k"), maker);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().message, QStringLiteral("disk full"));
}

void tst_SecretStore::concurrentWrites()
{
    FileSecretStore store(path());
    constexpr int kThreads = 4;
    constexpr int kEach = 15;
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&store, &failures, t] {
            for (int i = 0; i < kEach; ++i)
                if (!store.write(QStringLiteral("t%1-%2").arg(t).arg(i), QByteArray::number(t * 100 + i)).ok())
                    ++failures;
        });
    for (auto &t : threads)
        t.join();
    QCOMPARE(failures.load(), 0);
    FileSecretStore reopened(path());
    for (int t = 0; t < kThreads; ++t)
        for (int i = 0; i < kEach; ++i)
            QCOMPARE(valueOf(reopened.read(QStringLiteral("t%1-%2").arg(t).arg(i))), QByteArray::number(t * 100 + i));
    QCOMPARE(modeOf(path()), 0600);
}

QTEST_GUILESS_MAIN(tst_SecretStore)
#include "tst_secretstore.moc"
