#pragma once
// Outgoing e-mail: one plain-text message and the interface that delivers it. Implementations
// block (network I/O with timeouts) and are only called on the mail thread (MailQueue).

#include "server/core/result.h"

#include <QString>

#include <atomic>

namespace bw::domain {

struct MailMessage {
    QString to;      // a bare address, user@example.org
    QString subject; // one line, no CR/LF
    QString body;    // plain text; newlines become CRLF on the wire
};

class Mailer {
public:
    virtual ~Mailer() = default;
    // Delivers message or says why not. Returns promptly (an error) once cancel becomes true.
    virtual Status send(const MailMessage &message, const std::atomic_bool &cancel) = 0;
    virtual QString description() const = 0; // for logs: "smtp mail.example.org:587 (STARTTLS)"
};

} // namespace bw::domain
