// The real OS keychain through QtKeychain, and the store-selection policy (makeSecretStore).
// Keychain cases need a private Secret Service: ctest runs this through tests/support/with-keychain.sh
// (a throw-away dbus session + unlocked gnome-keyring) and they skip without it, so that a developer
// running the binary on a desktop never writes to the real keyring.
// Some cases need a fresh process and run as ctest entries of their own: explicitBackends and
// instancesInSequence (tst_keychainsecretstore_backend/_instances) and unreachableBus (_nobus, with a
// dead bus address instead of the wrapper).

#include "server/secrets/keychainsecretstore.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <sys/stat.h>
#include <thread>

using namespace bw;

namespace {
bool inKeychainSession()
{
    return qEnvironmentVariable("BW_TEST_KEYCHAIN_SESSION") == u"1";
}

QByteArray valueOf(const Result<std::optional<QByteArray>> &r)
{
    if (!r.ok())
        return "<error: " + r.error().message.toUtf8() + '>';
    if (!r->has_value())
        return "<missing>";
    return **r;
}

// Unsets the variables makeSecretStore looks at, restoring them afterwards.
class NoSessionEnvironment final {
public:
    NoSessionEnvironment()
    {
        for (const char *name : kNames) {
            m_saved.push_back({name, qgetenv(name), qEnvironmentVariableIsSet(name)});
            qunsetenv(name);
        }
    }
    ~NoSessionEnvironment()
    {
        for (const auto &s : m_saved)
            if (s.wasSet)
                qputenv(s.name, s.value);
    }

private:
    static constexpr const char *kNames[] = {"DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY"};
    struct Saved {
        const char *name;
        QByteArray value;
        bool wasSet;
    };
    std::vector<Saved> m_saved;
};
} // namespace

#define REQUIRE_KEYCHAIN_SESSION()                                                                                               \
    do {                                                                                                                         \
        if (!inKeychainSession())                                                                                                \
            QSKIP("needs the private Secret Service: run through tests/support/with-keychain.sh (ctest does)");                  \
    } while (false)

// Cases that need a process of their own: ctest runs them as separate entries with
// BW_TEST_KEYCHAIN_ISOLATED=<function name>.
#define REQUIRE_OWN_PROCESS()                                                                                                    \
    do {                                                                                                                         \
        REQUIRE_KEYCHAIN_SESSION();                                                                                              \
        if (qEnvironmentVariable("BW_TEST_KEYCHAIN_ISOLATED") != QLatin1String(QTest::currentTestFunction()))                    \
            QSKIP("runs in a process of its own (ctest entry tst_keychainsecretstore_*)");                                       \
    } while (false)

// QtKeychain runs every job through one process-wide JobExecutor that belongs to the thread of the
// first job and is not thread-safe. Each KeychainSecretStore owns a private thread, so a second live
// instance crashes the process (SIGSEGV in QObject::disconnect) and an instance created after the
// first was destroyed times out (see instancesInSequence). Hence: one shared store per process here.
class tst_KeychainSecretStore : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void autoPicksKeychain();
    void roundTrip_data();
    void roundTrip();
    void overwriteAndRemove();
    void readOrCreate();
    void fromAnotherThread();
    void autoFallsBackWithoutBus();
    void keychainWithoutBusFails();
    void explicitBackends();
    void instancesInSequence();
    void unreachableBus();

private:
    SecretStore *shared();
    std::unique_ptr<QTemporaryDir> m_dir;
    QTemporaryDir m_sharedDir;
    std::unique_ptr<SecretStore> m_shared;
};

void tst_KeychainSecretStore::initTestCase()
{
    QVERIFY(m_sharedDir.isValid());
}

void tst_KeychainSecretStore::cleanupTestCase()
{
    m_shared.reset();
}

void tst_KeychainSecretStore::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

// The one keychain store of this process, chosen by the "auto" policy as the app does.
SecretStore *tst_KeychainSecretStore::shared()
{
    if (!m_shared) {
        auto made = makeSecretStore(QStringLiteral("auto"), m_sharedDir.path());
        if (!made)
            qFatal("makeSecretStore(auto): %s", qPrintable(made.error().message));
        m_shared = std::move(*made);
    }
    return m_shared.get();
}

void tst_KeychainSecretStore::autoPicksKeychain()
{
    REQUIRE_KEYCHAIN_SESSION();
    QVERIFY(!qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS"));
    SecretStore *store = shared();
    QVERIFY2(store->description().startsWith(QStringLiteral("OS keychain")), qPrintable(store->description()));
    QVERIFY(store->write(QStringLiteral("auto-test"), QByteArrayLiteral("v")).ok());
    QCOMPARE(valueOf(store->read(QStringLiteral("auto-test"))), QByteArrayLiteral("v"));
    QVERIFY(store->remove(QStringLiteral("auto-test")).ok());
    QVERIFY(!QFile::exists(m_sharedDir.filePath(QStringLiteral("secrets.json")))); // no file fallback used
}

void tst_KeychainSecretStore::roundTrip_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::newRow("text") << QByteArrayLiteral("hunter2");
    QTest::newRow("binary with NUL") << QByteArray("\0\x01\x02\x7f\x80\xfe\xff", 7);
    QTest::newRow("utf8") << QStringLiteral("Wasser für alle — 水").toUtf8();
    QByteArray pattern(4096, Qt::Uninitialized);
    for (int i = 0; i < pattern.size(); ++i)
        pattern[i] = char((i * 7919 + 13) & 0xff);
    QTest::newRow("4 KiB") << pattern;
    QTest::newRow("32-byte key") << QByteArray::fromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
}

void tst_KeychainSecretStore::roundTrip()
{
    REQUIRE_KEYCHAIN_SESSION();
    QFETCH(QByteArray, value);
    SecretStore *store = shared();
    const QString name = QStringLiteral("rt-") + QString::fromLatin1(QTest::currentDataTag());

    QCOMPARE(valueOf(store->read(name)), QByteArrayLiteral("<missing>"));
    const Status written = store->write(name, value);
    QVERIFY2(written.ok(), written.ok() ? "" : qPrintable(written.error().message));
    QCOMPARE(valueOf(store->read(name)), value);
    QVERIFY(store->remove(name).ok());
    QCOMPARE(valueOf(store->read(name)), QByteArrayLiteral("<missing>"));
}

void tst_KeychainSecretStore::overwriteAndRemove()
{
    REQUIRE_KEYCHAIN_SESSION();
    SecretStore *store = shared();
    QVERIFY(store->write(QStringLiteral("a"), QByteArrayLiteral("one")).ok());
    QVERIFY(store->write(QStringLiteral("b"), QByteArrayLiteral("bee")).ok());
    QVERIFY(store->write(QStringLiteral("a"), QByteArray("two\0two", 7)).ok());
    QCOMPARE(valueOf(store->read(QStringLiteral("a"))), QByteArray("two\0two", 7));
    QCOMPARE(valueOf(store->read(QStringLiteral("b"))), QByteArrayLiteral("bee"));

    QVERIFY(store->remove(QStringLiteral("a")).ok());
    QCOMPARE(valueOf(store->read(QStringLiteral("a"))), QByteArrayLiteral("<missing>"));
    QCOMPARE(valueOf(store->read(QStringLiteral("b"))), QByteArrayLiteral("bee")); // others untouched
    // Removing what is not there is not an error.
    const Status again = store->remove(QStringLiteral("a"));
    QVERIFY2(again.ok(), again.ok() ? "" : qPrintable(again.error().message));
    QVERIFY(store->remove(QStringLiteral("never-written")).ok());
    QVERIFY(store->remove(QStringLiteral("b")).ok());
}

void tst_KeychainSecretStore::readOrCreate()
{
    REQUIRE_KEYCHAIN_SESSION();
    SecretStore *store = shared();
    int made = 0;
    const auto maker = [&made]() -> QByteArray { return QByteArray("made-") + QByteArray::number(++made); };
    const auto first = readOrCreateSecret(*store, QStringLiteral("c"), maker);
    QVERIFY2(first.ok(), first.ok() ? "" : qPrintable(first.error().message));
    QCOMPARE(*first, QByteArrayLiteral("made-1"));
    const auto second = readOrCreateSecret(*store, QStringLiteral("c"), maker);
    QVERIFY(second.ok());
    QCOMPARE(*second, QByteArrayLiteral("made-1"));
    QCOMPARE(made, 1);
    QVERIFY(store->remove(QStringLiteral("c")).ok());
}

void tst_KeychainSecretStore::fromAnotherThread()
{
    // Callers are pool/worker threads, never the thread that owns the keychain jobs.
    REQUIRE_KEYCHAIN_SESSION();
    SecretStore *store = shared();
    QByteArray seen;
    bool ok = false;
    std::thread worker([&] {
        ok = store->write(QStringLiteral("t"), QByteArrayLiteral("threaded")).ok();
        seen = valueOf(store->read(QStringLiteral("t")));
        ok = ok && store->remove(QStringLiteral("t")).ok();
    });
    worker.join();
    QVERIFY(ok);
    QCOMPARE(seen, QByteArrayLiteral("threaded"));
}

void tst_KeychainSecretStore::explicitBackends()
{
    REQUIRE_OWN_PROCESS(); // makeSecretStore("keychain") builds this process's only keychain store
    auto keychain = makeSecretStore(QStringLiteral("keychain"), m_dir->path());
    QVERIFY2(keychain.ok(), keychain.ok() ? "" : qPrintable(keychain.error().message));
    QVERIFY((*keychain)->description().startsWith(QStringLiteral("OS keychain")));
    QVERIFY((*keychain)->write(QStringLiteral("k"), QByteArrayLiteral("in keychain")).ok());

    // "file" is honoured even though a keychain is available, and is a different store.
    auto file = makeSecretStore(QStringLiteral("file"), m_dir->path());
    QVERIFY(file.ok());
    const QString path = m_dir->filePath(QStringLiteral("secrets.json"));
    QVERIFY2((*file)->description().startsWith(QStringLiteral("file ")), qPrintable((*file)->description()));
    QVERIFY((*file)->description().contains(path));
    QCOMPARE(valueOf((*file)->read(QStringLiteral("k"))), QByteArrayLiteral("<missing>"));
    QVERIFY((*file)->write(QStringLiteral("k"), QByteArrayLiteral("in file")).ok());
    QVERIFY(QFile::exists(path));
    QCOMPARE(valueOf((*keychain)->read(QStringLiteral("k"))), QByteArrayLiteral("in keychain"));
    QVERIFY((*keychain)->remove(QStringLiteral("k")).ok());
}

void tst_KeychainSecretStore::instancesInSequence()
{
    // The app may build a store more than once per process (e.g. a command that finishes and another
    // that starts, or a settings change). Each instance must work, not only the first.
    REQUIRE_OWN_PROCESS();
    {
        KeychainSecretStore first(QStringLiteral("bw-test-first"), 2000);
        QVERIFY(first.write(QStringLiteral("k"), QByteArrayLiteral("v1")).ok());
        QCOMPARE(valueOf(first.read(QStringLiteral("k"))), QByteArrayLiteral("v1"));
    }
    KeychainSecretStore second(QStringLiteral("bw-test-first"), 2000);
    const QByteArray before = valueOf(second.read(QStringLiteral("k")));
    const bool written = second.write(QStringLiteral("k"), QByteArrayLiteral("v2")).ok();
    const QByteArray after = valueOf(second.read(QStringLiteral("k")));
    const QString outcome = QStringLiteral("read '%1', write %2, read '%3'")
                                .arg(QString::fromUtf8(before), written ? "ok" : "failed", QString::fromUtf8(after));
    // The first job of the new instance still runs; the executor never learns that it finished (the
    // finished() signal is queued to the first, ended thread), so every later job times out.
    QVERIFY2(before == "v1" && written && after == "v2", qPrintable(outcome));
}

void tst_KeychainSecretStore::autoFallsBackWithoutBus()
{
    NoSessionEnvironment noSession;
    QElapsedTimer timer;
    timer.start();
    auto store = makeSecretStore(QStringLiteral("auto"), m_dir->path());
    QVERIFY(store.ok());
    QVERIFY2(timer.elapsed() < 2000, "no probing without a bus"); // decided from the environment alone
    const QString path = m_dir->filePath(QStringLiteral("secrets.json"));
    QVERIFY2((*store)->description().startsWith(QStringLiteral("file ")), qPrintable((*store)->description()));
    QVERIFY((*store)->description().contains(path));
    // The fallback is a working 0600 file store.
    QVERIFY((*store)->write(QStringLiteral("fallback"), QByteArrayLiteral("v")).ok());
    QCOMPARE(valueOf((*store)->read(QStringLiteral("fallback"))), QByteArrayLiteral("v"));
    struct stat st {};
    QCOMPARE(::stat(QFile::encodeName(path).constData(), &st), 0);
    QCOMPARE(int(st.st_mode & 0777), 0600);
}

void tst_KeychainSecretStore::keychainWithoutBusFails()
{
    NoSessionEnvironment noSession;
    auto store = makeSecretStore(QStringLiteral("keychain"), m_dir->path());
    QVERIFY(!store.ok());
    QCOMPARE(store.error().kind, ErrorKind::BadRequest);
    QVERIFY2(store.error().message.contains(QStringLiteral("keychain")), qPrintable(store.error().message));
    QVERIFY2(store.error().message.contains(QStringLiteral("unavailable")), qPrintable(store.error().message));
    QVERIFY(!QFile::exists(m_dir->filePath(QStringLiteral("secrets.json"))));
}

void tst_KeychainSecretStore::unreachableBus()
{
    // A bus address that points nowhere: the probe fails, "auto" falls back, "keychain" refuses.
    // Only meaningful in a fresh process (D-Bus connections are cached per process).
    if (qEnvironmentVariable("BW_TEST_UNREACHABLE_BUS") != u"1")
        QSKIP("runs as its own ctest entry (tst_keychainsecretstore_nobus)");
    QVERIFY(qEnvironmentVariable("DBUS_SESSION_BUS_ADDRESS").contains(QStringLiteral("nonexistent")));
    QElapsedTimer timer;
    timer.start();
    auto strict = makeSecretStore(QStringLiteral("keychain"), m_dir->path());
    QVERIFY(!strict.ok());
    QCOMPARE(strict.error().kind, ErrorKind::BadRequest);
    QVERIFY2(strict.error().message.contains(QStringLiteral("unavailable")), qPrintable(strict.error().message));

    auto fallback = makeSecretStore(QStringLiteral("auto"), m_dir->path());
    QVERIFY(fallback.ok());
    QVERIFY2((*fallback)->description().startsWith(QStringLiteral("file ")), qPrintable((*fallback)->description()));
    QVERIFY((*fallback)->write(QStringLiteral("k"), QByteArrayLiteral("v")).ok());
    QVERIFY2(timer.elapsed() < 15000, qPrintable(QString::number(timer.elapsed())));
}

QTEST_GUILESS_MAIN(tst_KeychainSecretStore)
#include "tst_keychainsecretstore.moc"
