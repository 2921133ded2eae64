#pragma once
// Delivers mail over SMTP (RFC 5321) with Boost.Asio: EHLO, STARTTLS (certificate and host name
// verified, TLS ≥ 1.2), AUTH PLAIN or LOGIN, MAIL/RCPT/DATA, QUIT. Every network step has a
// deadline and notices cancellation within ~100 ms. Blocking: call on the mail thread only.

#include "server/domain/mail/mailer.h"

#include <QString>

namespace bw::domain {

struct SmtpOptions {
    QString host; // empty: SMTP is not configured
    quint16 port = 587;
    QString username;      // empty: no AUTH
    QString password;      // from the SecretStore ("smtp-password")
    QString from;          // "BetterWorld <noreply@example.org>" or a bare address
    bool startTls = true;  // require STARTTLS before AUTH/MAIL (refuse to send in clear)
    QString caFile;        // extra trusted CA certificates (PEM); system roots are always trusted
    int timeoutMs = 15000; // per step (connect, each reply, TLS handshake)
    QString heloName = QStringLiteral("localhost");
};

class SmtpMailer final : public Mailer {
public:
    explicit SmtpMailer(SmtpOptions options);
    Status send(const MailMessage &message, const std::atomic_bool &cancel) override;
    QString description() const override;

    // The bare address inside "Name <addr>" (or the text itself); empty when it contains CR/LF.
    static QString addressOf(const QString &mailbox);
    // The DATA payload: headers + CRLF body, dot-stuffed, without the final ".".
    static QByteArray formatMessage(const QString &from, const MailMessage &message, const QString &messageId);

private:
    SmtpOptions m_options;
};

} // namespace bw::domain
