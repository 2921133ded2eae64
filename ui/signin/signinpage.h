#pragma once
// The sign-in page: a moderator or administrator signs in with email + password
// (AdminAuthService::login, run on the shared DbWorker thread: hashing takes ~100 ms), or, on a
// database without any admin account, creates the first administrator. GUI thread.

#include "server/moderation/admincaller.h"
#include "ui/common/consolecontext.h"

#include <QPointer>
#include <QWidget>

class QFormLayout;
class QLabel;
class QLineEdit;
class QPushButton;

namespace bw::ui {

class DbWorker;

class SignInPage final : public QWidget {
    Q_OBJECT
public:
    enum class Mode { Waiting, Checking, SignIn, FirstAdmin };

    explicit SignInPage(QWidget *parent = nullptr);

    // The services to sign in against (context.adminAuth, worker); checks whether any
    // admin account exists and shows the matching form. Call again after sign-out.
    void setContext(const ConsoleContext &context);
    // Back to "waiting for the server" (no context): the server is stopping or failed.
    void setWaiting(const QString &message);

    Mode mode() const { return m_mode; }
    bool isBusy() const { return m_busy; }
    QString errorText() const;

Q_SIGNALS:
    void signedIn(const bw::moderation::AdminCaller &caller);

private:
    void setMode(Mode mode);
    void setBusy(bool busy);
    void showError(const QString &message);
    void submit();
    void signIn();
    void createFirstAdmin();
    void checkAccounts();

    ConsoleContext m_context;
    QPointer<DbWorker> m_worker;
    Mode m_mode = Mode::Waiting;
    bool m_busy = false;
    int m_generation = 0; // answers for an older setContext() are ignored

    QLabel *m_heading;
    QLabel *m_explanation;
    QFormLayout *m_form;
    QLineEdit *m_email;
    QLineEdit *m_displayName;
    QLineEdit *m_password;
    QLineEdit *m_repeat;
    QLabel *m_error;
    QPushButton *m_submit;
};

} // namespace bw::ui
