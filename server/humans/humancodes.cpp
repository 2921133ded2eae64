#include "server/humans/humancodes.h"

#include "server/core/apikey.h"
#include "server/core/ids.h"
#include "server/db/database.h"
#include "server/db/sql.h"
#include "server/domain/mail/mailqueue.h"

#include <QCryptographicHash>
#include <QLoggingCategory>
#include <QRandomGenerator>

#include <algorithm>

Q_LOGGING_CATEGORY(lcHumanCodes, "bw.humans.codes")

namespace bw::humans {

namespace {
QString purposeName(HumanCodes::Purpose p)
{
    return p == HumanCodes::Purpose::Verify ? QStringLiteral("verify") : QStringLiteral("reset");
}
QString reasonName(HumanCodes::Reason r)
{
    switch (r) {
    case HumanCodes::Reason::Registration:
        return QStringLiteral("registration");
    case HumanCodes::Reason::Resend:
        return QStringLiteral("resend");
    case HumanCodes::Reason::Request:
        break;
    }
    return QStringLiteral("request");
}
QByteArray codeHash(const QString &humanId, HumanCodes::Purpose purpose, const QString &code)
{
    // The id and purpose salt the hash, so one table of the 10^6 codes serves no one.
    return QCryptographicHash::hash((humanId.toLower() + u':' + purposeName(purpose) + u':' + code).toUtf8(),
                                    QCryptographicHash::Sha256)
        .toHex();
}
} // namespace

HumanCodes::HumanCodes(db::Database &db, std::unique_ptr<domain::Mailer> mailer) : HumanCodes(db, std::move(mailer), Options{}) {}

HumanCodes::HumanCodes(db::Database &db, std::unique_ptr<domain::Mailer> mailer, Options options) : m_db(db), m_options(options)
{
    if (mailer)
        m_mail = std::make_unique<domain::MailQueue>(
            std::move(mailer), [this](const QString &id, const Status &result) { recordDelivery(id, result); },
            [this] { m_db.releaseThisThread(); }); // the mail thread's own connection
}

HumanCodes::~HumanCodes()
{
    stop();
}

void HumanCodes::stop()
{
    if (m_mail)
        m_mail->stop();
}

QString HumanCodes::deliveryDescription() const
{
    return m_mail ? m_mail->description()
                  : QStringLiteral("sink (no SMTP configured: codes are shown to administrators and logged)");
}

bool HumanCodes::looksLikeCode(const QString &code)
{
    return code.size() == 6 && std::all_of(code.cbegin(), code.cend(), [](QChar c) { return c >= u'0' && c <= u'9'; });
}

Result<bool> HumanCodes::issue(const QString &humanId, Purpose purpose, Reason reason)
{
    QSqlDatabase db = m_db.connection();
    const QString code = QStringLiteral("%1").arg(QRandomGenerator::system()->bounded(1000000), 6, 10, QLatin1Char('0'));
    const QString deliveryId = ids::newUuid();
    const bool smtp = m_mail != nullptr;
    QString email;
    QString displayName;
    auto written = db::inTransaction(db, [&]() -> Result<bool> {
        // The row lock serialises issues for one person, so the count below cannot race.
        auto human =
            db::execCached(db, QStringLiteral("SELECT email, display_name FROM humans WHERE id = ?::uuid FOR UPDATE"), {humanId});
        if (!human)
            return human.error();
        if (!human->next())
            return ApiError::notFound(QStringLiteral("Human not found"));
        email = human->value(0).toString();
        displayName = human->value(1).toString();
        if (reason != Reason::Registration) {
            auto recent = db::scalar(db::execCached(db,
                                                    QStringLiteral("SELECT count(*)::int FROM human_email_codes"
                                                                   " WHERE human_id = ?::uuid AND purpose = ?"
                                                                   " AND reason <> 'registration'"
                                                                   " AND created_at > now() - interval '1 hour'"),
                                                    {humanId, purposeName(purpose)}));
            if (!recent)
                return recent.error();
            if (recent->toInt() >= m_options.sendsPerHour)
                return false;
        }
        static const QString write = QStringLiteral(
            "WITH s AS (UPDATE human_email_codes SET held_code = NULL, status = 'superseded'"
            "  WHERE human_id = ?::uuid AND purpose = ? AND status NOT IN ('used', 'superseded')),"
            // Housekeeping: expired codes held for administrators are of no use to anyone.
            " x AS (UPDATE human_email_codes SET held_code = NULL"
            "  WHERE held_code IS NOT NULL AND expires_at < now() AND human_id <> ?::uuid)"
            " INSERT INTO human_email_codes (id, human_id, purpose, reason, email, code_hash, expires_at, channel, status,"
            "  held_code) VALUES (?::uuid, ?::uuid, ?, ?, ?, ?, now() + make_interval(secs => ?), ?, ?, ?)");
        auto w =
            db::execCached(db, write,
                           {humanId, purposeName(purpose), humanId, deliveryId, humanId, purposeName(purpose), reasonName(reason),
                            email, QString::fromLatin1(codeHash(humanId, purpose, code)), m_options.codeTtlSeconds,
                            smtp ? QStringLiteral("smtp") : QStringLiteral("sink"),
                            smtp ? QStringLiteral("queued") : QStringLiteral("held"), smtp ? db::nullText() : QVariant(code)});
        if (!w)
            return w.error();
        return true;
    });
    if (!written || !*written)
        return written;

    const int minutes = m_options.codeTtlSeconds / 60;
    const bool verify = purpose == Purpose::Verify;
    if (smtp) {
        domain::MailMessage message;
        message.to = email;
        message.subject = verify ? QStringLiteral("Your BetterWorld verification code")
                                 : QStringLiteral("Your BetterWorld password reset code");
        message.body = (verify ? QStringLiteral("Hello %1,\n\nyour BetterWorld verification code is %2. It expires in %3 "
                                                "minutes.\n\nIf you did not create an account, you can ignore this message.\n")
                               : QStringLiteral("Hello %1,\n\nyour BetterWorld password reset code is %2. It expires in %3 "
                                                "minutes.\n\nIf you did not ask to reset your password, you can ignore this "
                                                "message; your password stays as it is.\n"))
                           .arg(displayName, code)
                           .arg(minutes);
        if (!m_mail->enqueue(message, deliveryId))
            recordDelivery(deliveryId, ApiError::unavailable(QStringLiteral("mail queue full or stopped")));
    } else {
        // The sink: administrators read it in the console or here; the requester never gets it from us.
        qCInfo(lcHumanCodes).noquote()
            << (verify ? "verification" : "password reset") << "code for"
            << "<" + email + ">:" << code
            << QStringLiteral("(valid %1 min; no SMTP configured, give it to the person)").arg(minutes);
    }
    return true;
}

Result<bool> HumanCodes::consume(QSqlDatabase db, const QString &humanId, Purpose purpose, const QString &code)
{
    auto row = db::execCached(db,
                              QStringLiteral("SELECT id::text, code_hash, tries, expires_at > now() FROM human_email_codes"
                                             " WHERE human_id = ?::uuid AND purpose = ? AND status NOT IN ('used', 'superseded')"
                                             " ORDER BY created_at DESC LIMIT 1 FOR UPDATE"),
                              {humanId, purposeName(purpose)});
    if (!row)
        return row.error();
    if (!row->next())
        return false;
    const QString id = row->value(0).toString();
    const QByteArray stored = row->value(1).toString().toLatin1();
    const int tries = row->value(2).toInt();
    const bool live = row->value(3).toBool();
    if (!live || tries >= m_options.maxWrongTries)
        return false;
    if (!looksLikeCode(code) || !apikey::constantTimeEquals(stored, codeHash(humanId, purpose, code))) {
        auto bump = db::execCached(db, QStringLiteral("UPDATE human_email_codes SET tries = tries + 1 WHERE id = ?::uuid"), {id});
        if (!bump)
            return bump.error();
        return false;
    }
    auto used = db::execCached(
        db, QStringLiteral("UPDATE human_email_codes SET held_code = NULL, status = 'used' WHERE id = ?::uuid"), {id});
    if (!used)
        return used.error();
    return true;
}

void HumanCodes::recordDelivery(const QString &deliveryId, const Status &result)
{
    auto q =
        db::execCached(m_db.connection(),
                       QStringLiteral("UPDATE human_email_codes SET status = CASE WHEN status = 'queued' THEN ? ELSE status END,"
                                      " sent_at = CASE WHEN ? THEN now() END, error = ? WHERE id = ?::uuid"),
                       {result ? QStringLiteral("sent") : QStringLiteral("failed"), bool(result),
                        result ? db::nullText() : QVariant(result.error().message.left(1000)), deliveryId});
    if (!q)
        qCWarning(lcHumanCodes).noquote() << "cannot record the delivery outcome of" << deliveryId << ":" << q.error().message;
}

Result<QList<HumanCodes::HeldCode>> HumanCodes::heldCodes(int limit)
{
    auto q =
        db::execCached(m_db.connection(),
                       QStringLiteral("SELECT c.human_id::text, c.email, h.display_name, c.purpose, c.held_code,"
                                      " c.created_at, c.expires_at FROM human_email_codes c JOIN humans h ON h.id = c.human_id"
                                      " WHERE c.held_code IS NOT NULL AND c.expires_at > now()"
                                      " ORDER BY c.created_at DESC LIMIT ?"),
                       {std::clamp(limit, 1, 1000)});
    if (!q)
        return q.error();
    QList<HeldCode> out;
    while (q->next())
        out.append(HeldCode{q->value(0).toString(), q->value(1).toString(), q->value(2).toString(), q->value(3).toString(),
                            q->value(4).toString(), q->value(5).toDateTime().toUTC(), q->value(6).toDateTime().toUTC()});
    return out;
}

} // namespace bw::humans
