#include "ui/signin/signinpage.h"

#include "server/moderation/adminauthservice.h"
#include "server/moderation/passwordhash.h"
#include "ui/common/dbworker.h"

#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace bw::ui {

namespace {

using moderation::AdminAuthService;

// true/false = accounts exist or not; error text when the database could not answer.
struct AccountCheck {
    bool exists = true;
    QString error;
};

AccountCheck readAccountCheck(AdminAuthService *auth)
{
    auto exists = auth->hasAccounts();
    if (!exists)
        return {true, exists.error().message};
    return {*exists, {}};
}

QString describe(const ApiError &error)
{
    switch (error.kind) {
    case ErrorKind::Unauthorized: // also while failed attempts pause sign-ins: the service does not say which
        return SignInPage::tr("Wrong email or password.");
    case ErrorKind::Forbidden:
        return SignInPage::tr("This account is deactivated. Ask an administrator to reactivate it.");
    case ErrorKind::Validation:
        return SignInPage::tr("Check the highlighted fields: %1")
            .arg(QStringList(error.details.value(QStringLiteral("fields")).toObject().keys()).join(QStringLiteral(", ")));
    case ErrorKind::Conflict:
        return SignInPage::tr("An account with this email already exists.");
    default:
        return SignInPage::tr("Sign-in failed: %1").arg(error.message);
    }
}

} // namespace

SignInPage::SignInPage(QWidget *parent)
    : QWidget(parent), m_heading(new QLabel), m_explanation(new QLabel), m_form(new QFormLayout), m_email(new QLineEdit),
      m_displayName(new QLineEdit), m_password(new QLineEdit), m_repeat(new QLineEdit), m_error(new QLabel),
      m_submit(new QPushButton)
{
    setObjectName(QStringLiteral("signInPage"));
    QFont headingFont = m_heading->font();
    headingFont.setPointSizeF(headingFont.pointSizeF() * 1.4);
    headingFont.setBold(true);
    m_heading->setFont(headingFont);
    m_explanation->setWordWrap(true);
    m_email->setObjectName(QStringLiteral("signInEmail"));
    m_displayName->setObjectName(QStringLiteral("signInDisplayName"));
    m_password->setObjectName(QStringLiteral("signInPassword"));
    m_repeat->setObjectName(QStringLiteral("signInRepeat"));
    m_password->setEchoMode(QLineEdit::Password);
    m_repeat->setEchoMode(QLineEdit::Password);
    m_email->setPlaceholderText(tr("name@example.org"));
    m_error->setObjectName(QStringLiteral("signInError"));
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("color: #c62828;"));
    m_error->setAccessibleName(tr("Sign-in error"));
    m_submit->setObjectName(QStringLiteral("signInSubmit"));
    m_submit->setDefault(true);
    m_submit->setAutoDefault(true);

    m_form->addRow(tr("&Email:"), m_email);
    m_form->addRow(tr("&Display name:"), m_displayName);
    m_form->addRow(tr("&Password:"), m_password);
    m_form->addRow(tr("&Repeat password:"), m_repeat);

    auto *box = new QWidget;
    box->setMaximumWidth(440);
    auto *inner = new QVBoxLayout(box);
    inner->addWidget(m_heading);
    inner->addWidget(m_explanation);
    inner->addLayout(m_form);
    inner->addWidget(m_error);
    inner->addWidget(m_submit, 0, Qt::AlignRight);

    auto *outer = new QVBoxLayout(this);
    outer->addStretch(1);
    outer->addWidget(box, 0, Qt::AlignHCenter);
    outer->addStretch(2);

    connect(m_submit, &QPushButton::clicked, this, &SignInPage::submit);
    for (QLineEdit *edit : {m_email, m_displayName, m_password, m_repeat})
        connect(edit, &QLineEdit::returnPressed, this, &SignInPage::submit);
    setMode(Mode::Waiting);
}

QString SignInPage::errorText() const
{
    return m_error->text();
}

void SignInPage::setContext(const ConsoleContext &context)
{
    m_context = context;
    m_worker = context.worker;
    ++m_generation;
    m_password->clear();
    m_repeat->clear();
    showError({});
    setBusy(false);
    checkAccounts();
}

void SignInPage::setWaiting(const QString &message)
{
    ++m_generation;
    m_worker = nullptr;
    m_context = {};
    setBusy(false);
    setMode(Mode::Waiting);
    showError(message);
}

void SignInPage::checkAccounts()
{
    if (!m_worker || !m_context.adminAuth) {
        setMode(Mode::Waiting);
        return;
    }
    setMode(Mode::Checking);
    const int generation = m_generation;
    m_worker->submit(
        this, [auth = m_context.adminAuth] { return readAccountCheck(auth); },
        [this, generation](const AccountCheck &check) {
            if (generation != m_generation)
                return;
            if (!check.error.isEmpty())
                showError(tr("Cannot read the admin accounts: %1").arg(check.error));
            setMode(check.exists || !check.error.isEmpty() ? Mode::SignIn : Mode::FirstAdmin);
        });
}

void SignInPage::setMode(Mode mode)
{
    m_mode = mode;
    const bool first = mode == Mode::FirstAdmin;
    const bool form = mode == Mode::SignIn || first;
    m_form->setRowVisible(m_displayName, first);
    m_form->setRowVisible(m_repeat, first);
    for (QLineEdit *edit : {m_email, m_displayName, m_password, m_repeat})
        edit->setEnabled(form && !m_busy);
    m_submit->setEnabled(form && !m_busy);
    switch (mode) {
    case Mode::Waiting:
        m_heading->setText(tr("Sign in"));
        m_explanation->setText(tr("Waiting for the server to start…"));
        break;
    case Mode::Checking:
        m_heading->setText(tr("Sign in"));
        m_explanation->setText(tr("Checking the admin accounts…"));
        break;
    case Mode::SignIn:
        m_heading->setText(tr("Sign in"));
        m_explanation->setText(tr("Sign in as a moderator or administrator to review content and run the platform."));
        m_submit->setText(tr("&Sign In"));
        break;
    case Mode::FirstAdmin:
        m_heading->setText(tr("Create the first administrator"));
        m_explanation->setText(tr("This database has no admin accounts yet. Create the first administrator; "
                                  "they can add moderators later. The password needs at least %n characters.",
                                  nullptr, moderation::password::kMinLength));
        m_submit->setText(tr("&Create Administrator"));
        break;
    }
    if (form && !m_busy && isVisible())
        m_email->setFocus();
}

void SignInPage::setBusy(bool busy)
{
    m_busy = busy;
    setMode(m_mode); // re-applies enabled states
    if (busy)
        m_submit->setText(tr("Please wait…"));
}

void SignInPage::showError(const QString &message)
{
    m_error->setText(message);
    m_error->setVisible(!message.isEmpty());
}

void SignInPage::submit()
{
    if (m_busy || !m_worker)
        return;
    if (m_mode == Mode::SignIn)
        signIn();
    else if (m_mode == Mode::FirstAdmin)
        createFirstAdmin();
}

void SignInPage::signIn()
{
    const QString email = m_email->text().trimmed();
    const QString password = m_password->text();
    if (email.isEmpty() || password.isEmpty()) {
        showError(tr("Enter your email and password."));
        (email.isEmpty() ? m_email : m_password)->setFocus();
        return;
    }
    showError({});
    setBusy(true);
    AdminAuthService *auth = m_context.adminAuth;
    const int generation = m_generation;
    m_worker->submit(
        this, [auth, email, password]() { return auth->login(email, password, QString()); },
        [this, generation](const Result<AdminAuthService::Session> &session) {
            if (generation != m_generation)
                return;
            setBusy(false);
            if (!session) {
                showError(describe(session.error()));
                m_password->selectAll();
                m_password->setFocus();
                return;
            }
            m_password->clear();
            Q_EMIT signedIn(session->caller);
        });
}

void SignInPage::createFirstAdmin()
{
    const QString email = m_email->text().trimmed();
    const QString name = m_displayName->text().trimmed();
    const QString password = m_password->text();
    if (email.isEmpty()) {
        showError(tr("Enter an email address."));
        m_email->setFocus();
        return;
    }
    if (const QString bad = moderation::password::policyViolation(password); !bad.isEmpty()) {
        showError(tr("The password is not acceptable: %1").arg(bad));
        m_password->setFocus();
        return;
    }
    if (password != m_repeat->text()) {
        showError(tr("The passwords do not match."));
        m_repeat->setFocus();
        return;
    }
    showError({});
    setBusy(true);
    AdminAuthService *auth = m_context.adminAuth;
    const int generation = m_generation;
    m_worker->submit(
        this,
        [auth, email, name, password] {
            // Only while there is no account at all: afterwards, administrators add users.
            return auth->createFirstAdministrator(email, name, password);
        },
        [this, generation](const Result<AdminAuthService::Session> &session) {
            if (generation != m_generation)
                return;
            setBusy(false);
            if (!session) {
                if (session.error().kind == ErrorKind::Conflict) {
                    showError(tr("An administrator account exists now. Sign in with it."));
                    setMode(Mode::SignIn);
                } else {
                    showError(describe(session.error()));
                }
                return;
            }
            m_password->clear();
            m_repeat->clear();
            Q_EMIT signedIn(session->caller);
        });
}

} // namespace bw::ui
